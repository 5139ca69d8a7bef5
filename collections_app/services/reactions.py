"""The workflow's reactions to events in the apps below it, registered as their hooks in
``CollectionsAppConfig.ready`` and run inside the writer's transaction."""

from __future__ import annotations

from .queue import queue_state_refresh


def on_ledger_changed(customer_ids: set[int]) -> None:
    """An invoice was created or written down: its customer's score and facts move."""
    queue_state_refresh(customer_ids=customer_ids)


def on_dispute_changed(customer_ids: set[int]) -> None:
    """A dispute opened or moved: what is in dispute leaves or rejoins the collectable."""
    queue_state_refresh(customer_ids=customer_ids)


def on_customer_changed(customer_id: int, fields: set[str]) -> None:
    """Account settings changed; the score reads the credit status, the credit limit, the
    do-not-contact flag and the account currency, and refreshing one customer is cheap
    enough not to pick among the fields."""
    queue_state_refresh(customer_ids=[customer_id])
