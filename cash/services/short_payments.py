"""A short payment: the payer paid less than the invoice and kept the rest (a deduction for a
promotion, a shortage, damaged goods). Finance applies what came and opens a deduction for
the difference through the disputes service, so the rest is worked as a dispute instead of
being dunned; both or neither."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from disputes.models import Dispute
from disputes.services import deduction_open
from invoices import services as ledger
from invoices.models import Invoice, Payment
from invoices.services.allocations import lock_invoices, lock_source


def payment_apply_short(
    *, actor, payment: Payment, invoice: Invoice, note: str = ""
) -> tuple[Decimal, Dispute]:
    """Apply the payment's whole unapplied amount to ``invoice`` and open a deduction for
    what is still open on it. Refused when the payment covers the invoice (nothing short)."""
    with transaction.atomic():
        locked = lock_source(payment)
        target = lock_invoices([invoice.pk]).get(invoice.pk)
        if target is None:
            raise ServiceError(f"invoice {invoice.pk} does not exist", field="invoice")
        paid = locked.unapplied_amount
        if paid <= 0:
            raise ServiceError(f"payment {locked.reference} has nothing unapplied", field="payment")
        short = target.open_amount - paid
        if short <= 0:
            raise ServiceError(
                f"{format_amount(paid, locked.currency_id)} covers invoice {target.number} "
                f"({format_amount(target.open_amount, locked.currency_id)}): nothing is short",
                field="invoice",
            )
        ledger.payment_apply(
            actor=actor,
            payment=locked,
            allocations=[ledger.Allocation(invoice_id=target.pk, amount=paid)],
            effective_date=locked.received_date,
        )
        dispute = deduction_open(
            actor=actor,
            customer=target.customer,
            invoice_id=target.pk,
            amount=short,
            note=(
                note
                or f"short payment {locked.reference}: {format_amount(short, locked.currency_id)}"
            )[:500],
        )
        audit_record(
            actor=actor,
            action="payment.apply_short",
            instance=locked,
            after={
                "invoice": target.number,
                "applied": str(paid),
                "deduction": str(short),
                "dispute": dispute.pk,
            },
        )
    payment.unapplied_amount = Decimal("0")
    return paid, dispute
