"""Hooks the workflow above disputes registers at start-up (DESIGN.md: no import upward).

``dispute_changed_hooks`` run inside the dispute service's transaction with the ids of the
customers whose disputes opened or moved: the queue score reads what is in dispute, so it
commits or rolls back with the dispute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

dispute_changed_hooks: list[Callable[[set[int]], None]] = []

# A resolution that issued a credit memo (from the dispute page, a resolver's approved
# proposal or the API): the account's timeline says so. The workflow registers the line;
# it runs in the dispute service's transaction with the actor, the dispute and the memo.
dispute_credited_hooks: list[Callable[..., None]] = []


def run_dispute_changed(customer_ids: Iterable[int]) -> None:
    ids = {int(pk) for pk in customer_ids}
    if not ids:
        return
    for hook in list(dispute_changed_hooks):
        hook(ids)


def run_dispute_credited(*, actor, dispute, memo) -> None:
    for hook in list(dispute_credited_hooks):
        hook(actor=actor, dispute=dispute, memo=memo)
