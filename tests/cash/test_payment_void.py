"""payment_void: a payment the bank returned has its applications reversed at the return
date, is marked void, can never be applied again, and leaves a returned-payment event."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from invoices import services
from invoices.models import Application, Invoice, Payment, PaymentStatus, ReturnedPayment
from tests.factories import payment

pytestmark = pytest.mark.django_db

RETURNED = datetime.date(2026, 2, 5)


def _applied_payment(acme, acme_invoices):
    cash = payment(acme, "300.00", reference="CHQ-1", received_date=datetime.date(2026, 2, 1))
    services.payment_apply_oldest_first(
        actor=None, payment=cash, effective_date=datetime.date(2026, 2, 1)
    )
    return cash


def test_voiding_reverses_every_application_at_the_return_date(
    finance, acme, acme_invoices, ledger_whole
):
    cash = _applied_payment(acme, acme_invoices)

    returned = services.payment_void(
        actor=finance, payment=cash, return_date=RETURNED, reason="NSF"
    )

    cash.refresh_from_db()
    assert (cash.status, cash.unapplied_amount) == (PaymentStatus.VOID, Decimal("300.00"))
    assert sorted(Invoice.objects.values_list("number", "open_amount")) == [
        ("INV-0001", Decimal("100.00")),
        ("INV-0002", Decimal("250.00")),
        ("INV-0003", Decimal("400.00")),
    ]
    reversals = Application.objects.filter(payment=cash, reverses__isnull=False)
    assert sorted((r.amount, r.effective_date, r.note) for r in reversals) == [
        (Decimal("-200.00"), RETURNED, "payment returned: NSF"),
        (Decimal("-100.00"), RETURNED, "payment returned: NSF"),
    ]
    assert (returned.customer, returned.amount, returned.currency_id, returned.return_date) == (
        acme,
        Decimal("300.00"),
        "USD",
        RETURNED,
    )
    entry = AuditEntry.objects.get(action="payment.void")
    assert (entry.actor, entry.object_id, entry.before["status"], entry.after["status"]) == (
        finance,
        str(cash.pk),
        "posted",
        "void",
    )


def test_an_application_made_after_the_return_date_is_reversed_on_its_own_date(
    acme, acme_invoices, ledger_whole
):
    cash = payment(acme, "100.00", reference="CHQ-2", received_date=datetime.date(2026, 2, 1))
    services.payment_apply(
        actor=None,
        payment=cash,
        allocations=[services.Allocation(invoice_id=acme_invoices[0].pk, amount=Decimal("100"))],
        effective_date=datetime.date(2026, 2, 10),
    )

    services.payment_void(actor=None, payment=cash, return_date=RETURNED, reason="R01")

    reversal = Application.objects.get(payment=cash, reverses__isnull=False)
    assert reversal.effective_date == datetime.date(2026, 2, 10)


def test_a_void_payment_cannot_be_applied_again(acme, acme_invoices, ledger_whole):
    cash = _applied_payment(acme, acme_invoices)
    services.payment_void(actor=None, payment=cash, return_date=RETURNED, reason="NSF")
    before = list(Application.objects.values_list("pk", flat=True))

    with pytest.raises(ServiceError) as refused:
        services.payment_apply(
            actor=None,
            payment=cash,
            allocations=[services.Allocation(invoice_id=acme_invoices[0].pk, amount=Decimal(1))],
        )
    with pytest.raises(ServiceError) as refused_oldest:
        services.payment_apply_oldest_first(actor=None, payment=cash)

    assert (refused.value.code, refused.value.field) == ("void", "payment")
    assert refused_oldest.value.code == "void"
    assert list(Application.objects.values_list("pk", flat=True)) == before


def test_a_payment_is_voided_once(acme, acme_invoices):
    cash = _applied_payment(acme, acme_invoices)
    services.payment_void(actor=None, payment=cash, return_date=RETURNED, reason="NSF")
    entries = AuditEntry.objects.count()

    with pytest.raises(ServiceError) as refused:
        services.payment_void(actor=None, payment=cash, return_date=RETURNED, reason="again")

    assert refused.value.code == "already_void"
    assert (ReturnedPayment.objects.count(), AuditEntry.objects.count()) == (1, entries)


def test_a_return_before_the_money_arrived_or_without_reason_is_refused(acme, acme_invoices):
    cash = _applied_payment(acme, acme_invoices)

    with pytest.raises(ServiceError) as early:
        services.payment_void(
            actor=None, payment=cash, return_date=datetime.date(2026, 1, 31), reason="NSF"
        )
    with pytest.raises(ServiceError) as silent:
        services.payment_void(actor=None, payment=cash, return_date=RETURNED, reason=" ")

    assert (early.value.field, silent.value.field) == ("return_date", "reason")
    cash.refresh_from_db()
    assert (cash.status, cash.unapplied_amount) == ("posted", Decimal("0.00"))
    assert ReturnedPayment.objects.count() == 0


def test_the_database_refuses_a_void_payment_with_money_applied(acme, acme_invoices):
    cash = _applied_payment(acme, acme_invoices)

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=cash.pk).update(status="void")
