"""Bank files in currencies without two decimals: BAI2's implied decimals and camt's amounts
follow the currency's own minor units (3 for BHD and KWD, 0 for JPY)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Currency
from cash.bankfiles import BankFileError, parse

from .statements import Entry, bai2, camt053

pytestmark = pytest.mark.django_db


@pytest.fixture
def dinar(db):
    Currency.objects.update_or_create(
        code="BHD", defaults={"name": "Bahraini dinar", "decimal_places": 3}
    )
    return "BHD"


def test_bai2_amounts_are_read_in_the_currency_minor_units(dinar):
    content = bai2().replace(b",USD,", b",BHD,")

    _fmt, lines = parse(content)

    assert [(line.amount, line.currency) for line in lines][:2] == [
        (Decimal("25.000"), "BHD"),
        (Decimal("10.000"), "BHD"),
    ]


def test_bai2_yen_have_no_decimals():
    _fmt, lines = parse(bai2().replace(b",USD,", b",JPY,"))

    assert [line.amount for line in lines][:2] == [Decimal("25000"), Decimal("10000")]


def test_camt_reads_three_decimals_for_a_dinar_and_refuses_a_fourth(dinar):
    _fmt, lines = parse(camt053([Entry("B-1", "12.345", currency="BHD")]))
    assert [(line.amount, line.currency) for line in lines] == [(Decimal("12.345"), "BHD")]

    with pytest.raises(BankFileError) as refused:
        parse(camt053([Entry("B-2", "12.3456", currency="BHD")]))
    assert refused.value.errors[0]["reason"] == "'12.3456' has more decimals than BHD has (3)"


def test_camt_refuses_yen_with_decimals():
    with pytest.raises(BankFileError) as refused:
        parse(camt053([Entry("J-1", "1500.5", currency="JPY")]))

    assert refused.value.errors[0]["reason"] == "'1500.5' has more decimals than JPY has (0)"
