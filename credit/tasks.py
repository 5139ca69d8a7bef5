"""Celery tasks of credit control: thin wrappers over ``credit.services``."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def credit_holds_lapse() -> int:
    """Nightly: dated watches and holds whose end date has passed lapse (safe to run twice)."""
    return len(services.credit_holds_lapse())
