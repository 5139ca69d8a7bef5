"""An amount has no more decimal places than its currency: 100.50 JPY is refused by the
services and so by the API, naming the field, and nothing is stored."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEntry, Currency
from invoices.models import Adjustment, Application, CreditMemo, Invoice, Payment
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(user_in_role(roles.FINANCE, "fiona"))
    return client


@pytest.fixture
def tokyo():
    return CustomerFactory(external_ref="TOKYO", currency=Currency.objects.get(code="JPY"))


def _ledger_state() -> dict:
    return {
        "invoices": sorted(Invoice.objects.values_list("pk", "open_amount")),
        "payments": Payment.objects.count(),
        "credit_memos": CreditMemo.objects.count(),
        "applications": Application.objects.count(),
        "adjustments": Adjustment.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def _refusal(amount: str, field: str = "amount") -> dict:
    return {
        "detail": f"{amount} JPY: JPY amounts have no decimal places",
        "code": "invalid",
        "field": field,
    }


def test_an_invoice_of_100_50_yen_is_refused_naming_the_amount(api, tokyo):
    before = _ledger_state()

    response = api.post(
        "/api/v1/invoices/",
        {
            "number": "JP-1",
            "customer": "TOKYO",
            "issue_date": "2026-01-01",
            "due_date": "2026-01-31",
            "amount": "100.50",
            "currency": "JPY",
        },
        format="json",
    )

    assert (response.status_code, response.json()) == (400, _refusal("100.50"))
    assert _ledger_state() == before


def test_an_invoice_of_whole_yen_is_taken(api, tokyo):
    response = api.post(
        "/api/v1/invoices/",
        {
            "number": "JP-1",
            "customer": "TOKYO",
            "issue_date": "2026-01-01",
            "due_date": "2026-01-31",
            "amount": "100",
            "currency": "JPY",
        },
        format="json",
    )

    assert response.status_code == 201
    assert Invoice.objects.values_list("amount", "currency_id").get() == (Decimal("100"), "JPY")


def test_a_yen_payment_with_cents_is_refused(api, tokyo):
    before = _ledger_state()

    response = api.post(
        "/api/v1/payments/",
        {"reference": "P-1", "customer": "TOKYO", "received_date": "2026-02-01", "amount": "5.5"},
        format="json",
    )

    assert (response.status_code, response.json()) == (400, _refusal("5.50"))
    assert _ledger_state() == before


def test_a_yen_allocation_with_cents_is_refused_naming_the_allocation(api, tokyo):
    target = invoice(tokyo, "1000", number="JP-1")
    before = _ledger_state()

    response = api.post(
        "/api/v1/payments/",
        {
            "reference": "P-1",
            "customer": "TOKYO",
            "received_date": "2026-02-01",
            "amount": "500",
            "allocations": [{"invoice": target.pk, "amount": "0.25"}],
        },
        format="json",
    )

    assert (response.status_code, response.json()) == (
        400,
        _refusal("0.25", "allocations[0].amount"),
    )
    assert _ledger_state() == before


def test_a_yen_credit_memo_with_cents_is_refused(api, tokyo):
    before = _ledger_state()

    response = api.post(
        "/api/v1/credit-memos/",
        {
            "number": "CM-1",
            "customer": "TOKYO",
            "issue_date": "2026-02-01",
            "amount": "10.01",
            "reason": "returned goods",
        },
        format="json",
    )

    assert (response.status_code, response.json()) == (400, _refusal("10.01"))
    assert _ledger_state() == before


def test_a_write_off_of_half_a_yen_is_refused(api, tokyo):
    target = invoice(tokyo, "1000", number="JP-1")
    before = _ledger_state()

    response = api.post(
        "/api/v1/adjustments/",
        {"invoice": target.pk, "kind": "small_balance", "amount": "0.50", "reason": "rounding"},
        format="json",
    )

    assert (response.status_code, response.json()) == (400, _refusal("0.50"))
    assert _ledger_state() == before


def test_two_places_stay_allowed_for_dollars(api):
    CustomerFactory(external_ref="ACME")

    response = api.post(
        "/api/v1/payments/",
        {
            "reference": "P-1",
            "customer": "ACME",
            "received_date": str(datetime.date(2026, 2, 1)),
            "amount": "100.50",
        },
        format="json",
    )

    assert response.status_code == 201
    assert Payment.objects.values_list("amount", flat=True).get() == Decimal("100.50")
