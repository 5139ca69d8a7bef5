"""/dashboard/: KPI tiles with change, charts from snapshots, top overdue, team view only."""

import datetime
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from reporting.aging import BUCKET_LABELS, BUCKETS
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger():
    today = timezone.localdate()
    big = CustomerFactory(name="Big Debtor")
    small = CustomerFactory(name="Small Debtor")
    invoice(big, "5000.00", issue_date=today - datetime.timedelta(days=100), due_days=30)
    invoice(small, "300.00", issue_date=today - datetime.timedelta(days=50), due_days=30)
    invoice(small, "700.00", issue_date=today - datetime.timedelta(days=10), due_days=30)
    call_command(
        "backfill_snapshots",
        "--start",
        (today - datetime.timedelta(days=400)).isoformat(),
        "--end",
        (today - datetime.timedelta(days=1)).isoformat(),
    )


def test_cfo_sees_kpi_tiles_charts_and_the_top_overdue_accounts(client, ledger):
    client.force_login(user_in_role(roles.CFO, "cfo"))

    response = client.get("/dashboard/")

    html = response.content.decode()
    assert response.status_code == 200
    for label in ["DSO", "Countback DSO", "Best possible DSO", "ADD", "CEI", "Over 90 days"]:
        assert f"<span>{label}</span>" in html
    assert "vs previous" in html
    assert html.index("Big Debtor") < html.index("Small Debtor")
    data = json.loads(
        re.search(r'id="dashboard-data" type="application/json">(.*?)</script>', html).group(1)
    )
    assert len(data["labels"]) == 13
    assert [series["label"] for series in data["aged"]] == [BUCKET_LABELS[b] for b in BUCKETS]
    assert "chart.umd.js" in html
    assert "<script>" not in html  # CSP: no inline script, data travels as JSON


def test_a_collector_without_team_view_cannot_open_the_dashboard(client):
    client.force_login(user_in_role(roles.COLLECTOR, "alice"))

    assert client.get("/dashboard/").status_code == 403


def test_the_dashboard_reads_snapshots_in_a_bounded_number_of_queries(client, ledger):
    client.force_login(user_in_role(roles.CFO, "cfo"))
    client.get("/dashboard/")

    with CaptureQueriesContext(connection) as captured:
        client.get("/dashboard/")

    assert len(captured.captured_queries) <= 12
