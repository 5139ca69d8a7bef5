"""Customers, invoices and payments CSVs through finance's upload page and the Celery task
(eager here): the request stores the file and queues; the task imports it with the same
checks and messages as the API; a refused file writes nothing and lists its errors."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from accounts import roles
from accounts.csv_reading import ImportRejected
from accounts.models import AuditEntry, Customer
from cash.models import CsvImport
from cash.services.csv_imports import _ProgressWriter
from invoices.imports import import_invoices
from invoices.models import Application, Invoice, Payment
from tests.factories import CustomerFactory, user_in_role

from .conftest import logged_in

pytestmark = pytest.mark.django_db

INVOICES = (
    "invoice_number,customer_ref,issue_date,due_date,amount,currency,po_number\n"
    "INV-1,ACME,2026-01-02,2026-02-01,100.00,USD,PO-7\n"
    "INV-2,ACME,2026-01-15,2026-02-14,250.50,USD,\n"
)
BAD_INVOICES = (
    "invoice_number,customer_ref,issue_date,due_date,amount,currency,po_number\n"
    "INV-1,ACME,2026-01-02,2026-02-01,100.00,USD,\n"
    "INV-2,NOBODY,2026-01-15,2026-02-14,abc,USD,\n"
    "INV-1,ACME,2026-01-02,2025-12-01,5.00,XXX,\n"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(client, kind: str, content: str, name: str = "file.csv"):
    upload = SimpleUploadedFile(name, content.encode(), content_type="text/csv")
    return client.post(reverse("cash_csv_imports"), {"kind": kind, "file": upload})


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Customer, Invoice, Payment, Application))


def _import(client, kind, content, capture, name="file.csv") -> CsvImport:
    with capture(execute=True):
        response = _upload(client, kind, content, name)
    job = CsvImport.objects.get(file_name=name)
    assert response.status_code == 302
    assert response["Location"] == reverse("cash_csv_import_detail", args=[job.pk])
    return job


def test_finance_imports_an_invoices_csv_in_the_background(
    finance, acme, eager, django_capture_on_commit_callbacks
):
    client = logged_in(finance)

    job = _import(client, "invoices", INVOICES, django_capture_on_commit_callbacks, "inv.csv")

    job.refresh_from_db()
    assert (job.status, job.kind, job.rows_total, job.rows_done, job.percent) == (
        "done",
        "invoices",
        2,
        2,
        100,
    )
    assert (job.created, job.updated, job.unchanged, job.errors) == (2, 0, 0, [])
    assert job.started_at <= job.finished_at and job.uploaded_by == finance
    assert job.file.read().decode() == INVOICES  # stored through the storage API
    assert sorted(Invoice.objects.values_list("number", "amount", "customer__external_ref")) == [
        ("INV-1", Decimal("100.00"), "ACME"),
        ("INV-2", Decimal("250.50"), "ACME"),
    ]
    assert set(
        AuditEntry.objects.filter(object_type="cash.csvimport").values_list("action", flat=True)
    ) == {"csv_import.upload", "csv_import.finish"}
    assert AuditEntry.objects.filter(action="invoice.create", actor=finance).count() == 2

    page = client.get(reverse("cash_csv_import_detail", args=[job.pk]))
    assert "invoices: 2 created, 0 updated, 0 unchanged" in page.content.decode()
    history = client.get(reverse("cash_csv_imports")).content.decode()
    assert "inv.csv" in history and "fiona" in history and "Done" in history


def test_the_upload_request_only_stores_the_file_and_queues_the_task(
    finance, acme, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _upload(logged_in(finance), "invoices", INVOICES)

    job = CsvImport.objects.get()
    assert response.status_code == 302
    assert (job.status, job.rows_total, Invoice.objects.count()) == ("queued", 2, 0)
    assert len(callbacks) == 1  # the task, after the commit
    page = logged_in(finance).get(reverse("cash_csv_import_detail", args=[job.pk]))
    assert 'hx-trigger="every 1s"' in page.content.decode()  # the page polls while it waits


def test_a_bad_file_lists_the_same_errors_by_row_and_column_and_writes_nothing(
    finance, acme, eager, django_capture_on_commit_callbacks
):
    with pytest.raises(ImportRejected) as direct:
        import_invoices(io.BytesIO(BAD_INVOICES.encode()), actor=finance)
    before = _counts()

    job = _import(logged_in(finance), "invoices", BAD_INVOICES, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert job.status == "failed"
    assert _counts() == before
    expected = [(e.row, e.column, e.reason) for e in direct.value.errors]
    assert [(e["row"], e["column"], e["reason"]) for e in job.errors] == expected
    assert job.error_total == len(expected) >= 4
    assert (3, "customer_ref") in [(e["row"], e["column"]) for e in job.errors]
    page = logged_in(finance).get(reverse("cash_csv_import_detail", args=[job.pk]))
    html = page.content.decode()
    assert "Nothing was imported" in html
    assert "unknown customer &#x27;NOBODY&#x27;" in html


def test_importing_the_same_file_again_creates_nothing(
    finance, acme, eager, django_capture_on_commit_callbacks
):
    client = logged_in(finance)
    _import(client, "invoices", INVOICES, django_capture_on_commit_callbacks, "a.csv")
    again = _import(client, "invoices", INVOICES, django_capture_on_commit_callbacks, "b.csv")

    again.refresh_from_db()
    assert (again.status, again.created, again.unchanged) == ("done", 0, 2)
    assert Invoice.objects.count() == 2


def test_customers_then_payments_files(finance, eager, django_capture_on_commit_callbacks):
    client = logged_in(finance)
    customers = _import(
        client,
        "customers",
        "external_ref,name,currency,credit_limit\nBETA,Beta Ltd,USD,5000\nGAMMA,Gamma AG,EUR,\n",
        django_capture_on_commit_callbacks,
        "customers.csv",
    )
    _import(
        client,
        "invoices",
        "invoice_number,customer_ref,issue_date,due_date,amount,currency\n"
        "B-1,BETA,2026-01-02,2026-02-01,300.00,USD\n",
        django_capture_on_commit_callbacks,
        "beta.csv",
    )
    payments = _import(
        client,
        "payments",
        "reference,customer_ref,received_date,amount,currency,invoice_number\n"
        "PAY-1,BETA,2026-02-03,120.00,USD,B-1\n",
        django_capture_on_commit_callbacks,
        "payments.csv",
    )

    customers.refresh_from_db()
    payments.refresh_from_db()
    assert (customers.status, customers.created) == ("done", 2)
    assert Customer.objects.get(external_ref="BETA").credit_limit == Decimal("5000")
    assert (payments.status, payments.created) == ("done", 1)
    assert Invoice.objects.get(number="B-1").open_amount == Decimal("180.00")
    assert Payment.objects.get(reference="PAY-1").unapplied_amount == Decimal("0")


@pytest.mark.parametrize("role", [roles.COLLECTOR, roles.CFO, roles.CREDIT_MANAGER, roles.RESOLVER])
def test_only_finance_and_admins_reach_the_csv_imports(
    role, acme, eager, django_capture_on_commit_callbacks
):
    client = logged_in(user_in_role(role, "someone"))
    job = CsvImport.objects.create(kind="invoices", file_name="x.csv", file="csv-imports/x.csv")

    assert client.get(reverse("cash_csv_imports")).status_code == 403
    assert client.get(reverse("cash_csv_import_detail", args=[job.pk])).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert _upload(client, "invoices", INVOICES).status_code == 403
    assert (CsvImport.objects.count(), Invoice.objects.count()) == (1, 0)


def test_an_admin_may_import(acme, eager, django_capture_on_commit_callbacks):
    admin = user_in_role(roles.ADMIN, "ada")
    client = logged_in(admin)
    assert client.get(reverse("cash_csv_imports")).status_code == 200
    job = _import(client, "invoices", INVOICES, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 2)


def test_an_empty_or_unknown_upload_is_refused_on_the_form(finance):
    client = logged_in(finance)
    assert _upload(client, "invoices", "").status_code == 400
    assert _upload(client, "ledgers", INVOICES).status_code == 400
    assert CsvImport.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_progress_is_written_outside_the_import_transaction():
    """The import is one transaction; its progress must be visible before it commits."""
    CustomerFactory(external_ref="ACME")
    job = CsvImport.objects.create(kind="invoices", file_name="x.csv", file="csv-imports/x.csv")
    writer = _ProgressWriter(job)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            writer("checked", 4000)
            writer("written", 2000)
            raise RuntimeError("the import rolls back")
    finally:
        writer.close()

    job.refresh_from_db()
    assert (job.rows_total, job.rows_checked, job.rows_done, job.percent) == (4000, 4000, 2000, 75)
