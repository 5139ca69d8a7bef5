"""The workflow's reactions to events in the apps below it, registered as their hooks in
``CollectionsAppConfig.ready`` and run inside the writer's transaction."""

from __future__ import annotations

from accounts.models import Customer

from ..models import ActivityKind
from .activities import activity_add
from .queue import queue_state_refresh


def on_ledger_changed(customer_ids: set[int]) -> None:
    """An invoice was created or written down: its customer's score and facts move."""
    queue_state_refresh(customer_ids=customer_ids)


def on_dispute_changed(customer_ids: set[int]) -> None:
    """A dispute opened or moved: what is in dispute leaves or rejoins the collectable."""
    queue_state_refresh(customer_ids=customer_ids)


# The customer columns the queue's refresh reads (QUEUE_REFRESH_SQL's target): a change to
# any other (a name, an address, the collector) leaves the score as it is.
SCORED_CUSTOMER_FIELDS = frozenset({"credit_status", "credit_limit", "do_not_contact", "currency"})


def on_customers_changed(changes: dict[int, set[str]]) -> None:
    """Account settings changed: the scores of the customers where a column the score reads
    changed are refreshed, in one statement (a customer import would otherwise refresh them
    for every renamed row, or one by one)."""
    scored = [pk for pk, fields in changes.items() if fields & SCORED_CUSTOMER_FIELDS]
    if scored:
        queue_state_refresh(customer_ids=scored)


def on_money_out(*, actor, customer_id: int, summary: str, note: str = "") -> None:
    """A refund or contra was posted, requested or decided in cash: a line on the timeline."""
    activity_add(
        actor=actor,
        customer=Customer.objects.get(pk=customer_id),
        kind=ActivityKind.SYSTEM,
        summary=summary,
        note=note,
    )
