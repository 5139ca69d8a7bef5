from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.errors import ServiceError
from accounts.models import Currency, Customer
from accounts.money import to_positive_money

from ..models import Application, Invoice, Payment
from .allocations import Allocation, apply_locked, lock_invoices, lock_source

PAYMENT_FIELDS = ["reference", "customer", "received_date", "amount", "currency", "method"]


def payment_post(
    *,
    actor,
    customer: Customer,
    reference: str,
    received_date: datetime.date,
    amount,
    currency: Currency | str | None = None,
    method: str = "",
    allocations: Sequence[Allocation] = (),
) -> Payment:
    """Record cash received; optional allocations are applied at the received date."""
    amount = to_positive_money(amount)
    reference = (reference or "").strip()
    if not reference:
        raise ServiceError("payment reference is required", field="reference")
    currency_code = getattr(currency, "code", currency) or customer.currency_id
    if not Currency.objects.filter(code=currency_code).exists():
        raise ServiceError(f"unknown currency {currency_code!r}", field="currency")
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                reference=reference,
                customer=customer,
                received_date=received_date,
                amount=amount,
                currency_id=currency_code,
                unapplied_amount=amount,
                method=method or "",
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit_record(
                actor=actor,
                action="payment.post",
                instance=payment,
                after=snapshot(payment, PAYMENT_FIELDS),
            )
            if allocations:
                payment_apply(
                    actor=actor,
                    payment=payment,
                    allocations=allocations,
                    effective_date=received_date,
                )
    except IntegrityError:
        if Payment.objects.filter(reference=reference).exists():
            raise ServiceError(
                f"payment {reference} already exists", field="reference", code="duplicate"
            ) from None
        raise
    return payment


def payment_apply(
    *,
    actor,
    payment: Payment,
    allocations: Sequence[Allocation],
    effective_date: datetime.date | None = None,
) -> list[Application]:
    """Apply cash to chosen invoices; all or nothing."""
    if not allocations:
        raise ServiceError("name at least one invoice to apply to", field="allocations")
    with transaction.atomic():
        locked = lock_source(payment)
        invoices = lock_invoices([a.invoice_id for a in allocations])
        applications = apply_locked(
            actor=actor,
            source=locked,
            invoices=invoices,
            allocations=list(allocations),
            effective_date=effective_date or _default_date(locked.received_date),
        )
    payment.unapplied_amount = locked.unapplied_amount
    return applications


def payment_apply_oldest_first(
    *, actor, payment: Payment, effective_date: datetime.date | None = None
) -> list[Application]:
    """Apply what is unapplied to the customer's open invoices, oldest due date first."""
    with transaction.atomic():
        locked = lock_source(payment)
        candidate_ids = list(
            Invoice.objects.filter(
                customer_id=locked.customer_id,
                currency_id=locked.currency_id,
                open_amount__gt=0,
            ).values_list("pk", flat=True)
        )
        invoices = lock_invoices(candidate_ids)
        remaining = locked.unapplied_amount
        allocations = []
        for invoice in sorted(invoices.values(), key=lambda i: (i.due_date, i.issue_date, i.pk)):
            if remaining <= 0:
                break
            if invoice.open_amount <= 0:
                continue
            amount = min(remaining, invoice.open_amount)
            allocations.append(Allocation(invoice_id=invoice.pk, amount=amount))
            remaining -= amount
        applications = apply_locked(
            actor=actor,
            source=locked,
            invoices=invoices,
            allocations=allocations,
            effective_date=effective_date or _default_date(locked.received_date),
        )
    payment.unapplied_amount = locked.unapplied_amount
    return applications


def _default_date(received: datetime.date) -> datetime.date:
    """Cash applied after the fact counts from today, never before it arrived."""
    return max(received, timezone.localdate())
