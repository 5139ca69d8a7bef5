"""Celery tasks for reporting: thin wrappers over exports and snapshots."""

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from .exports import export_run
from .services import exports_expire as export_files_expire
from .snapshots import snapshot_take

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def export_aging(job_id: int) -> str:
    return export_run(job_id).status


@shared_task(acks_late=True)
def exports_expire() -> int:
    """Nightly: delete the export files past settings.REPORTING_EXPORT_KEEP_DAYS."""
    return export_files_expire()


@shared_task(acks_late=True)
def ar_snapshot_daily(day: str | None = None) -> str:
    """Yesterday's close by default; rewriting a day's snapshot is harmless."""
    when = (
        datetime.date.fromisoformat(day)
        if day
        else timezone.localdate() - datetime.timedelta(days=1)
    )
    snapshot = snapshot_take(day=when)
    logger.info("AR snapshot %s: %s %s", when, snapshot.total, snapshot.currency)
    return str(snapshot.total)
