from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.errors import ServiceError
from accounts.models import Currency, Customer
from accounts.money import in_minor_units, to_positive_money

from ..hooks import run_cash_applied
from ..models import Application, Invoice, Payment, PaymentStatus, Refund, ReturnedPayment
from .allocations import (
    Allocation,
    apply_locked,
    lock_invoices,
    lock_source,
    not_after_today,
)
from .applications import reverse_without_hooks

PAYMENT_FIELDS = ["reference", "customer", "received_date", "amount", "currency", "method"]


def new_payment(
    *,
    customer: Customer,
    reference: str,
    received_date: datetime.date,
    amount,
    currency: Currency | str | None = None,
    method: str = "",
    created_by_id: int | None = None,
    currencies: dict[str, Currency] | None = None,
) -> Payment:
    """The unsaved payment ``payment_post`` saves, checked; ``payment_post_many`` builds
    its rows with it too (``currencies``: the batch's, looked up once)."""
    amount = to_positive_money(amount)
    reference = (reference or "").strip()
    if not reference:
        raise ServiceError("payment reference is required", field="reference")
    not_after_today(received_date, field="received_date", what="received date")
    code = getattr(currency, "code", currency) or customer.currency_id
    known = currencies if currencies is not None else Currency.objects.in_bulk([code])
    row = known.get(code)
    if row is None:
        raise ServiceError(f"unknown currency {code!r}", field="currency")
    in_minor_units(amount, row)
    return Payment(
        reference=reference,
        customer=customer,
        received_date=received_date,
        amount=amount,
        currency_id=code,
        unapplied_amount=amount,
        method=method or "",
        created_by_id=created_by_id,
    )


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
    apply_oldest_first: bool = False,
) -> Payment:
    """Record cash received; chosen allocations, then with ``apply_oldest_first`` what is
    left to the customer's oldest open invoices, are applied at the received date in the
    same transaction: a refused application leaves no payment behind."""
    payment = new_payment(
        customer=customer,
        reference=reference,
        received_date=received_date,
        amount=amount,
        currency=currency,
        method=method,
        created_by_id=actor.pk if getattr(actor, "is_authenticated", False) else None,
    )
    reference = payment.reference
    try:
        with transaction.atomic():
            payment.save(force_insert=True)
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
            if apply_oldest_first:
                payment_apply_oldest_first(
                    actor=actor, payment=payment, effective_date=received_date
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
        _refuse_void(locked)
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
        _refuse_void(locked)
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


def payment_void(
    *,
    actor,
    payment: Payment,
    return_date: datetime.date,
    reason: str,
) -> ReturnedPayment:
    """The bank took the money back (bounced cheque, NSF, ACH return): reverse every live
    application of the payment as of the return date (or of the application, if it was made
    later), mark the payment void and record the returned-payment event a risk score reads.

    Locks the payment, then its invoices by ascending id, like every ledger write.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("say why the payment came back", field="reason")
    today = timezone.localdate()
    if return_date > today:
        raise ServiceError(
            f"the return date {return_date} is in the future (today is {today})",
            field="return_date",
        )
    with transaction.atomic():
        locked = lock_source(payment)
        if locked.status == PaymentStatus.VOID:
            raise ServiceError(
                f"payment {locked.reference} is already void", field="payment", code="already_void"
            )
        if Refund.objects.filter(
            payment=locked, reverses__isnull=True, reversed_by__isnull=True
        ).exists():
            # a void payment has all its amount unapplied; money already paid back (and not
            # reversed since) is not
            raise ServiceError(
                f"payment {locked.reference} was partly refunded or offset; "
                "recover the refund before voiding it",
                field="payment",
                code="refunded",
            )
        if return_date < locked.received_date:
            raise ServiceError(
                f"the return date {return_date} is before the payment arrived "
                f"({locked.received_date})",
                field="return_date",
            )
        live = list(
            Application.objects.filter(
                payment=locked, reverses__isnull=True, reversed_by__isnull=True
            ).order_by("invoice_id", "id")
        )
        invoices = lock_invoices([a.invoice_id for a in live])
        for application in live:
            reverse_without_hooks(
                actor=actor,
                application=application,
                note=f"payment returned: {reason}"[:200],
                effective_date=max(return_date, application.effective_date),
            )
        before = {"status": locked.status, "unapplied_amount": str(locked.unapplied_amount)}
        Payment.objects.filter(pk=locked.pk).update(status=PaymentStatus.VOID)
        returned = ReturnedPayment.objects.create(
            payment=locked,
            customer_id=locked.customer_id,
            return_date=return_date,
            amount=locked.amount,
            currency_id=locked.currency_id,
            reason=reason[:200],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action="payment.void",
            instance=locked,
            before=before,
            after={
                "status": PaymentStatus.VOID,
                "unapplied_amount": str(locked.amount),
                "return_date": return_date.isoformat(),
                "reason": reason,
                "applications_reversed": [a.pk for a in live],
            },
        )
        # once per void, for every customer whose invoices it reopened
        run_cash_applied({invoice.customer_id for invoice in invoices.values()})
    payment.status = PaymentStatus.VOID
    payment.unapplied_amount = payment.amount
    return returned


def _refuse_void(payment: Payment) -> None:
    if payment.status == PaymentStatus.VOID:
        raise ServiceError(
            f"payment {payment.reference} is void (returned by the bank) and cannot be applied",
            field="payment",
            code="void",
        )


def _default_date(received: datetime.date) -> datetime.date:
    """Cash applied after the fact counts from today, never before it arrived."""
    return max(received, timezone.localdate())
