"""Hooks the apps above accounts register at start-up (DESIGN.md: no import upward).

``customer_changed_hooks`` run inside the transaction of ``customer_update``, with the id
of the customer and the names of the fields that changed, so that what is derived from
the account (the queue score reads its credit status, limit and do-not-contact flag)
commits or rolls back with the change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

customer_changed_hooks: list[Callable[[int, set[str]], None]] = []

# A credit status or limit written by a path below credit (the admin form, the CSV import, a
# customer created through the API) or beside it (a dunning level with the hold action) is
# recorded by credit in its history, with the path as the reason, in the same transaction:
# credit registers the recorder here. ``changes`` maps "credit_status"/"credit_limit" to
# (before, after).
credit_recorded_hooks: list[Callable[..., None]] = []

CREDIT_FIELDS = ("credit_status", "credit_limit")


def run_customer_changed(customer_id: int, fields: Iterable[str]) -> None:
    changed = set(fields)
    if not changed:
        return
    for hook in list(customer_changed_hooks):
        hook(int(customer_id), changed)


def run_credit_recorded(
    *,
    actor,
    customer,
    changes: dict[str, tuple],
    source: str,
    comment: str = "",
    created: bool = False,
) -> None:
    if not changes:
        return
    for hook in list(credit_recorded_hooks):
        hook(
            actor=actor,
            customer=customer,
            changes=changes,
            source=source,
            comment=comment,
            created=created,
        )
