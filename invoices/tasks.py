"""Background work on the ledger. Tasks are thin: call a selector or service, log the outcome."""

import logging

from celery import shared_task

from .selectors import ledger_discrepancies

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def ledger_check() -> int:
    """Nightly proof that every stored balance equals the applications behind it."""
    problems = ledger_discrepancies()
    for row in problems[:100]:
        logger.error(
            "ledger discrepancy: %s %s (%s) stored %s, derived %s",
            row["kind"],
            row["id"],
            row["ref"],
            row["stored"],
            row["derived"],
        )
    if not problems:
        logger.info("ledger check: every stored balance matches its applications")
    return len(problems)
