"""The nightly ledger check reports every currency with open items and no rate in force."""

import datetime
import logging
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import ExchangeRate
from invoices.selectors import currencies_without_rate
from invoices.tasks import ledger_check
from tests.factories import CustomerFactory, invoice

pytestmark = pytest.mark.django_db


def test_the_ledger_check_reports_a_currency_with_open_items_and_no_rate(caplog):
    customer = CustomerFactory()
    invoice(customer, "250.00")
    invoice(customer, "120000", currency="JPY")
    invoice(customer, "70000", currency="JPY")
    invoice(customer, "80.00", currency="GBP")
    invoice(customer, "90.00", currency="CHF")
    today = timezone.localdate()
    # GBP: an inverse rate in force; CHF: a rate only from tomorrow
    ExchangeRate.objects.create(
        currency_id="USD", quote_currency_id="GBP", valid_from=today, rate=Decimal("0.8")
    )
    ExchangeRate.objects.create(
        currency_id="CHF",
        quote_currency_id="USD",
        valid_from=today + datetime.timedelta(days=1),
        rate=Decimal("1.1"),
    )

    with caplog.at_level(logging.ERROR, logger="invoices.tasks"):
        problems = ledger_check()

    assert [
        (row["currency"], row["to"], row["invoices"], row["open_amount"])
        for row in currencies_without_rate()
    ] == [
        ("CHF", "USD", 1, Decimal("90.00")),
        ("JPY", "USD", 2, Decimal("190000.00")),
    ]
    assert problems == 2
    assert [r.getMessage() for r in caplog.records] == [
        f"no exchange rate from CHF to USD in force on {today}: 1 open invoices, 90.00 CHF",
        f"no exchange rate from JPY to USD in force on {today}: 2 open invoices, 190000.00 JPY",
    ]


def test_the_ledger_check_is_quiet_when_every_open_currency_has_a_rate():
    customer = CustomerFactory()
    invoice(customer, "250.00")
    invoice(customer, "80.00", currency="EUR")
    ExchangeRate.objects.create(
        currency_id="EUR",
        quote_currency_id="USD",
        valid_from=datetime.date(2026, 1, 1),
        rate=Decimal("1.1"),
    )

    assert currencies_without_rate() == []
    assert ledger_check() == 0
