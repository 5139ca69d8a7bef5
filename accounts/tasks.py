"""Background work on reference data: the ECB euro reference rates, when configured."""

import logging

from celery import shared_task

from .exchange_rates import ecb_rates_load

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def ecb_rates_daily() -> str:
    """Load the day's EUR → X rates from ``settings.ECB_RATES_URL``; nothing when unset.

    Safe to run twice: the same day's rates again change nothing and write no audit entry.
    """
    result = ecb_rates_load()
    if result is None:
        logger.info("ECB rates: ECB_RATES_URL is not set, nothing loaded")
        return "off"
    logger.info("ECB rates: %s", result)
    return str(result)
