"""Scheduled work of the collector's workflow: thin, idempotent wrappers over services."""

from celery import shared_task

from .services import emails, payment_plans_evaluate, promises_evaluate, queue_state_refresh
from .services.emails import PERMANENT_SEND_ERRORS, TRANSIENT_SEND_ERRORS


@shared_task(acks_late=True)
def queue_refresh_all() -> int:
    """Rows written; customers whose row could not be stored are logged by the service."""
    return queue_state_refresh().rows


@shared_task(acks_late=True)
def promise_sweep() -> int:
    """Mark promises and payment plans whose deadlines passed without the cash; refresh the
    queue after."""
    return promises_evaluate() + payment_plans_evaluate()


@shared_task(
    bind=True,
    # Acknowledged on receipt: a worker killed after the hand-over must not send it again.
    acks_late=False,
    autoretry_for=TRANSIENT_SEND_ERRORS,
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=6,
)
def statement_email_deliver(
    self, activity_id: int, contact_id: int, template: str, message: str = ""
) -> str:
    """Send an e-mail the workspace queued; a mail server that is down is tried again with
    back-off (30 s, 1 min, 2 min … about 30 min in all), then the timeline says it failed."""
    try:
        return emails.statement_email_deliver(
            activity_id=activity_id, contact_id=contact_id, template=template, message=message
        )
    except TRANSIENT_SEND_ERRORS as exc:
        if self.request.retries < self.max_retries:
            raise
        emails.statement_email_failed(activity_id=activity_id, error=f"mail server: {exc}")
        return "failed"
    except PERMANENT_SEND_ERRORS as exc:
        emails.statement_email_failed(activity_id=activity_id, error=f"{type(exc).__name__}: {exc}")
        return "failed"
