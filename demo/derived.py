"""What the workflow derives from the ledger (queue scores, promise status), once.

The ledger runs its cash-applied hooks after every application, inside the transaction.
Seeding thousands of payments in one transaction would recompute the same customers'
derived state thousands of times; the final state is the same when the hooks run once,
for every customer touched, at the end of that transaction. (The hook list is
process-wide: this is for commands, not for a web process serving requests.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from invoices import hooks


@contextmanager
def cash_applied_hooks_batched() -> Iterator[set[int]]:
    """Collect the customers the hooks would have been told about; run the hooks once on
    leaving the block without an error. Callers may add ids to the yielded set."""
    registered = list(hooks.cash_applied_hooks)
    touched: set[int] = set()
    hooks.cash_applied_hooks[:] = [touched.update]
    try:
        yield touched
    finally:
        hooks.cash_applied_hooks[:] = registered
    hooks.run_cash_applied(touched)


def derived_state_refresh(customer_ids) -> None:
    """Run the cash-applied hooks for customers whose ledger was written without services."""
    with transaction.atomic():
        hooks.run_cash_applied(customer_ids)
