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
from .describe import describe, names_for
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


# How far along the file is once its rows are all written: the rest is the writer's own
# work after them (laying out the PDF's pages, zipping the XLSX).
ROWS_SHARE = {"csv": 99, "xlsx": 90, "pdf": 40}
STAGES = {"rendering": {"pdf": 40}, "writing": {"xlsx": 90, "pdf": 85}}


class ExportProgress:
    """Records a job's progress as its rows are written: the rows' share of the file scaled
    to the count expected, then the writer's later stages. A row is written only when the
    percentage moves, so a 200k-row export records at most a hundred updates."""

    def __init__(self, job_id: int, format: str, expected: int):
        self.job_id = job_id
        self.format = format
        self.expected = max(1, expected)
        self.percent = 0
        self.done = 0

    def __call__(self, done: int) -> None:
        share = ROWS_SHARE[self.format]
        self._record(min(share, done * share // self.expected), done)

    def stage(self, name: str) -> None:
        self._record(STAGES.get(name, {}).get(self.format, self.percent), self.done)

    def _record(self, percent: int, done: int) -> None:
        if percent <= self.percent and done == self.done:
            return
        moved = percent > self.percent
        self.percent, self.done = max(percent, self.percent), done
        if moved:
            ExportJob.objects.filter(pk=self.job_id).update(
                progress=self.percent, rows_written=done
            )


def export_run(job_id: int) -> ExportJob:
    """Write the file for a queued job; a re-run of a finished job does nothing."""
    claimed = ExportJob.objects.filter(
        pk=job_id, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).update(status=ExportStatus.RUNNING, progress=0, rows_written=0)
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
    subtitle = describe(job.parameters, *names_for(user, [job.parameters]))

    try:
        if job.kind == ExportKind.SUMMARY:
            _report, columns, rows, totals = summary_table(query, filters.grouping)
            expected = len(rows)
            title = f"Aging summary by {filters.grouping} as of {filters.as_of}"
        else:
            expected, _ = detail_page(query, offset=0, limit=0)
            columns = detail_columns(settings.REPORTING_CURRENCY)
            rows = detail_rows(query)
            totals = None
            title = f"Aging detail as of {filters.as_of}"
        progress = ExportProgress(job.pk, job.format, expected)
        WRITERS[job.format](path, title, columns, rows, totals, progress, subtitle=subtitle)
    except ReportError as error:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(error)[:500], finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE,
        progress=100,
        rows_written=progress.done,
        file_name=name,
        file_size=path.stat().st_size,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    logger.info("export %s written: %s rows to %s", job.pk, job.rows_written, name)
    return job
