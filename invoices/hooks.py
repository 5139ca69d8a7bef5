"""Hooks the workflow above the ledger registers at start-up (DESIGN.md: no import upward).

Every hook runs inside the ledger's transaction, with the ids of the customers whose
invoices moved, so that what the workflow derives (a promise kept, a queue score) commits
or rolls back with the money.

- ``cash_applied_hooks``: cash or credit was applied to, or reversed from, invoices.
- ``ledger_changed_hooks``: an invoice was created, or its balance adjusted (a write-off).

Every receiver recomputes its derived state from the ledger for the set it is given, so a
caller writing many batches (an import) may run them once for all with ``hooks_deferred``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

cash_applied_hooks: list[Callable[[set[int]], None]] = []
ledger_changed_hooks: list[Callable[[set[int]], None]] = []

# per thread (and task): the customers a deferring block has collected, by hook list
_pending: ContextVar[dict[str, set[int]] | None] = ContextVar("ledger_hooks_pending", default=None)


def _run(kind: str, customer_ids: Iterable[int]) -> None:
    ids = {int(pk) for pk in customer_ids}
    if not ids:
        return
    pending = _pending.get()
    if pending is not None:
        pending.setdefault(kind, set()).update(ids)
        return
    hooks = cash_applied_hooks if kind == "cash_applied" else ledger_changed_hooks
    for hook in list(hooks):
        hook(ids)


def run_cash_applied(customer_ids: Iterable[int]) -> None:
    _run("cash_applied", customer_ids)


def run_ledger_changed(customer_ids: Iterable[int]) -> None:
    _run("ledger_changed", customer_ids)


@contextmanager
def hooks_deferred() -> Iterator[None]:
    """Collect the customers the hooks are told about inside the block and run each hook
    list once, for all of them, when the block ends without an error (still inside the
    caller's transaction). A nested block leaves the running to the outermost one."""
    if _pending.get() is not None:
        yield
        return
    pending: dict[str, set[int]] = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    for kind in ("cash_applied", "ledger_changed"):
        _run(kind, pending.get(kind, ()))
