"""Finance's exports as the person sees them: the panel with their exports at the top of
the aging page, a new export moving to its download, the list still there after a reload,
and a date in the future refused with a message beside the filters."""

import datetime

import pytest
from django.utils import timezone

from accounts import roles
from reporting.models import ExportJob
from tests.e2e.test_reporting_pages import _ledger, _log_in, eager_celery  # noqa: F401
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db(transaction=True)


def test_finance_exports_from_the_top_of_the_aging_page_and_finds_them_after_a_reload(
    page,
    screenshot,
    eager_celery,  # noqa: F811
):
    user_in_role(roles.FINANCE, "fiona")
    _ledger()

    _log_in(page, "fiona")
    page.goto("/reports/aging/?view=detail")
    panel = page.get_by_role("region", name="Export")
    assert page.get_by_text("No export yet").is_visible()
    table_top = page.locator("table.report").bounding_box()["y"]
    assert panel.bounding_box()["y"] + panel.bounding_box()["height"] < table_top
    assert panel.bounding_box()["y"] < 900  # in the first screen, not under the table

    page.get_by_label("Format").select_option("xlsx")
    page.get_by_role("button", name="Export").click()
    page.get_by_role("link", name="Download").first.wait_for()
    assert not page.get_by_text("No export yet").is_visible()
    page.get_by_label("Format").select_option("pdf")
    page.get_by_role("button", name="Export").click()
    page.locator("#export-jobs li").nth(1).wait_for()
    page.locator("#export-jobs li.status-done").nth(1).wait_for()

    page.reload()
    jobs = page.get_by_role("list", name="Your exports").locator("li")
    assert jobs.count() == 2
    newest = jobs.first.inner_text()
    assert "Aging detail · PDF" in newest and "24 rows" in newest
    assert "due date basis · amounts in USD · no filter" in newest
    assert "KB" in newest or "bytes" in newest
    keep = ExportJob.objects.order_by("-pk").first().expires_at
    assert f"until {keep:%Y-%m-%d}" in newest
    with page.expect_download() as download:
        jobs.nth(1).get_by_role("link", name="Download").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    screenshot("reporting_export_history")


def test_a_future_as_of_is_refused_beside_the_filters(page, screenshot):
    user_in_role(roles.FINANCE, "fiona")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    _log_in(page, "fiona")
    page.goto(f"/reports/aging/?as_of={tomorrow.isoformat()}")

    alert = page.get_by_role("alert")
    assert f"{tomorrow.isoformat()} is in the future" in alert.inner_text()
    assert page.get_by_label("As of").input_value() == tomorrow.isoformat()
    assert page.locator("table.report").count() == 0
    screenshot("reporting_aging_future_date")
