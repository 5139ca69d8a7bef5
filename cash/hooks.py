"""Hooks the workflow above cash registers at start-up (DESIGN.md: no import upward).

- ``money_out_hooks``: a refund or contra was posted, requested, approved or rejected.
  Called with ``actor``, ``customer_id``, ``summary`` and ``note`` inside the writer's
  transaction, so the account's timeline line commits or rolls back with it.
"""

from __future__ import annotations

from collections.abc import Callable

money_out_hooks: list[Callable[..., None]] = []


def run_money_out(*, actor, customer_id: int, summary: str, note: str = "") -> None:
    for hook in list(money_out_hooks):
        hook(actor=actor, customer_id=int(customer_id), summary=summary, note=note)
