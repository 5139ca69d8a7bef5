"""Dunning's background work: the nightly run, one send task per communication, the
printable file. Thin wrappers over services; each is safe to run twice."""

from celery import shared_task
from django.conf import settings


@shared_task(acks_late=True)
def dunning_run_nightly() -> int:
    """Build tonight's run (once per day, whoever fires it); it sends unless it needs approval."""
    from .models import DunningRunTrigger
    from .services import dunning_run_start

    return dunning_run_start(actor=None, trigger=DunningRunTrigger.NIGHTLY).pk


@shared_task(acks_late=True)
def dunning_dispatch(run_id: int) -> int:
    """One task per queued communication; running twice only queues harmless duplicates."""
    from .models import CommunicationStatus, DunningCommunication

    ids = DunningCommunication.objects.filter(
        run_id=run_id, status__in=[CommunicationStatus.QUEUED, CommunicationStatus.SENDING]
    ).values_list("pk", flat=True)
    count = 0
    for pk in ids.order_by("pk").iterator():
        dunning_send.apply_async(args=[pk], queue=settings.DUNNING_QUEUE)
        count += 1
    return count


# A communication another worker holds is looked at again this often, this many times: the
# holder may be a dying worker whose connection (and advisory lock) is not yet gone.
BUSY_RECHECK_SECONDS = 5
BUSY_RECHECKS = 60


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def dunning_send(self, communication_id: int, busy_checks: int = 0) -> str:
    """Send one communication (idempotent: the key is customer, level, run)."""
    from .sending import TransientSendError, communication_send

    final = self.request.retries >= settings.DUNNING_MAX_AUTO_RETRIES
    try:
        outcome = communication_send(communication_id, final_attempt=final)
    except TransientSendError as exc:
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 600)) from exc
    if outcome == "busy" and busy_checks < BUSY_RECHECKS:
        # Not dropped: if the holder dies mid-send, this check finishes the communication.
        dunning_send.apply_async(
            args=[communication_id],
            kwargs={"busy_checks": busy_checks + 1},
            countdown=BUSY_RECHECK_SECONDS,
            queue=settings.DUNNING_QUEUE,
        )
    return outcome


@shared_task(acks_late=True)
def dunning_print_build(run_id: int) -> str:
    """The run's letters combined for printing: one PDF, or a ZIP of PDFs for a large run."""
    from .printing import print_file_build

    return print_file_build(run_id)
