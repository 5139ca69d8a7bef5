"""GET /api/v1/reports/kpis/: every KPI as a decimal string rounded to two places."""

import datetime

import pytest
from rest_framework.test import APIClient

from accounts import roles
from collections_app.models import PromiseStatus
from disputes.models import DisputeStatus
from tests.factories import CustomerFactory, invoice, user_in_role
from tests.reporting.workflow_records import dispute, promise

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/kpis/"


def test_kpi_api_returns_each_figure_rounded_to_two_places():
    cfo = user_in_role(roles.CFO, "cfo")
    customer = CustomerFactory()
    invoice(customer, "1000.00", issue_date=datetime.date(2026, 1, 15), due_days=30)
    invoice(customer, "400.00", issue_date=datetime.date(2026, 3, 20), due_days=30)
    invoice(customer, "600.00", issue_date=datetime.date(2026, 3, 5), due_days=10)
    client = APIClient()
    client.force_authenticate(cfo)

    response = client.get(URL, {"start": "2026-03-01", "end": "2026-03-31"})

    assert response.status_code == 200
    assert response.json() == {
        "start": "2026-03-01",
        "end": "2026-03-31",
        "dso": "62.00",
        "countback_dso": "31.00",
        "best_possible_dso": "12.40",
        "add": "49.60",
        # (1000 + 1000/1 - 2000) / (1000 + 1000/1 - 400) * 100
        "cei": "0.00",
        "over_90_pct": "0.00",
        "currency": "USD",
        "days": 31,
        "ar_start": "1000.00",
        "ar_end": "2000.00",
        "current_ar": "400.00",
        "credit_sales": "1000.00",
        "cash_collected": "0.00",
        "promise_kept_rate": None,
        "promises_kept": 0,
        "promises_partially_kept": 0,
        "promises_broken": 0,
        "promise_kept_rate_by_collector": [],
        "dispute_cycle_days": None,
        "dispute_cycle_median_days": None,
        "disputes_resolved": 0,
    }


def test_kpis_without_sales_are_null_not_an_error():
    cfo = user_in_role(roles.CFO, "cfo")
    client = APIClient()
    client.force_authenticate(cfo)

    body = client.get(URL, {"start": "2026-03-01", "end": "2026-03-31"}).json()

    assert (body["dso"], body["best_possible_dso"], body["add"]) == (None, None, None)


def test_a_collector_gets_kpis_of_their_own_portfolio_only():
    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob")
    invoice(
        CustomerFactory(assigned_collector=alice), "100.00", issue_date=datetime.date(2026, 3, 2)
    )
    invoice(CustomerFactory(assigned_collector=bob), "900.00", issue_date=datetime.date(2026, 3, 2))
    client = APIClient()
    client.force_authenticate(alice)

    body = client.get(URL, {"start": "2026-03-01", "end": "2026-03-31"}).json()

    assert (body["ar_end"], body["credit_sales"]) == ("100.00", "100.00")


def test_promise_kept_rate_is_a_decimal_string_overall_and_per_collector():
    cfo = user_in_role(roles.CFO, "cfo")
    alice = user_in_role(roles.COLLECTOR, "alice")
    customer = CustomerFactory(assigned_collector=alice)
    for status in [PromiseStatus.KEPT, PromiseStatus.KEPT, PromiseStatus.BROKEN]:
        promise(customer, status, datetime.date(2026, 3, 15), alice)
    promise(customer, PromiseStatus.PARTIALLY_KEPT, datetime.date(2026, 4, 1), alice)
    client = APIClient()
    client.force_authenticate(cfo)

    body = client.get(URL, {"start": "2026-03-01", "end": "2026-03-31"}).json()

    assert (body["promise_kept_rate"], body["promises_kept"], body["promises_broken"]) == (
        "66.67",
        2,
        1,
    )
    assert body["promise_kept_rate_by_collector"] == [
        {
            "collector": alice.pk,
            "name": "alice",
            "promise_kept_rate": "66.67",
            "promises_kept": 2,
            "promises_partially_kept": 0,
            "promises_broken": 1,
        }
    ]


def test_start_after_end_is_refused():
    cfo = user_in_role(roles.CFO, "cfo")
    client = APIClient()
    client.force_authenticate(cfo)

    assert client.get(URL, {"start": "2026-04-01", "end": "2026-03-31"}).status_code == 400


def test_dispute_cycle_time_is_the_mean_and_median_days_of_disputes_resolved_in_the_period():
    cfo = user_in_role(roles.CFO, "cfo")
    customer = CustomerFactory()
    opened = datetime.datetime(2026, 2, 20, 12, 0, tzinfo=datetime.UTC)
    for days in ["9", "10.5", "30"]:  # resolved Mar 1 12:00, Mar 3 00:00, Mar 22 12:00
        dispute(
            customer,
            "pricing",
            "10.00",
            status=DisputeStatus.RESOLVED,
            opened_at=opened,
            resolved_at=opened + datetime.timedelta(days=float(days)),
        )
    # resolved after the period, and still open: neither counts
    dispute(
        customer,
        "tax",
        "10.00",
        status=DisputeStatus.RESOLVED,
        opened_at=opened,
        resolved_at=datetime.datetime(2026, 4, 1, 0, 0, tzinfo=datetime.UTC),
    )
    dispute(customer, "tax", "10.00", opened_at=opened)
    client = APIClient()
    client.force_authenticate(cfo)

    body = client.get(URL, {"start": "2026-03-01", "end": "2026-03-31"}).json()

    # (9 + 10.5 + 30) / 3 = 16.5; the median is 10.5
    assert (
        body["dispute_cycle_days"],
        body["dispute_cycle_median_days"],
        body["disputes_resolved"],
    ) == ("16.50", "10.50", 3)


def test_a_collector_gets_the_dispute_cycle_of_their_own_portfolio_only():
    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob")
    opened = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    for owner, days in [(alice, 2), (bob, 20)]:
        dispute(
            CustomerFactory(assigned_collector=owner),
            "pricing",
            "10.00",
            status=DisputeStatus.RESOLVED,
            opened_at=opened,
            resolved_at=opened + datetime.timedelta(days=days),
        )
    client = APIClient()
    client.force_authenticate(alice)

    body = client.get(URL, {"start": "2026-03-01", "end": "2026-03-31"}).json()

    assert (body["dispute_cycle_days"], body["disputes_resolved"]) == ("2.00", 1)
