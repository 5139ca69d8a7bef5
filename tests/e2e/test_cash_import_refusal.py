"""A refused import seen in a browser: the page is open on the progress bar while the worker
checks the file; when the worker refuses it, the polled part of the page turns to the
refusal (the bar goes, "Refused", the errors by row/column or line/record), for a CSV import
and for a bank file. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts import roles
from cash.models import BankImport, CsvImport
from cash.services import bank_import_process, csv_import_process, csv_imports
from invoices.models import Invoice, Payment
from tests.cash.statements import camt053
from tests.factories import CustomerFactory, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"
HEADER = "invoice_number,customer_ref,issue_date,due_date,amount,currency,po_number"


def _log_in(page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill("fiona")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


class HeldWorker:
    """The Celery worker in a thread of its own, held at a point until the test releases it."""

    def __init__(self):
        self.release = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, target, **kwargs) -> None:
        def run():
            try:
                target(**kwargs)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        self.threads.append(thread)
        thread.start()

    def join(self) -> None:
        self.release.set()
        for thread in self.threads:
            thread.join(timeout=120)


@pytest.fixture
def worker(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from cash import tasks

    held = HeldWorker()
    original = csv_imports._ProgressWriter.__call__

    def checked_then_wait(self, stage: str, rows: int) -> None:
        original(self, stage, rows)
        if stage == "checked":
            held.release.wait(timeout=120)  # the page sees the bar part-full meanwhile

    def bank_delay(bank_import_id: int) -> None:
        def run(bank_import_id: int) -> None:
            held.release.wait(timeout=120)
            bank_import_process(bank_import_id=bank_import_id)

        held.start(run, bank_import_id=bank_import_id)

    monkeypatch.setattr(csv_imports._ProgressWriter, "__call__", checked_then_wait)
    monkeypatch.setattr(
        tasks.csv_import_run,
        "delay",
        lambda pk: held.start(csv_import_process, csv_import_id=pk),
    )
    monkeypatch.setattr(tasks.bank_import_run, "delay", bank_delay)
    yield held
    held.join()


def test_a_refused_csv_import_turns_from_its_bar_to_its_errors(page, screenshot, tmp_path, worker):
    user_in_role(roles.FINANCE, "fiona")
    CustomerFactory(external_ref="ACME", name="Acme Tools Inc.")
    rows = [f"INV-{n:05d},ACME,2026-03-01,2026-03-31,{n}.25,USD," for n in range(2400)]
    rows.append("INV-BAD,NOBODY,2026-03-01,2026-03-31,ten,USD,")
    bad = tmp_path / "invoices-with-a-bad-last-row.csv"
    bad.write_text("\n".join([HEADER, *rows]) + "\n")

    _log_in(page, "/cash/imports/csv/")
    tab = page.locator("nav.cash-tabs a[aria-current=page]")
    assert tab.inner_text() == "CSV imports"
    page.get_by_label("What the file holds").select_option("invoices")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and import").click()

    progress = page.locator("#import-progress")
    progress.get_by_text("checked 2000 of 2401 rows").wait_for(timeout=60_000)
    assert int(page.locator("#import-bar").get_attribute("value")) == 41
    assert page.locator("nav.cash-tabs a[aria-current=page]").inner_text() == "CSV imports"
    screenshot("cash-csv-import-checking")
    worker.release.set()

    page.locator("#import-status", has_text="Refused").wait_for(timeout=60_000)
    assert page.locator("#import-bar").count() == 0
    assert "nothing was imported" in progress.inner_text()
    errors = [
        [cell.inner_text() for cell in row.locator("td").all()]
        for row in page.locator("#import-errors tbody tr").all()
    ]
    assert [
        "2402",
        "customer_ref",
        "unknown customer 'NOBODY' (import the customers file first)",
    ] in (errors)
    assert any(row[:2] == ["2402", "amount"] for row in errors)
    screenshot("cash-csv-import-refused")
    assert CsvImport.objects.get().status == "failed"
    assert Invoice.objects.count() == 0


def test_a_refused_bank_file_turns_from_its_bar_to_its_errors(page, screenshot, tmp_path, worker):
    user_in_role(roles.FINANCE, "fiona")
    statement = tmp_path / "camt053-wrong-count.xml"
    statement.write_bytes(camt053(count=9))  # the summary counts 9 entries; there are 4

    _log_in(page, "/cash/imports/")
    assert page.locator("nav.cash-tabs a[aria-current=page]").inner_text() == "Bank files"
    page.get_by_label("Statement file").set_input_files(str(statement))
    page.get_by_role("button", name="Upload and import").click()

    page.locator("#import-status", has_text="Queued").wait_for()
    assert page.locator("#import-bar").get_attribute("value") == "0"
    screenshot("cash-bank-import-queued")
    worker.release.set()

    page.locator("#import-status", has_text="Refused").wait_for(timeout=60_000)
    assert page.locator("#import-bar").count() == 0
    assert "nothing was imported" in page.locator("#import-progress").inner_text()
    (error,) = page.locator("#import-errors tbody tr").all()
    cells = [cell.inner_text() for cell in error.locator("td").all()]
    assert cells[1] == "TxsSummry/TtlNtries/NbOfNtries"
    screenshot("cash-bank-import-refused")
    assert BankImport.objects.get().status == "failed"
    assert Payment.objects.count() == 0
