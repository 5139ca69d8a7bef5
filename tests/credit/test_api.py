"""``GET/PATCH /api/v1/customers/<id>/credit/`` and the customer endpoint's refusal of
credit fields."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEntry, Customer
from collections_app.models import Activity
from credit.models import CreditChange, LimitChangeRequest
from tests.factories import CustomerFactory, invoice

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _url(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/credit/"


def _state() -> tuple:
    return (
        sorted(Customer.objects.values_list("pk", "credit_limit", "credit_status")),
        CreditChange.objects.count(),
        LimitChangeRequest.objects.count(),
        AuditEntry.objects.count(),
        Activity.objects.count(),
    )


def test_get_returns_status_limit_and_exposure(collector, customer):
    invoice(customer, "1200.00")

    response = _api(collector).get(_url(customer))

    assert response.status_code == 200
    assert response.json() == {
        "customer": customer.pk,
        "credit_status": "good",
        "credit_limit": "50000.00",
        "currency": "USD",
        "exposure": {
            "currency": "USD",
            "open_ar": "1200.00",
            "open_orders": "0.00",
            "unapplied_credits": "0.00",
            "total": "1200.00",
            "available": "48800.00",
            "used_pct": 2,
            "accounts": 1,
            "missing_rates": [],
        },
        "pending_limit_request": None,
        "risk": None,
    }


def test_patch_changes_status_and_limit_through_the_services(manager, customer):
    response = _api(manager).patch(
        _url(customer),
        {
            "credit_status": "hold",
            "credit_limit": "75000.00",
            "reason": "over_limit",
            "comment": "ERP says so",
            "until": "2099-06-30",
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert (response.json()["credit_status"], response.json()["credit_limit"]) == (
        "hold",
        "75000.00",
    )
    assert sorted(CreditChange.objects.values_list("kind", "reason")) == [
        ("limit", "over_limit"),
        ("status", "over_limit"),
    ]
    assert AuditEntry.objects.filter(object_type="accounts.customer").count() == 2
    assert Activity.objects.filter(customer=customer, kind="credit").count() == 2


def test_patch_above_authority_answers_202_with_the_request(manager, senior, customer):
    response = _api(manager).patch(
        _url(customer), {"credit_limit": "300000", "reason": "legal"}, format="json"
    )

    assert response.status_code == 202
    body = response.json()
    assert body["credit_limit"] == "50000.00"
    assert body["pending_limit_request"]["requested_limit"] == "300000.00"
    assert body["pending_limit_request"]["assigned_to"] == "sam"


def test_a_refused_patch_changes_nothing(manager, customer):
    before = _state()

    # the status is valid, the limit beyond everyone's authority: neither is kept
    response = _api(manager).patch(
        _url(customer),
        {"credit_status": "watch", "credit_limit": "900000000", "reason": "legal"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "no_authority"
    assert _state() == before


def test_patch_needs_a_reason(manager, customer):
    before = _state()

    response = _api(manager).patch(_url(customer), {"credit_status": "hold"}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    assert _state() == before


def test_a_collector_reads_but_cannot_patch(collector, customer):
    before = _state()

    response = _api(collector).patch(
        _url(customer), {"credit_status": "hold", "reason": "legal"}, format="json"
    )

    assert response.status_code == 403
    assert _state() == before


def test_another_portfolio_is_a_404(collector, customer):
    from tests.factories import collector as another

    other = CustomerFactory(assigned_collector=another("olga"))

    assert _api(collector).get(_url(other)).status_code == 404


def test_the_customer_endpoint_refuses_a_credit_change_with_a_pointer(manager, customer):
    before = _state()

    response = _api(manager).patch(
        f"/api/v1/customers/{customer.pk}/", {"credit_limit": "1.00"}, format="json"
    )
    same = _api(manager).patch(
        f"/api/v1/customers/{customer.pk}/",
        {"credit_limit": "50000.00", "credit_status": "good", "name": "Acme Tools Inc"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["credit_limit"] == [
        f"change credit_limit with PATCH /api/v1/customers/{customer.pk}/credit/ "
        "(it takes a reason code)"
    ]
    assert same.status_code == 200
    assert Customer.objects.get(pk=customer.pk).credit_limit == Decimal("50000.00")
    assert _state()[1:3] == before[1:3]


def test_the_schema_documents_the_credit_endpoint(manager):
    response = _api(manager).get("/api/schema/?format=json")

    operations = response.json()["paths"]["/api/v1/customers/{id}/credit/"]
    assert set(operations) >= {"get", "patch"}
    assert set(operations["patch"]["responses"]) == {"200", "202", "400", "401", "403", "404"}
