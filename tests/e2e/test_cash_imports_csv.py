"""Finance imports an invoices CSV from the cash pages in a browser: the upload returns at
once, the page shows the rows go by while a worker imports, then the result; a bad file
shows its errors by row and column and imports nothing.

The invoice import is fast (thousands of rows a second), so the worker is held after its
first written batch until the page has shown it: the bar is seen mid-way every time."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts import roles
from cash.models import CsvImport
from cash.services import csv_import_process, csv_imports
from invoices.models import Invoice
from tests.factories import CustomerFactory, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"
HEADER = "invoice_number,customer_ref,issue_date,due_date,amount,currency,po_number"
ROWS = 2400  # enough for the bar to move: progress is written every 2,000 rows


@pytest.fixture
def worker(monkeypatch):
    """The Celery worker: runs the queued import in a thread of its own, as a worker would."""
    from cash import tasks

    threads: list[threading.Thread] = []

    def run(csv_import_id: int) -> None:
        try:
            csv_import_process(csv_import_id=csv_import_id)
        finally:
            connection.close()

    def delay(csv_import_id: int) -> None:
        thread = threading.Thread(target=run, args=(csv_import_id,))
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(tasks.csv_import_run, "delay", delay)
    yield
    for thread in threads:
        thread.join(timeout=300)


@pytest.fixture
def held():
    """Hold the worker after its first batch of written rows until the test releases it."""
    release = threading.Event()
    original = csv_imports._ProgressWriter.__call__

    def call(self, stage: str, rows: int) -> None:
        original(self, stage, rows)
        if stage == "written" and rows < self.total:
            release.wait(timeout=120)

    csv_imports._ProgressWriter.__call__ = call
    yield release
    release.set()
    csv_imports._ProgressWriter.__call__ = original


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_finance_uploads_an_invoices_csv_watches_it_and_sees_the_errors_of_a_bad_one(
    page, screenshot, tmp_path, worker, media, held
):
    user_in_role(roles.FINANCE, "fiona")
    CustomerFactory(external_ref="ACME", name="Acme Tools Inc.")
    good = tmp_path / "invoices-march.csv"
    good.write_text(
        "\n".join(
            [HEADER]
            + [f"INV-{n:05d},ACME,2026-03-01,2026-03-31,{n}.25,USD,PO-{n}" for n in range(ROWS)]
        )
        + "\n"
    )
    bad = tmp_path / "invoices-bad.csv"
    bad.write_text(
        f"{HEADER}\n"
        "INV-90001,ACME,2026-03-01,2026-03-31,10.00,USD,\n"
        "INV-90002,NOBODY,2026-03-01,2026-03-31,ten,USD,\n"
        "INV-90003,ACME,2026-03-01,2026-02-01,5.00,USD,\n"
    )

    page.goto("/cash/imports/csv/")
    page.get_by_label("Username").fill("fiona")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Customers, invoices and payments CSV").wait_for()
    page.get_by_label("What the file holds").select_option("invoices")
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Upload and import").click()

    progress = page.locator("#import-progress")
    progress.get_by_text("written", exact=False).wait_for(timeout=120_000)
    bar = int(page.locator("#import-bar").get_attribute("value"))
    assert 50 <= bar < 100
    assert f"written 2000 of {ROWS} rows" in progress.inner_text()
    screenshot("cash-csv-import-running")
    held.set()
    page.locator("#import-status", has_text="Done").wait_for(timeout=300_000)
    assert page.locator("#import-bar").get_attribute("value") == "100"
    assert page.locator("#import-result").inner_text() == (
        f"invoices: {ROWS} created, 0 updated, 0 unchanged"
    )
    screenshot("cash-csv-import-done")
    assert Invoice.objects.count() == ROWS

    page.goto("/cash/imports/csv/")
    page.get_by_label("What the file holds").select_option("invoices")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and import").click()
    page.locator("#import-status", has_text="Refused").wait_for(timeout=60_000)
    rows = [
        [cell.inner_text() for cell in row.locator("td").all()]
        for row in page.locator("#import-errors tbody tr").all()
    ]
    assert ["3", "customer_ref", "unknown customer 'NOBODY' (import the customers file first)"] in (
        rows
    )
    assert any(row[:2] == ["3", "amount"] for row in rows)
    assert any(row[:2] == ["4", "due_date"] for row in rows)
    screenshot("cash-csv-import-errors")
    assert Invoice.objects.count() == ROWS  # nothing of the bad file

    page.goto("/cash/imports/csv/")
    history = page.locator("#csv-import-history tbody tr")
    assert history.count() == 2
    assert "Refused" in history.nth(0).inner_text()
    assert "Done" in history.nth(1).inner_text() and "fiona" in history.nth(1).inner_text()
    screenshot("cash-csv-import-history")
    assert CsvImport.objects.filter(status="done").count() == 1
