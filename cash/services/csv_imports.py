"""Customers, invoices and payments CSVs from finance's upload page, imported in a Celery task.

The request only stores the file (Django's storage API) and queues the task, so a 50 MB
file never holds a request open. The task runs the same import functions as the API and the
``import_*`` commands (same checks, same messages, all or nothing), and writes its progress
through a connection of its own: the import itself is one transaction that nobody else sees
until it commits, but the page polling the job must see the rows go by.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.files.uploadedfile import UploadedFile
from django.db import connections, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.csv_reading import ImportRejected, ImportResult, RowError
from accounts.errors import ServiceError
from accounts.imports import import_customers
from invoices.imports import import_invoices, import_payments

from ..models import CsvImport, CsvImportKind, ImportStatus

IMPORTERS: dict[str, Callable[..., ImportResult]] = {
    CsvImportKind.CUSTOMERS: import_customers,
    CsvImportKind.INVOICES: import_invoices,
    CsvImportKind.PAYMENTS: import_payments,
}
# what a person needs to import each kind, besides working the cash pages
KIND_PERMISSIONS = {
    CsvImportKind.CUSTOMERS: "accounts.add_customer",
    CsvImportKind.INVOICES: "invoices.add_invoice",
    CsvImportKind.PAYMENTS: "invoices.add_payment",
}
LISTED_ERRORS = 1000  # the page lists this many; the count says how many there were


def csv_import_upload(*, actor, kind: str, upload: UploadedFile) -> CsvImport:
    """Store the file and queue its import (after commit). Nothing is read here but its size."""
    if kind not in IMPORTERS:
        raise ServiceError(f"unknown kind of import {kind!r}", field="kind")
    if not upload.size:
        raise ServiceError("the file is empty", field="file")
    from ..tasks import csv_import_run

    name = (upload.name or f"{kind}.csv")[:200]
    with transaction.atomic():
        job = CsvImport(
            kind=kind,
            file_name=name,
            size=upload.size,
            rows_total=_estimate_rows(upload),
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        job.file.save(name, upload, save=False)
        job.save()
        audit_record(
            actor=actor,
            action="csv_import.upload",
            instance=job,
            after={"kind": kind, "file_name": name, "size": job.size, "file": job.file.name},
        )
        transaction.on_commit(lambda: csv_import_run.delay(job.pk))
    return job


def _estimate_rows(upload: UploadedFile) -> int:
    """Lines after the header: the bar's length until the check has counted the rows."""
    lines = 0
    for chunk in upload.chunks():
        lines += chunk.count(b"\n")
    upload.seek(0)
    return max(lines - 1, 0)


def csv_import_process(*, csv_import_id: int) -> CsvImport:
    """Run the import of a stored file; a job that has finished is left as it is."""
    with transaction.atomic():
        job = CsvImport.objects.select_for_update().get(pk=csv_import_id)
        if not job.running:
            return job
        job.status = ImportStatus.RUNNING
        job.started_at = timezone.now()
        job.rows_checked = job.rows_done = 0
        job.save(update_fields=["status", "started_at", "rows_checked", "rows_done"])
    progress = _ProgressWriter(job)
    try:
        with job.file.open("rb") as file:
            result = IMPORTERS[job.kind](file, actor=job.uploaded_by, progress=progress)
    except ImportRejected as rejected:
        return _finish(job, progress, rejected=rejected)
    except Exception:
        # the import's transaction rolled back: say so on the page, and let the task fail
        stopped = ImportRejected([RowError(None, None, "the import stopped unexpectedly")])
        _finish(job, progress, rejected=stopped)
        raise
    finally:
        progress.close()
    return _finish(job, progress, result=result)


class _ProgressWriter:
    """Writes the rows checked and written on a connection outside the import's transaction."""

    def __init__(self, job: CsvImport):
        self.job_id = job.pk
        self.total = job.rows_total
        self.checked = 0
        self.written = 0
        self._connection = None

    def __call__(self, stage: str, rows: int) -> None:
        if stage == "checked":
            self.checked = rows
            self.total = max(self.total, rows)
        else:
            self.written = rows
            self.total = self.checked  # the check has counted them all by now
        if self._connection is None:
            self._connection = connections.create_connection("default")
        with self._connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cash_csvimport SET rows_total = %s, rows_checked = %s, rows_done = %s "
                "WHERE id = %s",
                [self.total, min(self.checked, self.total), self.written, self.job_id],
            )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _finish(
    job: CsvImport,
    progress: _ProgressWriter,
    *,
    result: ImportResult | None = None,
    rejected: ImportRejected | None = None,
) -> CsvImport:
    with transaction.atomic():
        job = CsvImport.objects.select_for_update().get(pk=job.pk)
        job.finished_at = timezone.now()
        job.rows_checked = progress.checked
        if rejected is not None:
            job.status = ImportStatus.FAILED
            job.errors = [error.as_dict() for error in rejected.errors[:LISTED_ERRORS]]
            job.error_total = rejected.total
            job.rows_total = max(progress.checked, job.rows_total)
            job.rows_done = 0
        else:
            job.status = ImportStatus.DONE
            job.rows_total = job.rows_done = progress.written
            job.created, job.updated, job.unchanged = (
                result.created,
                result.updated,
                result.unchanged,
            )
        job.save()
        audit_record(
            actor=job.uploaded_by,
            action="csv_import.finish",
            instance=job,
            after={
                "status": job.status,
                "kind": job.kind,
                "rows": job.rows_total,
                "created": job.created,
                "updated": job.updated,
                "unchanged": job.unchanged,
                "errors": job.error_total,
            },
        )
    return job
