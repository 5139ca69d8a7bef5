"""payment_void runs the cash-applied hooks once per void (for every customer whose invoices
it reopened), not once per reversed application, and its queries do not grow with them."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoices import hooks, services
from invoices.services.applications import reverse_without_hooks
from tests.factories import CustomerFactory, invoice, payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls():
    seen: list[set[int]] = []
    hooks.cash_applied_hooks.append(seen.append)
    yield seen
    hooks.cash_applied_hooks.remove(seen.append)


def _spread(parent, child, count: int):
    """A parent's payment applied to ``count`` invoices, half of them its child account's."""
    issued = datetime.date(2026, 1, 1)
    for k in range(count):
        invoice(parent if k % 2 else child, "10.00", number=f"V-{count}-{k}", issue_date=issued)
    cash = payment(parent, f"{10 * count}.00", received_date=datetime.date(2026, 2, 1))
    services.payment_apply(
        actor=None,
        payment=cash,
        allocations=[
            services.Allocation(invoice_id=i.pk, amount=i.open_amount)
            for i in parent.invoices.all().union(child.invoices.all())
        ],
        effective_date=datetime.date(2026, 2, 1),
    )
    return cash


def test_the_hooks_run_once_per_void_with_every_customer(calls):
    parent = CustomerFactory()
    child = CustomerFactory(parent=parent)
    cash = _spread(parent, child, 6)
    calls.clear()

    services.payment_void(
        actor=None, payment=cash, return_date=datetime.date(2026, 2, 5), reason="NSF"
    )

    assert calls == [{parent.pk, child.pk}]


def test_a_void_without_applications_runs_no_hook(calls):
    cash = payment(CustomerFactory(), "50.00", received_date=datetime.date(2026, 2, 1))

    services.payment_void(
        actor=None, payment=cash, return_date=datetime.date(2026, 2, 5), reason="NSF"
    )

    assert calls == []


def test_a_void_costs_per_application_only_what_reversing_it_costs():
    def queries(fn) -> int:
        with CaptureQueriesContext(connection) as captured:
            fn()
        return len(captured.captured_queries)

    def void(count: int) -> int:
        parent = CustomerFactory()
        cash = _spread(parent, CustomerFactory(parent=parent), count)
        return queries(
            lambda: services.payment_void(
                actor=None, payment=cash, return_date=datetime.date(2026, 2, 5), reason="NSF"
            )
        )

    parent = CustomerFactory()
    single = _spread(parent, CustomerFactory(parent=parent), 1).applications.get()
    one_reversal = queries(
        lambda: reverse_without_hooks(
            actor=None, application=single, effective_date=datetime.date(2026, 2, 5)
        )
    )

    # with the workflow's hooks registered (collections_app) a hook run costs queries of its
    # own: they are paid once per void, so six more applications cost six reversals
    assert hooks.cash_applied_hooks
    assert void(8) - void(2) == 6 * one_reversal
