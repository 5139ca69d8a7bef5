"""Run one export job: rebuild the user's scoped query, write the file, record progress."""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.fx import ReportError

from ..aging import detail_page
from ..models import ExportJob, ExportKind, ExportStatus
from ..selectors import AgingFilters, aging_query_for
from .tables import detail_columns, detail_rows, summary_table
from .writers import WRITERS

logger = logging.getLogger(__name__)


def export_path(job: ExportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / "exports" / job.file_name


def _filters(parameters: dict) -> AgingFilters:
    return AgingFilters(
        as_of=datetime.date.fromisoformat(parameters["as_of"]),
        basis=parameters.get("basis", "due"),
        grouping=parameters.get("grouping", "customer"),
        collector=parameters.get("collector"),
        currency=parameters.get("currency"),
        customer=parameters.get("customer"),
        in_dispute=parameters.get("in_dispute"),
    )


def export_run(job_id: int) -> ExportJob:
    """Write the file for a queued job; a re-run of a finished job does nothing."""
    claimed = ExportJob.objects.filter(
        pk=job_id, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).update(status=ExportStatus.RUNNING, progress=0)
    job = ExportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    # The job's owner is re-checked now: reach is theirs as of the run, not as of the click.
    user = get_user_model().objects.get(pk=job.user_id)
    filters = _filters(job.parameters)
    query = aging_query_for(user, filters)
    name = f"aging-{job.kind}-{filters.as_of.isoformat()}-{job.pk}.{job.format}"
    job.file_name = name
    path = export_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)

    try:
        if job.kind == ExportKind.SUMMARY:
            _report, columns, rows, totals = summary_table(query, filters.grouping)
            expected = max(1, len(rows))
            title = f"Aging summary by {filters.grouping} as of {filters.as_of}"
        else:
            expected, _ = detail_page(query, offset=0, limit=0)
            expected = max(1, expected)
            columns = detail_columns(settings.REPORTING_CURRENCY)
            rows = detail_rows(query)
            totals = None
            title = f"Aging detail as of {filters.as_of}"

        def progress(done: int) -> None:
            percent = min(99, done * 100 // expected)
            ExportJob.objects.filter(pk=job.pk).update(progress=percent, rows_written=done)

        WRITERS[job.format](path, title, columns, rows, totals, progress)
    except ReportError as error:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(error)[:500], finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE, progress=100, file_name=name, finished_at=timezone.now()
    )
    job.refresh_from_db()
    logger.info("export %s written: %s rows to %s", job.pk, job.rows_written, name)
    return job
