"""Hooks the workflow above the ledger registers at start-up (DESIGN.md: no import upward).

``cash_applied_hooks`` run inside the ledger's transaction, after cash or credit is applied
to, or reversed from, invoices, with the ids of the customers those invoices belong to.
They run in the transaction so that what they derive (a promise kept, a queue score)
commits or rolls back with the money.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

cash_applied_hooks: list[Callable[[set[int]], None]] = []


def run_cash_applied(customer_ids: Iterable[int]) -> None:
    ids = {int(pk) for pk in customer_ids}
    if not ids:
        return
    for hook in list(cash_applied_hooks):
        hook(ids)
