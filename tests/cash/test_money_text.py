"""Amounts in cash's messages and timeline lines are written by the project's money formatting
(accounts.locale_format.format_amount): the currency's own decimal places (none for JPY),
grouped thousands, the active language's separators; never a hand-made "{x:,.2f}"."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from accounts.models import Currency, ExchangeRate
from cash import services
from collections_app.models import Activity
from invoices import services as ledger
from tests.factories import CustomerFactory, invoice, payment

from .conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokyo(db):
    ExchangeRate.objects.create(
        currency_id="JPY",
        quote_currency_id="USD",
        valid_from=datetime.date(2026, 1, 1),
        rate=Decimal("0.0067"),
    )
    return CustomerFactory(
        external_ref="TOKYO", name="Tokyo Trading KK", currency=Currency.objects.get(code="JPY")
    )


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_applying_yen_says_yen_without_decimals(finance, tokyo):
    bill = invoice(tokyo, "150000", number="JP-1", issue_date=datetime.date(2026, 1, 5))
    cash = payment(tokyo, "150000", reference="JP-PAY")

    response = logged_in(finance).post(
        reverse("cash_payment_apply", args=[cash.pk]),
        {"invoice": [bill.pk], f"amount-{bill.pk}": "150000"},
    )

    assert _said(response) == ["Applied 150,000 JPY to 1 invoice."]


def test_reversing_and_writing_off_yen_say_yen_without_decimals(finance, tokyo):
    bill = invoice(tokyo, "150000", number="JP-2", issue_date=datetime.date(2026, 1, 5))
    cash = payment(tokyo, "100000", reference="JP-PAY-2")
    (application,) = ledger.payment_apply(
        actor=None, payment=cash, allocations=[ledger.Allocation(bill.pk, Decimal("100000"))]
    )
    client = logged_in(finance)

    reversed_ = client.post(
        reverse("cash_application_reverse", args=[application.pk]), {"note": "wrong invoice"}
    )
    written_off = client.post(
        reverse("cash_write_off", args=[bill.pk]),
        {"kind": "write_off", "amount": "12500", "reason": "goodwill"},
    )

    assert _said(reversed_) == ["Reversed 100,000 JPY from invoice JP-2."]
    # the first message is not shown yet (no page between): both wait in the session
    assert _said(written_off) == [
        "Reversed 100,000 JPY from invoice JP-2.",
        "Wrote off 12,500 JPY on invoice JP-2.",
    ]


def test_a_yen_refund_and_its_timeline_line_say_yen_without_decimals(finance, tokyo):
    cash = payment(tokyo, "250000", reference="JP-PAY-3")

    response = logged_in(finance).post(
        reverse("cash_payment_refund", args=[cash.pk]),
        {"kind": "refund", "amount": "50000", "reference": "W-1", "reason": "overpaid"},
    )

    assert _said(response) == ["Posted a refund of 50,000 JPY from payment JP-PAY-3."]
    line = Activity.objects.get(customer=tokyo)
    assert line.summary == (
        "Refund to the customer of 50,000 JPY from payment JP-PAY-3 (W-1) posted"
    )


def test_the_timeline_line_follows_the_active_language(finance, acme):
    cash = payment(acme, "5000.00", reference="DE-PAY")

    with translation.override("de"):
        services.refund_request(
            actor=finance, target=cash, kind="refund", amount="1234.50", reference="W", reason="x"
        )

    assert Activity.objects.get(customer=acme).summary.startswith(
        "Refund to the customer of 1.234,50 USD"
    )
