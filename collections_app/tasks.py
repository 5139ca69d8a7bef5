"""Scheduled work of the collector's workflow: thin, idempotent wrappers over services."""

from celery import shared_task

from .services import emails, payment_plans_evaluate, promises_evaluate, queue_state_refresh


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
    # A worker killed before the hand-over gives the message back; one killed during it
    # leaves "sending" in the audit trail, so the next delivery never sends a second e-mail.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(emails.TransientSendError,),
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=False,
    max_retries=6,
)
def statement_email_deliver(
    self, activity_id: int, contact_id: int, template: str, message: str = ""
) -> str:
    """Send an e-mail the workspace queued, at most once; a mail server that accepted nothing
    (down, or 4xx) is tried again with back-off (30 s, 1 min, 2 min … about 30 min in all),
    then the timeline says it failed."""
    return emails.statement_email_deliver(
        activity_id=activity_id,
        contact_id=contact_id,
        template=template,
        message=message,
        final_attempt=self.request.retries >= self.max_retries,
    )
