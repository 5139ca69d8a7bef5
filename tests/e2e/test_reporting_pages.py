"""Finance reads the aging and exports it; the CFO's dashboard draws its charts."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import roles
from accounts.models import Currency, ExchangeRate
from dunwell.celery import app as celery_app
from reporting.models import CashTarget
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def _ledger(collectors=()):
    """Four customers, assigned in turn to ``collectors`` when given."""
    today = timezone.localdate()
    ExchangeRate.objects.create(
        currency_id="EUR",
        quote_currency_id="USD",
        valid_from=today - datetime.timedelta(days=900),
        rate="1.10",
    )
    names = ["Northwind Packaging Co.", "Bluewater Logistics GmbH", "Acme Tools", "Globex"]
    for n, name in enumerate(names):
        currency = Currency.objects.get(code="EUR" if "GmbH" in name else "USD")
        owner = collectors[n % len(collectors)] if collectors else None
        customer = CustomerFactory(name=name, currency=currency, assigned_collector=owner)
        for k in range(6):
            invoice(
                customer,
                f"{(n + 1) * 1000 + k * 137}.45",
                number=f"INV-{n}{k:03d}",
                issue_date=today - datetime.timedelta(days=20 + k * 60 + n * 7),
                due_days=30,
            )
    call_command(
        "backfill_snapshots",
        "--start",
        (today - datetime.timedelta(days=400)).isoformat(),
        "--end",
        (today - datetime.timedelta(days=1)).isoformat(),
    )


def _log_in(page, username):
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.fixture
def eager_celery(settings, tmp_path):
    """The export runs inside the request here; test_export_worker.py covers a real worker."""
    settings.MEDIA_ROOT = tmp_path
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_finance_reads_the_aging_summary_and_detail_and_exports_it(page, screenshot, eager_celery):
    user_in_role(roles.FINANCE, "fiona")
    _ledger()

    _log_in(page, "fiona")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Aging").click()
    page.wait_for_url("**/reports/aging/")
    assert page.get_by_role("heading", name="Aging").is_visible()
    total_cell = page.locator("table.report tfoot th.num").last
    assert total_cell.evaluate("e => getComputedStyle(e).textAlign") == "right"
    assert total_cell.inner_text().endswith(" USD")
    screenshot("reporting_aging_summary")

    page.get_by_role("link", name="Detail", exact=True).click()
    page.wait_for_url("**view=detail**")
    assert page.get_by_text("24 open items").is_visible()
    page.get_by_label("Format").select_option("csv")
    page.get_by_role("button", name="Export").click()
    download_link = page.get_by_role("link", name="Download")
    download_link.wait_for()
    assert "24 rows" in page.locator("#export-jobs li").first.inner_text()
    screenshot("reporting_aging_detail")


def test_cfo_dashboard_draws_both_charts(page, screenshot):
    user_in_role(roles.CFO, "carla")
    _ledger()
    today = timezone.localdate()
    for month in {today.replace(day=1), (today - datetime.timedelta(days=31)).replace(day=1)}:
        CashTarget.objects.create(month=month, amount=Decimal("20000.00"))

    _log_in(page, "carla")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/dashboard/")
    page.wait_for_selector("body[data-charts-drawn='true']")
    for canvas in ("#dso-trend", "#aged-debt"):
        assert page.locator(canvas).evaluate("c => c.width > 0 && c.height > 0")
        # a drawn chart has painted pixels
        assert page.locator(canvas).evaluate(
            "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v)"
        )
    assert page.locator(".tile.kpi").count() == 10
    assert page.locator(".tile.kpi").get_by_text("Dispute cycle time").is_visible()
    assert page.locator("progress.cash-target").count() == 1
    # the month still open has no DSO point, and the chart says so
    yesterday = today - datetime.timedelta(days=1)
    data = page.evaluate("JSON.parse(document.getElementById('dashboard-data').textContent)")
    if (yesterday + datetime.timedelta(days=1)).day != 1:
        assert data["labels"][-1] == f"{yesterday:%b %Y} (to {yesterday:%b %d})"
        assert data["dso"][-1] is None
    note = page.locator("figure.chart", has=page.locator("#dso-trend")).locator(".chart-note")
    assert note.inner_text() == (
        "Closed months only: the current month has no DSO point until it closes (a few days "
        "of sales against the whole balance would read as a jump)."
    )
    screenshot("reporting_dashboard")


def test_the_dashboard_has_a_row_per_collector_and_a_collector_sees_only_theirs(page, screenshot):
    user_in_role(roles.CFO, "carla")
    alice = user_in_role(roles.COLLECTOR, "alice", first_name="Alice", last_name="Avery")
    bob = user_in_role(roles.COLLECTOR, "bob", first_name="Bob", last_name="Berg")
    _ledger([alice, bob])

    _log_in(page, "carla")
    page.goto("/dashboard/")
    table = page.locator("#collectors table")
    table.wait_for()
    assert table.locator("tbody tr").count() == 2
    assert table.locator("tbody tr").first.locator("td").first.inner_text() == "Alice Avery"
    assert table.locator("tbody tr td.num").first.inner_text().endswith(" USD")
    assert table.locator("td.num").first.evaluate("e => getComputedStyle(e).textAlign") == ("right")
    page.locator("#collectors").scroll_into_view_if_needed()
    screenshot("reporting_dashboard_collectors")
    table.get_by_role("link", name="Alice Avery").click()
    page.wait_for_url(f"**/reports/aging/?as_of=*&collector={alice.pk}")
    assert page.get_by_text("Northwind Packaging Co.").is_visible()

    page.context.clear_cookies()
    _log_in(page, "bob")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/dashboard/")
    assert page.get_by_role("heading", name="Your figures").is_visible()
    rows = page.locator("#collectors tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").first.inner_text() == "Bob Berg"
    assert page.locator(".tile.kpi").count() == 0
    screenshot("reporting_dashboard_collector_own")
