"""Limit change requests and credit reviews as API resources: list and filter within reach,
create through the same services as the pages, decide; OpenAPI documented."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEntry, Customer, PaymentTerms
from credit.models import CreditChange, CreditReview, LimitChangeRequest
from credit.reviews import review_dates_refresh
from tests.factories import CustomerFactory, user_in_role
from tests.factories import collector as another_collector

pytestmark = pytest.mark.django_db

# Routes whose reach these tests check; tests/collections_app/test_reach.py requires them.
API_LISTS = {"api_credit_limit_requests", "api_credit_reviews", "api_credit_reviews_due"}
API_ROUTES = {
    ("api_credit_limit_request", "get"),
    ("api_credit_limit_request_decide", "post"),
    ("api_credit_review", "get"),
}
TODAY = timezone.localdate()


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _state() -> tuple:
    return (
        sorted(Customer.objects.values_list("pk", "credit_limit", "payment_terms_id")),
        list(LimitChangeRequest.objects.values_list("pk", "status")),
        CreditChange.objects.count(),
        CreditReview.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def stranger():
    """A customer in another collector's portfolio."""
    return CustomerFactory(
        external_ref="OTHER", assigned_collector=another_collector("olga"), credit_limit=100
    )


def test_a_limit_above_authority_is_created_as_a_request_and_listed_with_filters(
    manager, senior, customer
):
    response = _api(manager).post(
        "/api/v1/credit/limit-requests/",
        {"customer": customer.pk, "requested_limit": "250000.00", "reason": "financial_statements"},
        format="json",
    )

    assert response.status_code == 201
    request = LimitChangeRequest.objects.get()
    assert response.json()["id"] == request.pk
    assert (response.json()["assigned_to"], response.json()["status"]) == ("sam", "pending")
    listed = _api(senior).get("/api/v1/credit/limit-requests/?status=pending&assigned_to=sam")
    assert [row["id"] for row in listed.json()["results"]] == [request.pk]
    assert _api(senior).get("/api/v1/credit/limit-requests/?status=approved").json()["count"] == 0


def test_a_limit_within_authority_changes_at_once(manager, customer):
    response = _api(manager).post(
        "/api/v1/credit/limit-requests/",
        {"customer": customer.pk, "requested_limit": "60000.00", "reason": "financial_statements"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "detail": "within your authority: the limit changed at once",
        "customer": customer.pk,
        "credit_limit": "60000.00",
        "currency": "USD",
    }
    assert LimitChangeRequest.objects.count() == 0
    assert Customer.objects.get(pk=customer.pk).credit_limit == Decimal("60000.00")


def test_the_approver_decides_and_the_requester_cannot(manager, senior, customer):
    created = _api(manager).post(
        "/api/v1/credit/limit-requests/",
        {"customer": customer.pk, "requested_limit": "250000.00", "reason": "financial_statements"},
        format="json",
    )
    url = f"/api/v1/credit/limit-requests/{created.json()['id']}/decide/"
    before = _state()

    own = _api(manager).post(url, {"approve": True, "comment": "mine"}, format="json")
    assert own.status_code == 400 and own.json()["code"] == "own_request"
    assert _state() == before

    decided = _api(senior).post(
        url, {"approve": True, "comment": "Audited accounts"}, format="json"
    )
    assert decided.status_code == 200
    assert (decided.json()["status"], decided.json()["decided_by"]) == ("approved", "sam")
    assert Customer.objects.get(pk=customer.pk).credit_limit == Decimal("250000.00")


def test_another_portfolios_request_or_customer_is_out_of_reach(collector, manager, stranger):
    hidden = LimitChangeRequest.objects.create(
        customer=stranger,
        currency_id="USD",
        limit_before=Decimal("100"),
        requested_limit=Decimal("900"),
        reason="other",
        assigned_to=manager,
    )
    api = _api(collector)

    assert api.get("/api/v1/credit/limit-requests/").json()["count"] == 0
    assert api.get(f"/api/v1/credit/limit-requests/{hidden.pk}/").status_code == 404
    before = _state()
    refused = _api(collector).post(
        "/api/v1/credit/reviews/",
        {"customer": stranger.pk, "financials": "x", "credit_limit": "1.00", "terms": "NET30"},
        format="json",
    )
    assert refused.status_code == 403  # a collector changes no credit
    assert _state() == before


def test_a_review_is_recorded_replayed_by_its_key_and_listed(manager, customer):
    Customer.objects.filter(pk=customer.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    review_dates_refresh()
    due = _api(manager).get("/api/v1/credit/reviews/due/").json()
    assert [row["customer"] for row in due["results"]] == [customer.pk]
    net60 = PaymentTerms.objects.get(net_days=60)
    body = {
        "customer": customer.pk,
        "financials": "2025 accounts: profit 1.2M",
        "credit_limit": "50000.00",
        "terms": net60.code,
    }

    first = _api(manager).post(
        "/api/v1/credit/reviews/", body, format="json", HTTP_IDEMPOTENCY_KEY="rev-1"
    )
    again = _api(manager).post(
        "/api/v1/credit/reviews/", body, format="json", HTTP_IDEMPOTENCY_KEY="rev-1"
    )

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert CreditReview.objects.count() == 1
    assert (first.json()["terms_before"], first.json()["terms_after"]) == ("NET30", net60.code)
    assert first.json()["limit_request"] is None
    listed = _api(manager).get(f"/api/v1/credit/reviews/?customer={customer.pk}").json()
    assert [row["id"] for row in listed["results"]] == [first.json()["id"]]
    assert _api(manager).get("/api/v1/credit/reviews/due/").json()["count"] == 0


def test_the_cfo_reads_but_cannot_write(customer):
    cfo = user_in_role(roles.CFO, "cfo")
    before = _state()

    assert _api(cfo).get("/api/v1/credit/limit-requests/").status_code == 200
    refused = _api(cfo).post(
        "/api/v1/credit/limit-requests/",
        {"customer": customer.pk, "requested_limit": "1.00", "reason": "legal"},
        format="json",
    )

    assert refused.status_code == 403
    assert _state() == before


def test_the_resources_are_in_the_openapi_schema(manager):
    schema = _api(manager).get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in (
        "/api/v1/credit/limit-requests/",
        "/api/v1/credit/limit-requests/{id}/",
        "/api/v1/credit/limit-requests/{id}/decide/",
        "/api/v1/credit/reviews/",
        "/api/v1/credit/reviews/due/",
        "/api/v1/credit/reviews/{id}/",
    ):
        assert path in schema["paths"], path
    create = schema["paths"]["/api/v1/credit/limit-requests/"]["post"]
    assert {"200", "201"} <= set(create["responses"])


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/credit/limit-requests/", "requested_limit"),
        ("/api/v1/credit/reviews/", "credit_limit"),
    ],
)
def test_a_limit_as_a_json_fraction_is_refused_as_a_float(url, field, manager, customer):
    """Money is decimal text in the API (accounts.api_fields.MoneyField), here as elsewhere."""
    body = {
        "customer": customer.pk,
        field: 1000.1,
        "reason": "over_limit",
        "financials": "ok",
        "terms": customer.payment_terms.code,
    }
    before = (LimitChangeRequest.objects.count(), CreditReview.objects.count())
    response = _api(manager).post(url, body, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert "decimal text" in response.content.decode()
    assert (LimitChangeRequest.objects.count(), CreditReview.objects.count()) == before
