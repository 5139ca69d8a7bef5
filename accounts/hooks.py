"""Hooks the apps above accounts register at start-up (DESIGN.md: no import upward).

Both hooks take many customers at once, so a set-based writer (the customer import) runs
each receiver once per batch rather than once per row; the one-customer services call them
with a batch of one.

``customer_changed_hooks`` run inside the writer's transaction with a mapping of customer
id to the names of the fields that changed, so that what is derived from the account (the
queue score reads its credit status, limit and do-not-contact flag) commits or rolls back
with the change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

customer_changed_hooks: list[Callable[[dict[int, set[str]]], None]] = []

# A credit status or limit written by a path below credit (the admin form, the CSV import, a
# customer created through the API) or beside it (a dunning level with the hold action) is
# recorded by credit in its history, with the path as the reason, in the same transaction:
# credit registers the recorder here. ``records`` is a list of (customer, changes), where
# ``changes`` maps "credit_status"/"credit_limit" to (before, after).
credit_recorded_hooks: list[Callable[..., None]] = []

CREDIT_FIELDS = ("credit_status", "credit_limit")
CreditRecord = tuple[Any, dict[str, tuple]]


def run_customer_changed(customer_id: int, fields: Iterable[str]) -> None:
    run_customers_changed({customer_id: fields})


def run_customers_changed(changes: Mapping[int, Iterable[str]]) -> None:
    """Once for a whole batch: each customer id with the fields that changed on it."""
    changed = {int(pk): set(fields) for pk, fields in changes.items()}
    changed = {pk: fields for pk, fields in changed.items() if fields}
    if not changed:
        return
    for hook in list(customer_changed_hooks):
        hook(changed)


def run_credit_recorded(
    *,
    actor,
    customer,
    changes: dict[str, tuple],
    source: str,
    comment: str = "",
    created: bool = False,
) -> None:
    run_credits_recorded(
        actor=actor, records=[(customer, changes)], source=source, comment=comment, created=created
    )


def run_credits_recorded(
    *,
    actor,
    records: Sequence[CreditRecord],
    source: str,
    comment: str = "",
    created: bool = False,
) -> None:
    """Once for a whole batch: the credit changes of many customers, by the same path."""
    records = [(customer, changes) for customer, changes in records if changes]
    if not records:
        return
    for hook in list(credit_recorded_hooks):
        hook(actor=actor, records=records, source=source, comment=comment, created=created)
