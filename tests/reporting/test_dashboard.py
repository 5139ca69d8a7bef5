"""/dashboard/: KPI tiles with change, charts from snapshots, top overdue, team view only."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from accounts.buckets import BUCKET_LABELS, BUCKETS
from collections_app.models import PromiseStatus
from reporting.dashboard import cash_target
from reporting.models import CashTarget
from tests.factories import CustomerFactory, invoice, payment, user_in_role
from tests.reporting.workflow_records import dispute, promise

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


def test_the_dashboard_shows_promises_kept_per_collector_and_disputes_by_reason(client, ledger):
    today = timezone.localdate()
    alice = user_in_role(roles.COLLECTOR, "alice")
    customer = CustomerFactory(name="Promising Ltd")
    promise(customer, PromiseStatus.KEPT, today - datetime.timedelta(days=3), alice)
    promise(customer, PromiseStatus.BROKEN, today - datetime.timedelta(days=4), alice)
    promise(customer, PromiseStatus.BROKEN, today - datetime.timedelta(days=5), alice)
    promise(customer, PromiseStatus.KEPT, today - datetime.timedelta(days=6), alice)
    dispute(customer, "damaged", "123.45")
    client.force_login(user_in_role(roles.CFO, "cfo"))

    html = client.get("/dashboard/").content.decode()

    assert "<span>Promises kept</span>\n    <strong>50.00 %</strong>" in html
    assert "2 of 4 due in the period" in html
    assert (
        '<tr><td>alice</td><td class="num">2</td><td class="num">0</td>\n'
        '    <td class="num">2</td><td class="num">50.00 %</td></tr>'
    ) in html
    assert '<td>Damaged goods</td><td class="num">1</td>' in html
    assert "123.45" in html


def test_the_cash_tile_shows_collected_against_the_target_with_a_progress_bar(client, ledger):
    end = timezone.localdate() - datetime.timedelta(days=1)
    start = end - datetime.timedelta(days=29)
    payment(CustomerFactory(), "250.00", received_date=end)
    call_command("backfill_snapshots", "--start", end.isoformat(), "--end", end.isoformat())
    month = start.replace(day=1)
    while month <= end:
        CashTarget.objects.create(month=month, amount=Decimal("1000.00"))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    target = cash_target(start, end)
    client.force_login(user_in_role(roles.CFO, "cfo"))

    html = client.get("/dashboard/", {"start": start, "end": end}).content.decode()

    progress = (Decimal("250.00") / target * 100).quantize(Decimal("0.01"))
    assert f'<progress class="cash-target" max="100" value="{progress}">' in html
    assert f"{progress} % of the " in html


def test_without_a_target_the_cash_tile_says_so(client, ledger):
    client.force_login(user_in_role(roles.CFO, "cfo"))

    html = client.get("/dashboard/").content.decode()

    assert "no cash target set for the period" in html
    assert "<progress" not in html


def test_a_collector_without_team_view_sees_no_company_figure_on_the_dashboard(client, ledger):
    client.force_login(user_in_role(roles.COLLECTOR, "alice"))

    response = client.get("/dashboard/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Your figures" in html
    assert "Big Debtor" not in html
    assert 'id="dashboard-data"' not in html
    assert "<span>DSO</span>" not in html


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/dashboard/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/dashboard/")


def test_the_dashboard_reads_snapshots_in_a_bounded_number_of_queries(client, ledger):
    client.force_login(user_in_role(roles.CFO, "cfo"))
    client.get("/dashboard/")

    with CaptureQueriesContext(connection) as captured:
        client.get("/dashboard/")

    # a constant count: session, user and permissions, snapshots, top overdue, promises,
    # the per-collector table (coverage, collector snapshots, disputes, calls, names), the
    # dispute cycle, disputes by reason and the cash target; tests/reporting/
    # test_dashboard_collectors.py proves it does not grow with the team
    assert len(captured.captured_queries) <= 19
