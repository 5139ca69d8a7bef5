"""Concurrent posting on real PostgreSQL: the row locks, not luck, keep the ledger whole.

Each test commits its setup (TransactionTestCase semantics), then starts eight threads
behind one Barrier so they hit the database together; every thread has its own
connection and closes it. The counts asserted are exact: without ``select_for_update``
the losers would not get a clean ``ServiceError`` but a CHECK violation or a deadlock.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import connection

from accounts.errors import ServiceError
from invoices import services
from invoices.models import Application, Invoice, Payment
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, invoice, payment

THREADS = 8
JOIN_TIMEOUT = 30  # seconds; a deadlock PostgreSQL cannot break would hang here
STATEMENT_TIMEOUT_MS = 20_000  # and this makes the server give up before the join does

# Committed rows, so the threads' own connections see them. The flush that ends each test
# is followed by post_migrate, which puts the role groups and reference data back.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@dataclass
class Outcome:
    results: dict[int, object] = field(default_factory=dict)
    errors: dict[int, BaseException] = field(default_factory=dict)
    unfinished: list[int] = field(default_factory=list)

    @property
    def service_errors(self) -> dict[int, ServiceError]:
        return {i: e for i, e in self.errors.items() if isinstance(e, ServiceError)}

    @property
    def other_errors(self) -> dict[int, BaseException]:
        return {i: e for i, e in self.errors.items() if not isinstance(e, ServiceError)}


def run_together(work: Callable[[int], object], threads: int = THREADS) -> Outcome:
    """Run ``work(0) .. work(threads - 1)`` at once, each in its own thread and connection."""
    barrier = threading.Barrier(threads, timeout=JOIN_TIMEOUT)
    outcome = Outcome()
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            # Connect before the barrier, so the threads start their work, not their logins,
            # together.
            with connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
            barrier.wait()
            result = work(index)
            with lock:
                outcome.results[index] = result
        except BaseException as exc:  # every failure is reported, none is swallowed
            with lock:
                outcome.errors[index] = exc
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in pool:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    outcome.unfinished = [i for i, thread in enumerate(pool) if thread.is_alive()]
    return outcome


def allocation(inv: Invoice, amount: str) -> services.Allocation:
    return services.Allocation(invoice_id=inv.pk, amount=Decimal(amount))


def open_amounts(invoices: list[Invoice]) -> list[Decimal]:
    by_pk = dict(Invoice.objects.values_list("pk", "open_amount"))
    return [by_pk[inv.pk] for inv in invoices]


def test_eight_clerks_applying_one_payment_at_once_apply_exactly_what_it_holds():
    customer = CustomerFactory()
    cash = payment(customer, "500.00")
    invoices = [invoice(customer, "100.00") for _ in range(THREADS)]

    outcome = run_together(
        lambda i: services.payment_apply(
            actor=None,
            payment=Payment.objects.get(pk=cash.pk),
            allocations=[allocation(invoices[i], "100.00")],
        )
    )

    assert outcome.unfinished == []
    assert outcome.other_errors == {}
    assert len(outcome.results) == 5
    assert len(outcome.service_errors) == 3
    assert {e.code for e in outcome.service_errors.values()} == {"over_application"}
    cash.refresh_from_db()
    assert cash.unapplied_amount == Decimal("0.00")
    assert Application.objects.count() == 5
    assert sum(Application.objects.values_list("amount", flat=True)) == Decimal("500.00")
    expected = [
        Decimal("0.00") if i in outcome.results else Decimal("100.00") for i in range(THREADS)
    ]
    assert open_amounts(invoices) == expected
    assert ledger_discrepancies() == []


def test_eight_payments_racing_for_one_invoice_settle_exactly_its_amount():
    customer = CustomerFactory()
    inv = invoice(customer, "300.00")
    payments = [payment(customer, "100.00") for _ in range(THREADS)]

    outcome = run_together(
        lambda i: services.payment_apply(
            actor=None, payment=payments[i], allocations=[allocation(inv, "100.00")]
        )
    )

    assert outcome.unfinished == []
    assert outcome.other_errors == {}
    assert len(outcome.results) == 3
    assert len(outcome.service_errors) == 5
    assert {e.code for e in outcome.service_errors.values()} == {"over_application"}
    inv.refresh_from_db()
    assert inv.open_amount == Decimal("0.00")
    unapplied = dict(Payment.objects.values_list("pk", "unapplied_amount"))
    assert [unapplied[p.pk] for p in payments] == [
        Decimal("0.00") if i in outcome.results else Decimal("100.00") for i in range(THREADS)
    ]
    assert Application.objects.count() == 3
    assert ledger_discrepancies() == []


@pytest.mark.parametrize(
    ("cash_amount", "invoice_amounts", "applied"),
    [
        ("500.00", ["100.00", "100.00", "100.00", "50.00"], "350.00"),
        ("250.00", ["100.00", "100.00", "100.00", "50.00"], "250.00"),
    ],
    ids=["payment-larger-than-open", "payment-smaller-than-open"],
)
def test_eight_oldest_first_runs_on_one_payment_apply_it_exactly_once(
    cash_amount, invoice_amounts, applied
):
    customer = CustomerFactory()
    invoices = [
        invoice(customer, amount, issue_date=datetime.date(2026, 1, 1 + n))
        for n, amount in enumerate(invoice_amounts)
    ]
    cash = payment(customer, cash_amount)

    outcome = run_together(
        lambda i: services.payment_apply_oldest_first(
            actor=None, payment=Payment.objects.get(pk=cash.pk)
        )
    )

    assert outcome.unfinished == []
    assert outcome.errors == {}
    non_empty = [apps for apps in outcome.results.values() if apps]
    assert len(non_empty) == 1
    assert [a for apps in outcome.results.values() for a in apps] == non_empty[0]
    cash.refresh_from_db()
    assert cash.amount - cash.unapplied_amount == Decimal(applied)
    assert sum(Application.objects.values_list("amount", flat=True)) == Decimal(applied)
    total_open = sum(open_amounts(invoices))
    assert total_open == sum(Decimal(a) for a in invoice_amounts) - Decimal(applied)
    assert ledger_discrepancies() == []


def test_applying_and_reversing_at_once_neither_deadlocks_nor_loses_a_cent():
    """Four clerks reverse an old application each while four others apply new cash
    split over two neighbouring invoices, the last pair wrapping round (invoice 3 then
    invoice 0) so only locking in ascending id order avoids a lock cycle."""
    customer = CustomerFactory()
    invoices = [invoice(customer, "200.00") for _ in range(4)]
    old_payments = [
        payment(customer, "100.00", allocations=[allocation(inv, "100.00")]) for inv in invoices
    ]
    old_applications = [p.applications.get() for p in old_payments]
    new_payments = [payment(customer, "100.00") for _ in range(4)]

    def work(i: int):
        if i % 2 == 0:
            return services.application_reverse(
                actor=None, application=old_applications[i // 2], note="bounced"
            )
        j = i // 2
        return services.payment_apply(
            actor=None,
            payment=new_payments[j],
            allocations=[
                allocation(invoices[j], "50.00"),
                allocation(invoices[(j + 1) % 4], "50.00"),
            ],
        )

    outcome = run_together(work)

    assert outcome.unfinished == []
    assert outcome.errors == {}
    assert len(outcome.results) == THREADS
    assert open_amounts(invoices) == [Decimal("100.00")] * 4
    unapplied = dict(Payment.objects.values_list("pk", "unapplied_amount"))
    assert [unapplied[p.pk] for p in old_payments] == [Decimal("100.00")] * 4
    assert [unapplied[p.pk] for p in new_payments] == [Decimal("0.00")] * 4
    assert Application.objects.count() == 4 + 4 + 8
    assert Application.objects.filter(reverses__isnull=False).count() == 4
    assert ledger_discrepancies() == []


def test_many_rounds_of_apply_and_reverse_on_shared_invoices_end_balanced():
    """Each thread owns a payment and keeps applying it across all four invoices
    (listed in its own rotated order) and reversing what it applied, five times."""
    rounds = 5
    customer = CustomerFactory()
    invoices = [invoice(customer, "400.00") for _ in range(4)]
    payments = [payment(customer, "40.00") for _ in range(THREADS)]

    def work(i: int) -> int:
        order = invoices[i % 4 :] + invoices[: i % 4]
        for _ in range(rounds):
            applied = services.payment_apply(
                actor=None,
                payment=payments[i],
                allocations=[allocation(inv, "10.00") for inv in order],
            )
            for application in applied:
                services.application_reverse(actor=None, application=application)
        return rounds

    outcome = run_together(work)

    assert outcome.unfinished == []
    assert outcome.errors == {}
    assert list(outcome.results.values()) == [rounds] * THREADS
    assert open_amounts(invoices) == [Decimal("400.00")] * 4
    assert set(Payment.objects.values_list("unapplied_amount", flat=True)) == {Decimal("40.00")}
    assert Application.objects.count() == THREADS * rounds * 4 * 2
    assert ledger_discrepancies() == []


def test_a_parents_payments_settling_its_childrens_invoices_at_once_do_not_deadlock():
    """Invoices alternate between two children; each thread applies its own parent
    payment to two neighbouring invoices, so every thread touches both children. Only the
    invoices may be locked (in id order): locking each invoice's customer row with it
    makes thread k hold child A while waiting for child B and thread k+1 the reverse."""
    parent = CustomerFactory()
    children = [CustomerFactory(parent=parent), CustomerFactory(parent=parent)]
    invoices = [invoice(children[n % 2], "100.00") for n in range(THREADS)]
    payments = [payment(parent, "100.00") for _ in range(THREADS)]

    outcome = run_together(
        lambda i: services.payment_apply(
            actor=None,
            payment=payments[i],
            allocations=[
                allocation(invoices[i], "50.00"),
                allocation(invoices[(i + 1) % THREADS], "50.00"),
            ],
        )
    )

    assert outcome.unfinished == []
    assert outcome.errors == {}
    assert len(outcome.results) == THREADS
    assert open_amounts(invoices) == [Decimal("0.00")] * THREADS
    assert set(Payment.objects.values_list("unapplied_amount", flat=True)) == {Decimal("0.00")}
    assert ledger_discrepancies() == []


def test_eight_payments_posted_with_allocations_for_one_customer_at_once_all_succeed():
    customer = CustomerFactory()
    invoices = [invoice(customer, "100.00") for _ in range(THREADS)]

    outcome = run_together(
        lambda i: services.payment_post(
            actor=None,
            customer=customer,
            reference=f"PAY-RACE-{i}",
            received_date=datetime.date(2026, 2, 1),
            amount=Decimal("100.00"),
            allocations=[allocation(invoices[i], "100.00")],
        )
    )

    assert outcome.unfinished == []
    assert outcome.errors == {}
    assert len(outcome.results) == THREADS
    assert open_amounts(invoices) == [Decimal("0.00")] * THREADS
    assert set(Payment.objects.values_list("unapplied_amount", flat=True)) == {Decimal("0.00")}
    assert ledger_discrepancies() == []
