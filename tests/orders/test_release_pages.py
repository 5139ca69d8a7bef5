"""The release queue (``/credit/releases/``), an order's page and its decisions, held orders
in the credit inbox with the count in the navigation."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from credit import order_services
from credit import services as credit_services
from orders.models import Order, OrderDecision
from tests.factories import CustomerFactory, invoice
from tests.factories import collector as another_collector

from .conftest import SHIP, logged_in, receive

pytestmark = pytest.mark.django_db

# Id routes whose reach these tests check; tests/collections_app/test_reach.py requires them.
WRITES = {
    "credit_order_release": {"release-comment": "ok"},
    "credit_order_reject": {"reject-comment": "no"},
    "credit_order_forward": {"forward-to": "1"},
    "credit_order_recheck": {},
}
ROUTES: set[str] = {"credit_order", *WRITES}


def _state() -> tuple:
    return (
        sorted(Order.objects.values_list("pk", "status", "assigned_to")),
        OrderDecision.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def held(manager, customer):
    """Two held orders of Acme (on hold), shipping on different days."""
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="hold", reason="legal"
    )
    later = receive(customer, "3000.00", "SO-LATER", ship=SHIP + datetime.timedelta(days=3))
    small = receive(customer, "2000.00", "SO-SMALL")
    big = receive(customer, "8000.00", "SO-BIG")
    return big, small, later


def test_the_queue_lists_held_orders_by_ship_date_then_larger_first(manager, held):
    response = logged_in(manager).get(reverse("credit_releases"))

    assert response.status_code == 200
    assert [row.order.external_ref for row in response.context["rows"]] == [
        "SO-BIG",
        "SO-SMALL",
        "SO-LATER",
    ]
    assert [
        (row.figures.exposure_before, row.figures.exposure_after)
        for row in response.context["rows"]
    ] == [
        (Decimal("0.00"), Decimal("8000.00")),
        (Decimal("0.00"), Decimal("2000.00")),
        (Decimal("0.00"), Decimal("3000.00")),
    ]
    content = response.content.decode()
    assert "8,000.00 USD" in content
    assert "The account is on credit hold." in content


def test_the_queue_runs_a_constant_number_of_queries(manager, customer, collector):
    """One held order, then fifty on twenty-five accounts: some in a group under a parent,
    some with overdue invoices, some over their limit. The page's queries do not grow with
    the orders or the accounts they belong to."""
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="hold", reason="legal"
    )
    client = logged_in(manager)
    receive(customer, "10.00", "SO-0")
    client.get(reverse("credit_releases"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("credit_releases"))
    parent = CustomerFactory(assigned_collector=collector, credit_limit=Decimal("1000.00"))
    for n in range(1, 25):
        account = CustomerFactory(
            assigned_collector=collector,
            parent=parent if n % 3 == 0 else None,
            credit_limit=Decimal("500.00") if n % 4 == 0 else Decimal("50000.00"),
        )
        credit_services.credit_status_set(
            actor=manager, customer=account, status="hold", reason="legal"
        )
        if n % 2:
            invoice(account, "700.00", issue_date=timezone.localdate() - datetime.timedelta(90))
        for m in range(2):
            receive(account, "300.00", f"SO-{n}-{m}")
    receive(customer, "10.00", "SO-LAST")
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(reverse("credit_releases"))

    rows = response.context["rows"]
    assert len(rows) == 50
    assert len({row.order.customer_id for row in rows}) == 25
    assert len(fifty) == len(one)


def test_the_inbox_lists_held_orders_and_counts_them_in_the_navigation(manager, held):
    response = logged_in(manager).get(reverse("credit_inbox"))

    assert [item.kind for item in response.context["items"]] == ["order", "order", "order"]
    labels = dict(response.context["nav_items"])
    assert (labels["Credit (3)"], labels["Releases"]) == ("/credit/", "/credit/releases/")


def test_the_queue_shows_todays_exposure_not_the_one_at_receipt(manager, held, customer):
    big, small, _ = held
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="good", reason="legal"
    )
    order_services.order_release(actor=manager, order=small, comment="fine")
    invoice(customer, "1000.00", issue_date=timezone.localdate())

    response = logged_in(manager).get(reverse("credit_releases"))

    row = response.context["rows"][0]
    assert (row.order, row.order.exposure_after) == (big, Decimal("8000.00"))
    assert (row.figures.exposure_before, row.figures.exposure_after) == (
        Decimal("3000.00"),
        Decimal("11000.00"),
    )


def test_a_manager_releases_an_order_with_a_comment(manager, held, customer):
    big, _, _ = held
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="good", reason="legal"
    )

    response = logged_in(manager).post(
        reverse("credit_order_release", args=[big.pk]), {"release-comment": "paid up"}
    )

    assert response.status_code == 302
    big.refresh_from_db()
    assert (big.status, big.decided_by, big.reasons) == ("released", manager, [])
    decision = big.decisions.last()
    assert (decision.kind, decision.comment, decision.actor) == ("released", "paid up", manager)


def test_a_release_without_a_comment_is_refused_and_changes_nothing(manager, held):
    big, _, _ = held
    before = _state()

    response = logged_in(manager).post(reverse("credit_order_release", args=[big.pk]), {})

    assert response.status_code == 400
    assert _state() == before


def test_an_over_limit_release_must_be_confirmed(manager, customer):
    invoice(customer, "45000.00", issue_date=timezone.localdate())
    order = receive(customer, "9000.00", "SO-OVER")
    client = logged_in(manager)
    before = _state()

    refused = client.post(
        reverse("credit_order_release", args=[order.pk]), {"release-comment": "ok"}
    )

    assert refused.status_code == 400
    assert "Confirm to release it over the limit." in refused.content.decode()
    assert _state() == before

    done = client.post(
        reverse("credit_order_release", args=[order.pk]),
        {"release-comment": "ok", "release-confirm_over_limit": "on"},
    )

    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == "released"
    assert order.decisions.last().over_limit_confirmed is True


def test_a_collector_cannot_release_above_their_authority_but_may_forward(
    collector, manager, senior, held
):
    big, small, _ = held  # 8,000 and 2,000; the collector's authority is 5,000
    client = logged_in(collector)
    before = _state()

    page = client.get(reverse("credit_order", args=[big.pk]))
    refused = client.post(reverse("credit_order_release", args=[big.pk]), {"release-comment": "x"})

    assert "above your release authority" in page.content.decode()
    assert "Release the order" not in page.content.decode()
    assert refused.status_code == 400
    assert "forward it" in refused.content.decode()
    assert _state() == before

    forwarded = client.post(
        reverse("credit_order_forward", args=[big.pk]),
        {"forward-to": senior.pk, "forward-comment": "too big for me"},
    )
    released = client.post(
        reverse("credit_order_release", args=[small.pk]), {"release-comment": "small one"}
    )

    assert (forwarded.status_code, released.status_code) == (302, 302)
    big.refresh_from_db()
    small.refresh_from_db()
    assert (big.status, big.assigned_to) == ("held", senior)
    assert big.decisions.last().forwarded_to == senior
    assert small.status == "released"


def test_forwarding_to_someone_whose_authority_does_not_cover_it_is_refused(
    collector, manager, customer
):
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="stop", reason="legal"
    )
    order = receive(customer, "150000.00", "SO-HUGE")  # above carla's 100,000
    before = _state()

    response = logged_in(collector).post(
        reverse("credit_order_forward", args=[order.pk]), {"forward-to": manager.pk}
    )

    assert response.status_code == 400
    assert "authority does not cover" in response.content.decode()
    assert _state() == before


def test_bulk_release_and_reject_one_by_one_with_one_comment(manager, held, customer):
    big, small, later = held
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="good", reason="legal"
    )

    released = logged_in(manager).post(
        reverse("credit_releases_bulk"),
        {"orders": [big.pk, small.pk], "action": "release", "comment": "reviewed"},
    )
    rejected = logged_in(manager).post(
        reverse("credit_releases_bulk"),
        {"orders": [later.pk], "action": "reject", "comment": "no stock anyway"},
    )

    assert (released.status_code, rejected.status_code) == (302, 302)
    assert dict(Order.objects.values_list("external_ref", "status")) == {
        "SO-BIG": "released",
        "SO-SMALL": "released",
        "SO-LATER": "rejected",
    }


def test_recheck_releases_an_order_whose_reason_is_gone(manager, held, customer):
    big, _, _ = held
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="good", reason="legal"
    )

    response = logged_in(manager).post(reverse("credit_order_recheck", args=[big.pk]))

    assert response.status_code == 302
    big.refresh_from_db()
    assert (big.status, big.decisions.last().kind) == ("released", "rechecked")


def test_a_cfo_sees_the_queue_but_cannot_decide(held):
    from accounts import roles
    from tests.factories import user_in_role

    cfo = user_in_role(roles.CFO, "cleo")
    big, _, _ = held
    before = _state()

    page = logged_in(cfo).get(reverse("credit_releases"))
    refused = logged_in(cfo).post(
        reverse("credit_order_release", args=[big.pk]), {"release-comment": "x"}
    )

    assert page.status_code == 200
    assert refused.status_code == 403
    assert _state() == before


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_another_portfolios_order_is_a_404_like_one_that_does_not_exist(name, collector):
    other = CustomerFactory(assigned_collector=another_collector("olga"), credit_status="hold")
    order = receive(other, "10.00", "SO-OTHER")
    client = logged_in(collector)
    method = client.get if name == "credit_order" else client.post
    before = _state()

    response = method(reverse(name, args=[order.pk]), WRITES.get(name))
    unknown = method(reverse(name, args=[order.pk + 1000]), WRITES.get(name))

    assert (response.status_code, unknown.status_code) == (404, 404)
    assert _state() == before


def test_exposure_on_the_credit_page_shows_held_orders(manager, held, customer):
    response = logged_in(manager).get(reverse("credit_customer", args=[customer.pk]))

    assert response.context["exposure"].held_orders == Decimal("13000.00")
    assert "of which held: 13,000.00 USD" in response.content.decode()
