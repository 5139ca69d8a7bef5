"""Scheduled work of the collector's workflow: thin, idempotent wrappers over services."""

from celery import shared_task

from .services import payment_plans_evaluate, promises_evaluate, queue_state_refresh


@shared_task(acks_late=True)
def queue_refresh_all() -> int:
    return queue_state_refresh()


@shared_task(acks_late=True)
def promise_sweep() -> int:
    """Mark promises and payment plans whose deadlines passed without the cash; refresh the
    queue after."""
    return promises_evaluate() + payment_plans_evaluate()
