"""Hooks the workflow above disputes registers at start-up (DESIGN.md: no import upward).

``dispute_changed_hooks`` run inside the dispute service's transaction with the ids of the
customers whose disputes opened or moved: the queue score reads what is in dispute, so it
commits or rolls back with the dispute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

dispute_changed_hooks: list[Callable[[set[int]], None]] = []


def run_dispute_changed(customer_ids: Iterable[int]) -> None:
    ids = {int(pk) for pk in customer_ids}
    if not ids:
        return
    for hook in list(dispute_changed_hooks):
        hook(ids)
