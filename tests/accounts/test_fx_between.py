"""RateBook.convert_between: an amount from one foreign currency into another, across their
rates to the reporting currency in force on the day (direct or inverse), rounded once to the
target's places; a missing rate on either side is refused, never 1:1."""

import datetime
from decimal import Decimal

import pytest

from accounts.fx import RateBook, ReportError

DAY = datetime.date(2026, 6, 30)


@pytest.fixture
def book(settings):
    settings.REPORTING_CURRENCY = "USD"
    return RateBook(
        [
            ("EUR", "USD", datetime.date(2026, 1, 1), Decimal("1.10")),
            ("EUR", "USD", datetime.date(2026, 6, 1), Decimal("1.08")),
            ("GBP", "USD", datetime.date(2026, 1, 1), Decimal("1.25")),
            ("USD", "JPY", datetime.date(2026, 1, 1), Decimal("160")),  # inverse only
        ]
    )


def test_cross_conversion_uses_the_rates_in_force_on_the_day(book):
    # 40 EUR x 1.08 / 1.25 = 34.56 GBP (the June EUR rate, not January's 1.10)
    assert book.convert_between(Decimal("40.00"), "EUR", "GBP", DAY) == Decimal("34.56")
    assert book.convert_between(
        Decimal("40.00"), "EUR", "GBP", datetime.date(2026, 3, 1)
    ) == Decimal("35.20")


def test_an_inverse_rate_and_the_target_s_places(book):
    # 40 EUR x 1.08 USD x 160 JPY/USD = 6,912 JPY, no decimals
    assert book.convert_between(Decimal("40.00"), "EUR", "JPY", DAY, places=0) == Decimal("6912")
    assert book.convert_between(Decimal("40.00"), "EUR", "USD", DAY) == Decimal("43.20")


def test_the_same_currency_is_only_rounded(book):
    assert book.convert_between(Decimal("40"), "EUR", "EUR", DAY) == Decimal("40.00")


@pytest.mark.parametrize(
    ("source", "target", "missing"), [("CHF", "USD", "CHF"), ("EUR", "CHF", "CHF")]
)
def test_a_missing_rate_on_either_side_is_refused(book, source, target, missing):
    with pytest.raises(ReportError, match=f"no exchange rate from {missing} to USD"):
        book.convert_between(Decimal("40.00"), source, target, DAY)


def test_a_rate_not_yet_in_force_is_missing(book):
    with pytest.raises(ReportError, match="no exchange rate from EUR to USD in force on 2025"):
        book.convert_between(Decimal("40.00"), "EUR", "GBP", datetime.date(2025, 12, 31))
