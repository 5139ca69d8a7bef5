"""Background work on the ledger. Tasks are thin: call a selector or service, log the outcome."""

import logging

from celery import shared_task

from .selectors import currencies_without_rate, ledger_discrepancies

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def ledger_check() -> int:
    """Nightly proof that every stored balance equals the applications behind it, and that
    every currency with open items has a rate in force to the reporting currency."""
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
    missing = currencies_without_rate()
    for row in missing:
        logger.error(
            "no exchange rate from %s to %s in force on %s: %s open invoices, %s %s",
            row["currency"],
            row["to"],
            row["on"],
            row["invoices"],
            row["open_amount"],
            row["currency"],
        )
    if not problems:
        logger.info("ledger check: every stored balance matches its applications")
    return len(problems) + len(missing)
