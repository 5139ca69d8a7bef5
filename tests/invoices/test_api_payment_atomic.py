"""POST /api/v1/payments/ posts and applies in one transaction: when applying fails, no
payment is left behind, posted but unapplied."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEntry
from invoices import hooks
from invoices.models import Application, Invoice, Payment
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(user_in_role(roles.FINANCE, "fiona"))
    return client


@pytest.fixture
def acme():
    customer = CustomerFactory(external_ref="ACME")
    invoice(customer, "200.00", number="OLDER", issue_date=datetime.date(2026, 1, 1))
    return customer


@pytest.fixture
def refusing_workflow(monkeypatch):
    """The workflow above the ledger refuses what the cash would do (its hook raises, as a
    failing promise evaluation or a lost lock would)."""

    def refuse(customer_ids):
        raise ServiceError("the workflow refused", field="allocations")

    monkeypatch.setattr(hooks, "cash_applied_hooks", [*hooks.cash_applied_hooks, refuse])


def _state() -> dict:
    return {
        "payments": Payment.objects.count(),
        "applications": Application.objects.count(),
        "open": sorted(Invoice.objects.values_list("number", "open_amount")),
        "audit": AuditEntry.objects.count(),
    }


def _post(api, **extra):
    body = {"reference": "PAY-1", "customer": "ACME", "received_date": "2026-03-01"}
    return api.post("/api/v1/payments/", {**body, **extra}, format="json")


def test_a_failing_oldest_first_application_leaves_no_payment(api, acme, refusing_workflow):
    before = _state()

    response = _post(api, amount="150.00", apply_oldest_first=True)

    assert (response.status_code, response.json()["field"]) == (400, "allocations")
    assert _state() == before


def test_a_failing_chosen_application_leaves_no_payment(api, acme, refusing_workflow):
    target = Invoice.objects.get(number="OLDER")
    before = _state()

    response = _post(api, amount="150.00", allocations=[{"invoice": target.pk, "amount": "150.00"}])

    assert response.status_code == 400
    assert _state() == before


def test_a_payment_with_allocations_and_the_rest_oldest_first_applies_both(api, acme):
    newer = invoice(acme, "300.00", number="NEWER", issue_date=datetime.date(2026, 2, 1))

    response = _post(
        api,
        amount="400.00",
        allocations=[{"invoice": newer.pk, "amount": "250.00"}],
        apply_oldest_first=True,
    )

    assert response.status_code == 201
    assert response.json()["unapplied_amount"] == "0.00"
    assert sorted(Invoice.objects.values_list("number", "open_amount")) == [
        ("NEWER", Decimal("50.00")),
        ("OLDER", Decimal("50.00")),
    ]
