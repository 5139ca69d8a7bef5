"""A payments import racing a clerk's ``payment_apply`` on the same invoice, on real
PostgreSQL: the invoice's row lock, taken by ``payment_post_many`` in one statement for its
batch, makes one wait for the other, and the second sees what the first applied. Neither
over-applies; the loser gets a clean refusal, not a CHECK violation.

Each ordering is forced: the first holds its transaction open until the second is seen
waiting on a lock in ``pg_stat_activity``. Threads have their own connections (committed
setup, as in test_concurrency.py).
"""

from __future__ import annotations

import io
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from accounts.csv_reading import ImportRejected
from accounts.errors import ServiceError
from invoices import services
from invoices.imports import import_payments
from invoices.models import Application, Invoice, Payment
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, invoice, payment

from .test_concurrency import run_together

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WAIT = 20  # seconds


@pytest.fixture
def race():
    """ACME owes 100.00 on INV-1; a clerk holds an 80.00 payment to apply to it; the file
    pays 60.00 of it."""
    acme = CustomerFactory(external_ref="ACME")
    target = invoice(acme, "100.00", number="INV-1")
    clerks = payment(acme, "80.00", reference="CLERK")
    payments_file = (
        b"reference,customer_ref,received_date,amount,currency,invoice_number\n"
        b"PAY-1,ACME,2026-02-10,60.00,USD,INV-1\n"
        b"PAY-2,ACME,2026-02-10,5.00,USD,\n"
    )
    return target, clerks, payments_file


def clerk_applies(clerks: Payment, target: Invoice):
    return services.payment_apply(
        actor=None,
        payment=Payment.objects.get(pk=clerks.pk),
        allocations=[services.Allocation(invoice_id=target.pk, amount=Decimal("80.00"))],
    )


def first_holds_second_waits(first, second) -> dict[str, object]:
    """Run ``first`` in a transaction kept open until ``second`` (started after it) waits on
    a row lock, then commit it; each result or error by name."""
    outcome: dict[str, object] = {}
    done_first, release = threading.Event(), threading.Event()

    def run_first():
        try:
            with transaction.atomic():
                outcome["first"] = first()
                done_first.set()
                assert release.wait(WAIT), "the second never waited"
        except BaseException as exc:  # every failure is reported
            outcome["first"] = exc
            done_first.set()
        finally:
            connection.close()

    def run_second():
        try:
            assert done_first.wait(WAIT)
            outcome["second"] = second()
        except BaseException as exc:
            outcome["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    _wait_for_a_lock_wait()
    release.set()
    for thread in threads:
        thread.join(WAIT)
    assert not any(thread.is_alive() for thread in threads)
    return outcome


def _wait_for_a_lock_wait() -> None:
    deadline = time.monotonic() + WAIT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("nobody waited on a lock")


def test_an_import_waiting_for_a_clerks_application_sees_it_and_refuses(race):
    target, clerks, payments_file = race

    outcome = first_holds_second_waits(
        lambda: clerk_applies(clerks, target),
        lambda: import_payments(io.BytesIO(payments_file)),
    )

    assert [a.amount for a in outcome["first"]] == [Decimal("80.00")]
    refused = outcome["second"]
    assert isinstance(refused, ImportRejected)
    assert [(e.row, e.column, e.reason) for e in refused.errors] == [
        (2, "invoice_number", "60.00 exceeds the open balance 20.00 of invoice INV-1")
    ]
    target.refresh_from_db()
    assert target.open_amount == Decimal("20.00")
    assert list(Payment.objects.values_list("reference", flat=True)) == ["CLERK"]
    assert ledger_discrepancies() == []


def test_a_clerk_waiting_for_an_import_sees_what_it_applied_and_is_refused(race):
    target, clerks, payments_file = race

    outcome = first_holds_second_waits(
        lambda: import_payments(io.BytesIO(payments_file)),
        lambda: clerk_applies(clerks, target),
    )

    assert str(outcome["first"]) == "payments: 2 created, 0 updated, 0 unchanged"
    refused = outcome["second"]
    assert isinstance(refused, ServiceError)
    assert (refused.code, refused.message) == (
        "over_application",
        "80.00 exceeds the open balance 40.00 of invoice INV-1",
    )
    target.refresh_from_db()
    clerks.refresh_from_db()
    assert (target.open_amount, clerks.unapplied_amount) == (Decimal("40.00"), Decimal("80.00"))
    assert ledger_discrepancies() == []


def test_an_import_and_clerks_started_together_never_over_apply(race):
    target, _, payments_file = race
    others = [payment(target.customer, "30.00") for _ in range(3)]

    def work(index: int):
        if index == 0:
            return import_payments(io.BytesIO(payments_file))
        return services.payment_apply(
            actor=None,
            payment=Payment.objects.get(pk=others[index - 1].pk),
            allocations=[services.Allocation(invoice_id=target.pk, amount=Decimal("30.00"))],
        )

    outcome = run_together(work, threads=4)

    assert outcome.unfinished == []
    assert {type(e) for e in outcome.errors.values()} <= {ImportRejected, ServiceError}
    assert {e.code for e in outcome.service_errors.values()} <= {"over_application"}
    target.refresh_from_db()
    applied = sum(
        Application.objects.filter(invoice=target).values_list("amount", flat=True), Decimal(0)
    )
    assert Decimal(0) <= target.open_amount == Decimal("100.00") - applied
    assert ledger_discrepancies() == []
