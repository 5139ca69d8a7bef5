"""A void racing applications on real PostgreSQL: whoever wins, the payment ends void with
nothing applied, every invoice back at its full amount, and the ledger agrees with itself."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from invoices import services
from invoices.models import Application, Invoice, Payment, ReturnedPayment
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, invoice, payment
from tests.invoices.test_concurrency import THREADS, run_together

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_void_racing_applications_leaves_consistent_balances():
    customer = CustomerFactory()
    invoices = [invoice(customer, "100.00", number=f"R-{n}") for n in range(THREADS)]
    cash = payment(customer, "400.00", reference="RACE", received_date=datetime.date(2026, 2, 1))

    def work(index: int):
        fresh = Payment.objects.get(pk=cash.pk)
        if index % 2:
            return services.payment_void(
                actor=None,
                payment=fresh,
                return_date=datetime.date(2026, 2, 9),
                reason=f"NSF {index}",
            )
        return services.payment_apply(
            actor=None,
            payment=fresh,
            allocations=[services.Allocation(invoice_id=invoices[index].pk, amount=Decimal(50))],
        )

    outcome = run_together(work)

    assert outcome.unfinished == []
    assert outcome.other_errors == {}
    codes = sorted(e.code for e in outcome.service_errors.values())
    voids = [r for r in outcome.results.values() if isinstance(r, ReturnedPayment)]
    assert len(voids) == 1
    assert codes.count("already_void") == THREADS // 2 - 1
    assert set(codes) <= {"already_void", "void"}
    cash.refresh_from_db()
    assert (cash.status, cash.unapplied_amount) == ("void", Decimal("400.00"))
    assert set(Invoice.objects.values_list("open_amount", flat=True)) == {Decimal("100.00")}
    applied = Application.objects.filter(payment=cash, reverses__isnull=True).count()
    assert Application.objects.filter(payment=cash, reverses__isnull=False).count() == applied
    assert ledger_discrepancies() == []
