"""Celery tasks of credit control: thin wrappers over ``credit.services``."""

from celery import shared_task

from . import hold_rules, reviews, services


@shared_task(acks_late=True)
def credit_holds_lapse() -> int:
    """Nightly: dated watches and holds whose end date has passed lapse (safe to run twice)."""
    return len(services.credit_holds_lapse())


@shared_task(acks_late=True)
def credit_risk_refresh() -> int:
    """Nightly, after the queue refresh: every customer's risk score and class, then the
    review dates the classes ask for."""
    scored = services.risk_scores_refresh()
    reviews.review_dates_refresh()
    return scored


@shared_task(acks_late=True)
def credit_hold_rules_evaluate() -> int:
    """Nightly, after the risk score: every active hold rule against every customer."""
    run = hold_rules.hold_rules_evaluate()
    return len(run.fired) + len(run.cleared)
