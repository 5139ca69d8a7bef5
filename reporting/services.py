"""The writes reporting makes: queuing an export (snapshots are in ``snapshots.py``)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from .models import ExportFormat, ExportJob, ExportKind
from .selectors import AgingFilters


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
