"""The credit page of an account and the credit manager's inbox: reach, forms, decisions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, Customer
from collections_app.models import Activity, Escalation
from collections_app.services import escalation_raise
from credit import services
from credit.models import CreditChange, LimitChangeRequest
from tests.factories import CustomerFactory
from tests.factories import collector as another_collector

from .conftest import logged_in

pytestmark = pytest.mark.django_db

# Id routes whose reach these tests check; tests/collections_app/test_reach.py requires them.
WRITES = {
    "credit_status_set": {"status-status": "hold", "status-reason": "legal"},
    "credit_limit_set": {"limit-limit": "10.00", "limit-reason": "legal"},
    "credit_escalation_decide": {"decision-status": "keep", "decision-reason": "legal"},
    "credit_limit_request_decide": {"request-decision": "reject", "request-comment": "no"},
    "credit_review_record": {
        "review-financials": "ok",
        "review-limit": "1.00",
        "review-terms": "1",
    },
}
ROUTES: set[str] = {"credit_customer", *WRITES}


def _state() -> tuple:
    return (
        sorted(Customer.objects.values_list("pk", "credit_limit", "credit_status")),
        CreditChange.objects.count(),
        list(LimitChangeRequest.objects.values_list("pk", "status")),
        list(Escalation.objects.values_list("pk", "status")),
        AuditEntry.objects.count(),
        Activity.objects.count(),
    )


def test_a_credit_manager_changes_the_status_from_the_credit_page(manager, customer):
    client = logged_in(manager)

    response = client.post(
        reverse("credit_status_set", args=[customer.pk]),
        {
            "status-status": "watch",
            "status-reason": "payment_behaviour",
            "status-comment": "Paying later each month",
            "status-until": "2099-01-31",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("credit_customer", args=[customer.pk])
    change = CreditChange.objects.get()
    assert (change.status_after, change.until.isoformat(), change.actor) == (
        "watch",
        "2099-01-31",
        manager,
    )
    page = client.get(response["Location"])
    assert b"Credit status is now watch." in page.content
    assert b"Paying later each month" in page.content


def test_a_refusal_is_shown_beside_its_field_and_changes_nothing(manager, customer):
    before = _state()

    response = logged_in(manager).post(
        reverse("credit_status_set", args=[customer.pk]),
        {"status-status": "stop", "status-reason": "legal", "status-until": "2099-01-31"},
    )

    assert response.status_code == 400
    form = response.context["forms"]["status"]
    assert form.errors == {"until": ["only a watch or a hold can have an end date"]}
    assert b'class="field has-error field-until"' in response.content
    assert _state() == before


def test_a_missing_reason_is_a_form_error(manager, customer):
    before = _state()

    response = logged_in(manager).post(
        reverse("credit_limit_set", args=[customer.pk]), {"limit-limit": "60000"}
    )

    assert response.status_code == 400
    assert list(response.context["forms"]["limit"].errors) == ["reason"]
    assert _state() == before


def test_a_limit_above_authority_is_forwarded_from_the_page(manager, senior, customer):
    response = logged_in(manager).post(
        reverse("credit_limit_set", args=[customer.pk]),
        {"limit-limit": "250,000.00", "limit-reason": "management_decision"},
        follow=True,
    )

    assert b"the request was forwarded to sam" in response.content
    request = LimitChangeRequest.objects.get()
    assert (request.requested_limit, request.assigned_to) == (Decimal("250000.00"), senior)
    assert Customer.objects.get(pk=customer.pk).credit_limit == Decimal("50000.00")


def test_the_approver_decides_the_request_on_the_credit_page(manager, senior, customer):
    services.credit_limit_set(actor=manager, customer=customer, limit="250000", reason="legal")

    response = logged_in(senior).post(
        reverse("credit_limit_request_decide", args=[customer.pk]),
        {"request-decision": "approve", "request-comment": "Guarantee on file", "from": "inbox"},
    )

    assert (response.status_code, response["Location"]) == (302, reverse("credit_inbox"))
    assert Customer.objects.get(pk=customer.pk).credit_limit == Decimal("250000.00")


def test_a_collector_sees_the_credit_status_but_cannot_change_it(collector, customer):
    client = logged_in(collector)
    before = _state()

    page = client.get(reverse("credit_customer", args=[customer.pk]))
    refused = [
        client.post(reverse(name, args=[customer.pk]), body) for name, body in WRITES.items()
    ]

    assert page.status_code == 200
    assert b'id="credit-status">Good standing<' in page.content
    assert b"Change credit status" not in page.content
    assert [r.status_code for r in refused] == [403] * len(WRITES)
    assert _state() == before


def test_a_collector_gets_no_inbox(collector):
    response = logged_in(collector).get(reverse("credit_inbox"))

    assert response.status_code == 403


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_another_portfolios_customer_is_a_404_like_one_that_does_not_exist(
    name, collector, customer
):
    other = CustomerFactory(assigned_collector=another_collector("olga"))
    client = logged_in(collector)
    method = client.get if name == "credit_customer" else client.post
    body = WRITES.get(name)
    before = _state()

    response = method(reverse(name, args=[other.pk]), body)
    unknown = method(reverse(name, args=[other.pk + 1000]), body)

    assert (response.status_code, unknown.status_code) == (404, 404)
    assert _state() == before


def test_the_workspace_links_to_the_credit_page(collector, customer):
    response = logged_in(collector).get(reverse("customer_detail", args=[customer.pk]))

    assert reverse("credit_customer", args=[customer.pk]).encode() in response.content


def test_the_inbox_lists_escalations_and_requests_oldest_first_with_a_count_in_the_nav(
    manager, senior, collector, customer
):
    later = CustomerFactory(external_ref="LATER", name="Later Ltd", assigned_collector=collector)
    escalation_raise(actor=collector, customer=customer, reason="Refuses to pay")
    services.credit_limit_set(actor=manager, customer=later, limit="300000", reason="legal")

    response = logged_in(manager).get(reverse("credit_inbox"))

    items = response.context["items"]
    assert [(item.kind, item.customer.external_ref) for item in items] == [
        ("escalation", "ACME"),
        ("limit_request", "LATER"),
    ]
    assert ("Credit (2)", "/credit/") in response.context["nav_items"]
    assert response.context["nav_current"] == "Credit (2)"


def test_the_inbox_runs_the_same_queries_for_2_and_for_30_items(manager, senior, collector):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in(manager)

    def queries_for(count: int) -> int:
        for n in range(count):
            customer = CustomerFactory(assigned_collector=collector)
            if n % 2:
                services.credit_limit_set(
                    actor=manager, customer=customer, limit="400000", reason="legal"
                )
            else:
                escalation_raise(actor=collector, customer=customer, reason=f"Escalation {n}")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("credit_inbox"))
        assert response.status_code == 200
        return len(captured)

    two = queries_for(2)  # one of each kind
    thirty = queries_for(28)

    assert two == thirty


def test_deciding_an_escalation_from_the_credit_page_closes_it(manager, collector, customer):
    escalation_raise(actor=collector, customer=customer, reason="Refuses to pay")

    response = logged_in(manager).post(
        reverse("credit_escalation_decide", args=[customer.pk]),
        {
            "decision-status": "hold",
            "decision-reason": "payment_behaviour",
            "decision-comment": "No more deliveries",
        },
    )

    assert response.status_code == 302
    assert Escalation.objects.get().status == "resolved"
    assert Customer.objects.get(pk=customer.pk).credit_status == "hold"


def test_past_one_page_the_inbox_says_how_many_wait_in_all(manager, monkeypatch):
    from credit import selectors

    monkeypatch.setattr(selectors, "INBOX_PAGE_SIZE", 2)
    for n in range(3):
        escalation_raise(
            actor=None, customer=CustomerFactory(external_ref=f"W{n}"), reason="over the limit"
        )

    page = logged_in(manager).get(reverse("credit_inbox"))

    assert len(page.context["items"]) == 2
    assert "3 waiting, the oldest 2 shown" in page.content.decode()
