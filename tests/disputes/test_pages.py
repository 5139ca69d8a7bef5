"""/disputes/: the list with its filters and the dispute page with its moves."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from disputes.age_bands import AGE_BANDS
from disputes.models import Dispute, DisputeEvent
from disputes.reports import open_by_age
from disputes.services import dispute_open
from invoices.models import CreditMemo, Invoice
from invoices.selectors import ledger_discrepancies
from tests.collections_app.workflow import account, collector, overdue_invoice
from tests.factories import dispute_record, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return collector("alice")


def _numbers(response) -> list[str]:
    return [f"D-{d.pk}" for d in response.context["page"]]


def test_a_collector_lists_the_open_disputes_of_their_portfolio(client, alice):
    mine = account(alice, "Mine")
    theirs = account(collector("bob"), "Theirs")
    ours = dispute_record(mine, {overdue_invoice(mine, "10.00", days_late=3): "10.00"})
    dispute_record(theirs, {overdue_invoice(theirs, "10.00", days_late=3): "10.00"})
    dispute_record(mine, {overdue_invoice(mine, "20.00", days_late=3): "20.00"}, status="resolved")
    client.force_login(alice)

    response = client.get("/disputes/")

    assert response.status_code == 200
    assert _numbers(response) == [f"D-{ours.pk}"]


def test_the_list_filters_by_age_and_amount(client, alice):
    customer = account(alice)
    now = timezone.now()

    def make(amount, days_old):
        item = overdue_invoice(customer, amount, days_late=3)
        opened = now - datetime.timedelta(days=days_old)
        return dispute_record(customer, {item: amount}, opened_at=opened)

    week = make("50.00", 7)  # still "in the last 7 days"
    month = make("500.00", 8)
    quarter = make("5000.00", 31)
    two_months = make("70.00", 61)
    ancient = make("900.00", 200)
    client.force_login(alice)

    def listed(**params):
        return sorted(_numbers(client.get("/disputes/", {"status": "active", **params})))

    def ids(*disputes):
        return sorted(f"D-{d.pk}" for d in disputes)

    assert listed(age="0_7") == ids(week)
    assert listed(age="8_30") == ids(month)
    assert listed(age="31_60") == ids(quarter)
    assert listed(age="61_90") == ids(two_months)
    assert listed(age="over_90") == ids(ancient)
    assert listed(amount_min="500") == ids(month, quarter, ancient)
    assert listed(amount_min="100", amount_max="900") == ids(month, ancient)
    # the report counts each in the band the filter puts it in (one definition of the bands)
    (row,) = open_by_age(alice)
    bands = {band.code: count for band, count in zip(AGE_BANDS, row.bands, strict=True)}
    assert bands == {"0_7": 1, "8_30": 1, "31_60": 1, "61_90": 1, "over_90": 1}
    refused = client.get("/disputes/", {"amount_min": "lots"})
    assert refused.status_code == 200
    assert "amount_min" in refused.context["filterset"].form.errors


def test_the_list_filters_by_status_reason_department_assignee_and_sla(client, alice):
    customer = account(alice)
    old = timezone.now() - datetime.timedelta(days=30)

    def make(reason, **kw):
        item = overdue_invoice(customer, "10.00", days_late=3)
        return dispute_record(customer, {item: "10.00"}, reason=reason, **kw)

    late = make("duplicate", opened_at=old)  # billing, SLA 5 days: breached
    fresh = make("pricing")  # sales
    review = make("damaged", status="in_review")  # shipping
    Dispute.objects.filter(pk=fresh.pk).update(assignee=alice)
    client.force_login(alice)

    def listed(**params):
        return _numbers(client.get("/disputes/", params))

    assert listed(sla="breached") == [f"D-{late.pk}"]
    assert listed(department="shipping") == [f"D-{review.pk}"]
    assert listed(reason="pricing") == [f"D-{fresh.pk}"]
    assert listed(assignee="me") == [f"D-{fresh.pk}"]
    assert listed(status="in_review") == [f"D-{review.pk}"]
    assert sorted(listed(status="active")) == sorted(f"D-{d.pk}" for d in (late, fresh, review))


@pytest.mark.parametrize("rows", [1, 50])
def test_the_list_runs_a_constant_number_of_queries(client, rows):
    manager = user_in_role(roles.CREDIT_MANAGER, "carla")
    customer = account(manager)
    for _ in range(rows):
        item = overdue_invoice(customer, "10.00", days_late=3)
        dispute_record(customer, {item: "10.00"})
    client.force_login(manager)
    client.get("/disputes/")  # warm the session and permission caches

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/disputes/")

    assert len(response.context["page"]) == rows
    assert len(queries) <= 12


def test_a_collector_moves_a_dispute_and_the_page_shows_the_history(client, alice):
    customer = account(alice)
    item = overdue_invoice(customer, "300.00", days_late=3)
    dispute = dispute_open(
        actor=alice, customer=customer, invoice_ids=[item.pk], reason_code="pricing"
    )
    client.force_login(alice)

    moved = client.post(f"/disputes/{dispute.pk}/move/", {"to_status": "awaiting_customer"})
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()

    assert moved.status_code == 302
    assert Dispute.objects.get().status == "awaiting_customer"
    assert "open → <strong>awaiting customer</strong>" in page


def test_resolving_with_credit_on_the_page_issues_the_credit_memo(client, alice):
    customer = account(alice)
    a = overdue_invoice(customer, "300.00", days_late=3)
    b = overdue_invoice(customer, "200.00", days_late=3)
    dispute = dispute_open(
        actor=alice,
        customer=customer,
        invoice_ids=[a.pk, b.pk],
        amounts={a.pk: Decimal("100.00"), b.pk: Decimal("40.00")},
        reason_code="pricing",
    )
    client.force_login(alice)

    response = client.post(
        f"/disputes/{dispute.pk}/move/",
        {
            "to_status": "resolved",
            "outcome": "partial_credit",
            "note": "half of the price gap",
            f"credit_{a.pk}": "50.00",
        },
    )

    assert response.status_code == 302
    assert CreditMemo.objects.get().amount == Decimal("50.00")
    assert Invoice.objects.get(pk=a.pk).open_amount == Decimal("250.00")
    assert ledger_discrepancies() == []


def test_a_refused_move_shows_why_and_changes_nothing(client, alice):
    customer = account(alice)
    item = overdue_invoice(customer, "300.00", days_late=3)
    dispute = dispute_open(
        actor=alice, customer=customer, invoice_ids=[item.pk], reason_code="pricing"
    )
    client.force_login(alice)

    response = client.post(
        f"/disputes/{dispute.pk}/move/",
        {
            "to_status": "resolved",
            "outcome": "partial_credit",
            "note": "x",
            f"credit_{item.pk}": "301",
        },
    )

    assert response.status_code == 400
    assert "is more than the 300.00 disputed" in response.content.decode()
    assert Dispute.objects.get().status == "open"
    assert DisputeEvent.objects.count() == 1
    assert CreditMemo.objects.count() == 0


def test_the_workspace_raises_a_dispute_with_an_amount_per_invoice(client, alice):
    customer = account(alice)
    a = overdue_invoice(customer, "300.00", days_late=3, number="INV-A")
    b = overdue_invoice(customer, "200.00", days_late=3, number="INV-B")
    client.force_login(alice)

    client.post(
        f"/customers/{customer.pk}/disputes/",
        {
            "dispute-reason_code": "quantity",
            "dispute-amounts": "INV-A 120.00; INV-B=35,50",
            "invoices": [a.pk, b.pk],
        },
        HTTP_HX_REQUEST="true",
    )

    dispute = Dispute.objects.get()
    assert sorted(dispute.lines.values_list("invoice__number", "amount")) == [
        ("INV-A", Decimal("120.00")),
        ("INV-B", Decimal("35.50")),
    ]
    assert (dispute.amount, dispute.department) == (Decimal("155.50"), "shipping")


def test_the_workspace_refuses_an_invoice_of_another_customer_by_number(client, alice):
    customer = account(alice)
    overdue_invoice(customer, "300.00", days_late=3, number="INV-A")
    other = account(collector("bob"), "Other")
    overdue_invoice(other, "300.00", days_late=3, number="INV-Z")
    client.force_login(alice)

    response = client.post(
        f"/customers/{customer.pk}/disputes/",
        {"dispute-reason_code": "quantity", "dispute-amounts": "INV-Z 10"},
        HTTP_HX_REQUEST="true",
    )

    assert "not an invoice of this customer: INV-Z" in response.content.decode()
    assert Dispute.objects.count() == 0


def test_admins_edit_the_reasons_and_resolver_departments_in_the_admin(client):
    admin = user_in_role(roles.ADMIN, "ada", is_staff=True, is_superuser=True)
    client.force_login(admin)

    pages = [
        client.get(path).status_code
        for path in (
            "/admin/disputes/disputereason/",
            "/admin/disputes/disputereason/damaged/change/",
            "/admin/disputes/departmentmember/add/",
            "/admin/disputes/dispute/",
        )
    ]

    assert pages == [200, 200, 200, 200]
