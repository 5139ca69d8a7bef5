"""Hooks the apps above accounts register at start-up (DESIGN.md: no import upward).

``customer_changed_hooks`` run inside the transaction of ``customer_update``, with the id
of the customer and the names of the fields that changed, so that what is derived from
the account (the queue score reads its credit status, limit and do-not-contact flag)
commits or rolls back with the change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

customer_changed_hooks: list[Callable[[int, set[str]], None]] = []


def run_customer_changed(customer_id: int, fields: Iterable[str]) -> None:
    changed = set(fields)
    if not changed:
        return
    for hook in list(customer_changed_hooks):
        hook(int(customer_id), changed)
