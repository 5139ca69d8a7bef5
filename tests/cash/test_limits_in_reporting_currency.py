"""The cash limits (write-off and refund approval, bank charges tolerance) are amounts in the
reporting currency (USD here): an amount in another currency is converted at the rate in
force on its date through accounts.fx, and a currency without a rate that day needs a
person's approval, never a 1:1 reading."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Currency, ExchangeRate
from cash import limits, matching, services
from cash.models import RefundRequest, WriteOffRequest
from invoices.models import Adjustment, Refund
from tests.factories import CustomerFactory, invoice, payment

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def limits_in_usd(settings):
    settings.REPORTING_CURRENCY = "USD"
    settings.CASH_WRITE_OFF_APPROVAL_LIMIT = "1000.00"
    settings.CASH_REFUND_APPROVAL_LIMIT = "1000.00"
    settings.CASH_BANK_CHARGES_TOLERANCE = "25.00"


def _rate(code: str, rate: str, valid_from: datetime.date = datetime.date(2026, 1, 1)) -> None:
    ExchangeRate.objects.create(
        currency_id=code, quote_currency_id="USD", valid_from=valid_from, rate=Decimal(rate)
    )


@pytest.fixture
def tokyo(db):
    return CustomerFactory(
        external_ref="TOKYO", name="Tokyo Trading KK", currency=Currency.objects.get(code="JPY")
    )


@pytest.fixture
def berlin(db):
    return CustomerFactory(
        external_ref="BERLIN",
        name="Berlin Werkzeuge GmbH",
        currency=Currency.objects.get(code="EUR"),
    )


def test_an_amount_is_converted_at_the_rate_of_its_day():
    _rate("JPY", "0.0070", datetime.date(2026, 1, 1))
    _rate("JPY", "0.0065", datetime.date(2026, 3, 1))

    assert limits.in_reporting_currency(Decimal("100000"), "JPY", datetime.date(2026, 2, 1)) == (
        Decimal("700.00")
    )
    assert limits.in_reporting_currency(Decimal("100000"), "JPY", datetime.date(2026, 3, 1)) == (
        Decimal("650.00")
    )
    assert limits.in_reporting_currency(Decimal("5"), "USD", datetime.date(2026, 3, 1)) == (
        Decimal("5")
    )
    assert limits.in_reporting_currency(Decimal("5"), "EUR", datetime.date(2026, 3, 1)) is None


def test_a_yen_write_off_within_the_usd_limit_is_written_at_once(finance, tokyo):
    _rate("JPY", "0.0067")
    bill = invoice(tokyo, "300000", number="JP-1")

    result = services.write_off_request(
        actor=finance, invoice=bill, kind="write_off", amount="140000", reason="insolvent"
    )

    # 140,000 JPY is 938.00 USD: within 1,000.00 USD, though 140,000 > 1,000
    assert isinstance(result, Adjustment)
    bill.refresh_from_db()
    assert bill.open_amount == Decimal("160000")


def test_a_euro_write_off_above_the_usd_limit_waits(finance, berlin):
    _rate("EUR", "1.10")
    bill = invoice(berlin, "5000.00", number="DE-1")

    result = services.write_off_request(
        actor=finance, invoice=bill, kind="write_off", amount="950.00", reason="goodwill"
    )

    # 950 EUR is 1,045.00 USD: above the limit, though 950 < 1,000
    assert isinstance(result, WriteOffRequest)
    assert not Adjustment.objects.exists()
    check = services.write_off_limit_check(Decimal("950.00"), "EUR")
    assert check.words == (
        f"950.00 EUR (1,045.00 USD on {TODAY.isoformat()}) is above the write-off approval "
        "limit of 1,000.00 USD"
    )


def test_a_write_off_in_a_currency_without_a_rate_waits_for_approval(finance, berlin):
    bill = invoice(berlin, "5000.00", number="DE-2")

    result = services.write_off_request(
        actor=finance, invoice=bill, kind="write_off", amount="5.00", reason="rounding"
    )

    assert isinstance(result, WriteOffRequest)
    bill.refresh_from_db()
    assert bill.open_amount == Decimal("5000.00")
    assert services.write_off_limit_check(Decimal("5.00"), "EUR").words == (
        f"there is no EUR to USD rate in force on {TODAY.isoformat()}, so 5.00 EUR cannot be "
        "held against the write-off approval limit of 1,000.00 USD"
    )


def test_the_page_says_why_a_write_off_waits(finance, berlin):
    from .conftest import logged_in

    bill = invoice(berlin, "5000.00", number="DE-3")
    response = logged_in(finance).post(
        f"/cash/invoices/{bill.pk}/write-off/",
        {"kind": "write_off", "amount": "5.00", "reason": "rounding"},
        follow=True,
    )

    assert "There is no EUR to USD rate in force on" in response.content.decode()
    assert "waits for a credit manager&#x27;s approval" in response.content.decode()


def test_a_yen_refund_is_held_to_the_usd_limit(finance, tokyo):
    _rate("JPY", "0.0067")
    cash = payment(tokyo, "500000", reference="JP-PAY")

    within = services.refund_request(
        actor=finance, target=cash, kind="refund", amount="149000", reference="W-1", reason="x"
    )
    above = services.refund_request(
        actor=finance, target=cash, kind="refund", amount="150000", reference="W-2", reason="x"
    )

    # 149,000 JPY = 998.30 USD; 150,000 JPY = 1,005.00 USD
    assert isinstance(within, Refund)
    assert isinstance(above, RefundRequest)


def test_a_refund_in_a_currency_without_a_rate_waits_for_a_second_person(finance, berlin):
    cash = payment(berlin, "100.00", reference="DE-PAY")

    result = services.refund_request(
        actor=finance, target=cash, kind="refund", amount="1.00", reference="W", reason="x"
    )

    assert isinstance(result, RefundRequest)
    assert not Refund.objects.exists()


def test_bank_charges_are_held_to_the_tolerance_in_the_reporting_currency(berlin, settings):
    # 20 EUR short: 22.00 USD at 1.10 (within 25.00 USD); at 1.30 it is 26.00 USD (above)
    settings.SMALL_BALANCE_LIMIT = "25.00"
    day = datetime.date(2026, 2, 10)
    invoice(berlin, "500.00", number="DE-10", issue_date=datetime.date(2026, 1, 1))
    _rate("EUR", "1.10", datetime.date(2026, 1, 1))
    _rate("EUR", "1.30", datetime.date(2026, 3, 1))

    def ranked(received):
        (best,) = matching.rank(
            customer=berlin,
            amount=Decimal("480.00"),
            currency="EUR",
            remittance="DE-10",
            received_date=received,
        )
        return best

    assert (ranked(day).settle, ranked(day).settle_kind) == (Decimal("20.00"), "small_balance")
    assert ranked(datetime.date(2026, 3, 2)).settle == Decimal("0")


def test_without_a_rate_bank_charges_are_left_to_a_person(berlin):
    invoice(berlin, "500.00", number="DE-11", issue_date=datetime.date(2026, 1, 1))

    (best,) = matching.rank(
        customer=berlin,
        amount=Decimal("480.00"),
        currency="EUR",
        remittance="DE-11",
        received_date=datetime.date(2026, 2, 10),
    )

    assert best.settle == Decimal("0")
    assert "there is no EUR to USD rate in force on 2026-02-10" in best.reason
