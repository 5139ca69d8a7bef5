"""GET /api/v1/reports/kpis/: every KPI as a decimal string rounded to two places."""

import datetime

import pytest
from rest_framework.test import APIClient

from accounts import roles
from collections_app.models import PromiseStatus
from tests.factories import CustomerFactory, invoice, user_in_role
from tests.reporting.workflow_records import promise

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
