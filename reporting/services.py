"""The writes reporting makes: queuing an export, expiring old export files, setting a
month's cash target (snapshots are in ``snapshots.py``)."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from accounts.audit import audit_record, snapshot
from accounts.errors import ServiceError
from accounts.money import to_money

from .exports import export_path
from .models import CashTarget, ExportFormat, ExportJob, ExportKind, ExportStatus
from .selectors import AgingFilters, export_keep_cutoff

logger = logging.getLogger(__name__)


def export_job_create(*, user, kind: str, format: str, filters: AgingFilters) -> ExportJob:
    """Record the job and hand it to a worker once the row is committed."""
    from .tasks import export_aging

    if kind not in ExportKind.values or format not in ExportFormat.values:
        raise ValueError("unknown export kind or format")
    parameters = {
        "as_of": filters.as_of.isoformat(),
        "basis": filters.basis,
        "grouping": filters.grouping,
        "collector": filters.collector,
        "currency": filters.currency,
        "customer": filters.customer,
        "in_dispute": filters.in_dispute,
    }
    with transaction.atomic():
        job = ExportJob.objects.create(user=user, kind=kind, format=format, parameters=parameters)
        queue = settings.REPORTING_EXPORT_QUEUE
        transaction.on_commit(lambda: export_aging.apply_async((job.pk,), queue=queue))
    return job


def exports_expire(*, batch: int = 500) -> int:
    """Delete the files of exports past the keeping period and mark the jobs expired, so
    the history still says what was exported. The file goes before the commit: a failure
    after it leaves a done job without a file (a 404 on download), which the next sweep
    marks; the other order could leave a file nobody would ever delete."""
    expired = 0
    cutoff = export_keep_cutoff()
    while True:
        with transaction.atomic():
            jobs = list(
                ExportJob.objects.select_for_update(skip_locked=True)
                .filter(status=ExportStatus.DONE, finished_at__lt=cutoff)
                .order_by("pk")[:batch]
            )
            if not jobs:
                return expired
            for job in jobs:
                if job.file_name:
                    export_path(job).unlink(missing_ok=True)
            ExportJob.objects.filter(pk__in=[job.pk for job in jobs]).update(
                status=ExportStatus.EXPIRED
            )
        expired += len(jobs)
        logger.info("export files expired: %s (up to #%s)", len(jobs), jobs[-1].pk)


def cash_target_set(*, actor, month: datetime.date, amount: Decimal | str) -> CashTarget:
    """How much cash to collect in ``month`` (its first day), in the reporting currency;
    audited, since the dashboard's past months are measured against it."""
    if not isinstance(month, datetime.date) or month.day != 1:
        raise ServiceError("month must be the first day of a month", field="month")
    value = to_money(amount)
    if value < 0:
        raise ServiceError(f"a cash target cannot be negative, got {value}", field="amount")
    with transaction.atomic():
        target, created = CashTarget.objects.select_for_update().get_or_create(
            month=month, defaults={"amount": value}
        )
        if created:
            audit_record(
                actor=actor,
                action="cash_target.create",
                instance=target,
                after=snapshot(target, ["month", "amount"]),
            )
            return target
        if target.amount == value:
            return target
        before = snapshot(target, ["month", "amount"])
        target.amount = value
        target.save(update_fields=["amount"])
        audit_record(
            actor=actor,
            action="cash_target.change",
            instance=target,
            before=before,
            after=snapshot(target, ["month", "amount"]),
        )
        return target
