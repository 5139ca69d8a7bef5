"""Hooks the workflow above the ledger registers at start-up (DESIGN.md: no import upward).

Every hook runs inside the ledger's transaction, with the ids of the customers whose
invoices moved, so that what the workflow derives (a promise kept, a queue score) commits
or rolls back with the money.

- ``cash_applied_hooks``: cash or credit was applied to, or reversed from, invoices.
- ``ledger_changed_hooks``: an invoice was created, or its balance adjusted (a write-off).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

cash_applied_hooks: list[Callable[[set[int]], None]] = []
ledger_changed_hooks: list[Callable[[set[int]], None]] = []


def _run(hooks: list[Callable[[set[int]], None]], customer_ids: Iterable[int]) -> None:
    ids = {int(pk) for pk in customer_ids}
    if not ids:
        return
    for hook in list(hooks):
        hook(ids)


def run_cash_applied(customer_ids: Iterable[int]) -> None:
    _run(cash_applied_hooks, customer_ids)


def run_ledger_changed(customer_ids: Iterable[int]) -> None:
    _run(ledger_changed_hooks, customer_ids)
