"""Celery tasks of disputes: thin wrappers over the services."""

from celery import shared_task

from .sla import dispute_sla_notify


@shared_task(acks_late=True)
def dispute_sla_notices() -> dict[str, int]:
    """Hourly: e-mail each open dispute's owner once before and once after its SLA due
    date (safe to run twice: each notice is stamped when sent)."""
    sent = dispute_sla_notify()
    return {"warned": len(sent.warned), "breached": len(sent.breached)}
