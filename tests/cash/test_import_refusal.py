"""When the task refuses a file, the import's page turns to the refusal: the progress fragment
the page polls stops polling, drops its bar (neither full, as if done, nor part-full, as if
still going) and shows the errors by row and column (CSV) or line and record (bank files).
A reader or a row that breaks ends the job as refused too, never running for ever."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cash import matching, services
from cash.bankfiles import BankFileError, mt940_reader
from cash.models import BankImport, CsvImport
from invoices.models import Invoice, Payment
from tests.factories import invoice

from .conftest import logged_in
from .statements import DUNWELL_DAY, Entry, camt053, mt940

pytestmark = pytest.mark.django_db

HEADER = "invoice_number,customer_ref,issue_date,due_date,amount,currency,po_number\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _fragment(client, name: str, pk: int) -> str:
    response = client.get(reverse(name, args=[pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


# --- customers, invoices and payments CSV ---------------------------------------------------


def test_a_refused_csv_import_turns_its_polled_fragment_from_the_bar_to_the_errors(finance, acme):
    rows = [f"INV-{n:04d},ACME,2026-01-02,2026-02-01,10.00,USD," for n in range(11)]
    rows.append("INV-BAD,NOBODY,2026-01-02,2026-02-01,ten,USD,")
    upload = SimpleUploadedFile("bad.csv", (HEADER + "\n".join(rows) + "\n").encode())
    job = services.csv_import_upload(actor=finance, kind="invoices", upload=upload)
    # the worker is part-way through the check: the bar is part-full and the page polls
    CsvImport.objects.filter(pk=job.pk).update(status="running", rows_checked=6)
    client = logged_in(finance)
    running = _fragment(client, "cash_csv_import_detail", job.pk)
    assert '<progress id="import-bar" max="100" value="25">' in running
    assert 'hx-trigger="every 1s"' in running

    services.csv_import_process(csv_import_id=job.pk)

    refused = _fragment(client, "cash_csv_import_detail", job.pk)
    assert "<progress" not in refused
    assert "hx-trigger" not in refused
    assert 'class="status-failed badge bad">Refused</strong>' in refused
    assert "nothing was imported" in refused
    assert "Nothing was imported: the file has 2 errors" in refused
    assert (
        '<td class="num">13</td><td>customer_ref</td>'
        "<td>unknown customer &#x27;NOBODY&#x27; (import the customers file first)</td>"
    ) in refused
    assert '<td class="num">13</td><td>amount</td>' in refused
    assert Invoice.objects.count() == 0
    # the whole page says the same
    page = client.get(reverse("cash_csv_import_detail", args=[job.pk])).content.decode()
    assert "<progress" not in page and "Nothing was imported" in page


def test_a_finished_csv_import_keeps_its_full_bar(finance, acme):
    upload = SimpleUploadedFile(
        "good.csv", (HEADER + "INV-1,ACME,2026-01-02,2026-02-01,10.00,USD,\n").encode()
    )
    job = services.csv_import_upload(actor=finance, kind="invoices", upload=upload)
    services.csv_import_process(csv_import_id=job.pk)

    done = _fragment(logged_in(finance), "cash_csv_import_detail", job.pk)

    assert '<progress id="import-bar" max="100" value="100">' in done
    assert "invoices: 1 created, 0 updated, 0 unchanged" in done


# --- bank files -------------------------------------------------------------------------------


def test_a_refused_bank_file_turns_its_polled_fragment_to_the_errors(finance, acme):
    job = services.bank_import_upload(
        actor=finance, file_name="short.xml", content=camt053(count=9)
    )
    client = logged_in(finance)
    queued = _fragment(client, "cash_import_detail", job.pk)
    assert '<progress id="import-bar" max="100" value="0">' in queued
    assert 'hx-trigger="every 1s"' in queued

    services.bank_import_process(bank_import_id=job.pk)

    refused = _fragment(client, "cash_import_detail", job.pk)
    assert "<progress" not in refused
    assert "hx-trigger" not in refused
    assert 'class="status-failed badge bad">Refused</strong> · nothing was imported' in refused
    assert "Nothing was imported: the file has 1 error" in refused
    assert "<td>TxsSummry/TtlNtries/NbOfNtries</td>" in refused
    assert Payment.objects.count() == 0


def test_an_mt940_balance_that_is_no_number_is_refused_naming_its_statement(finance):
    content = mt940().replace(b":60F:C260302USD1000,00", b":60F:C260302USD1000,,00")

    with pytest.raises(BankFileError) as refused:
        mt940_reader.parse(content)

    (error,) = refused.value.errors
    assert (error["line"], error["record"]) == (1, ":20:")
    assert error["reason"].startswith("the statement does not parse")
    job = services.bank_import_upload(actor=finance, file_name="s.sta", content=content)
    assert services.bank_import_process(bank_import_id=job.pk).status == "failed"


def test_a_reader_that_breaks_ends_the_job_as_refused(finance, acme, monkeypatch):
    """A bug in a reader (simulated: no real file is known to break one) must not leave the
    page polling a job that never ends."""
    job = services.bank_import_upload(actor=finance, file_name="s.xml", content=camt053())

    def broken(content, csv_mapping=None):
        raise RuntimeError("reader bug")

    monkeypatch.setattr("cash.services.bank_imports.parse", broken)
    with pytest.raises(RuntimeError, match="reader bug"):
        services.bank_import_process(bank_import_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.rows_done) == ("failed", 0)
    assert job.errors == [
        {
            "line": None,
            "record": "file",
            "reason": "the file could not be read (the error is logged): nothing was imported",
        }
    ]
    refused = _fragment(logged_in(finance), "cash_import_detail", job.pk)
    assert "<progress" not in refused and "hx-trigger" not in refused
    assert Payment.objects.count() == 0


def test_a_row_that_breaks_stops_the_job_and_says_what_was_posted(finance, acme, monkeypatch):
    invoice(acme, "250.00", number="INV-0002")
    entries = [
        DUNWELL_DAY[0],
        Entry("BNK-0005", "60.00", payer="Acme Tools Inc.", text="INV-0002 rest"),
        Entry("BNK-0006", "70.00", payer="Acme Tools Inc.", text="more"),
    ]
    content = camt053(entries)
    job = services.bank_import_upload(actor=finance, file_name="s.xml", content=content)
    identify = matching.identify_customer
    calls = []

    def breaks_on_the_second(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("matcher bug")
        return identify(**kwargs)

    monkeypatch.setattr(matching, "identify_customer", breaks_on_the_second)
    with pytest.raises(RuntimeError, match="matcher bug"):
        services.bank_import_process(bank_import_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.credits_posted) == ("failed", 1, 3, 1)
    assert Payment.objects.count() == 1
    refused = _fragment(logged_in(finance), "cash_import_detail", job.pk)
    assert "<progress" not in refused and "hx-trigger" not in refused
    assert "stopped after 1 of 3 rows" in refused
    assert "the rows before line" in refused
    assert "it and the rows after it are not posted" in refused

    monkeypatch.setattr(matching, "identify_customer", identify)
    again = services.bank_import_upload(actor=finance, file_name="s.xml", content=content)
    again = services.bank_import_process(bank_import_id=again.pk)
    assert (again.status, again.already_imported, again.credits_posted) == ("done", 1, 2)
    assert BankImport.objects.filter(status="failed").count() == 1
