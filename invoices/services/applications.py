from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError

from ..hooks import run_cash_applied
from ..models import Application, CreditMemo, Invoice, Payment
from .allocations import effective_date_bounded, lock_invoices, movement_dates_widened


def application_reverse(
    *,
    actor,
    application: Application,
    note: str = "",
    effective_date: datetime.date | None = None,
) -> Application:
    """Undo an application by writing its negative twin; the original row is never touched."""
    with transaction.atomic():
        reversal = reverse_without_hooks(
            actor=actor, application=application, note=note, effective_date=effective_date
        )
        run_cash_applied([reversal.invoice.customer_id])
    return reversal


def reverse_without_hooks(
    *,
    actor,
    application: Application,
    note: str = "",
    effective_date: datetime.date | None = None,
) -> Application:
    """``application_reverse`` without the cash-applied hooks, for a caller that reverses
    several applications and runs the hooks once for all of them (``payment_void``)."""
    with transaction.atomic():
        source_model = Payment if application.payment_id else CreditMemo
        source_id = application.payment_id or application.credit_memo_id
        source = source_model.objects.select_for_update().get(pk=source_id)
        invoice = lock_invoices([application.invoice_id])[application.invoice_id]
        original = Application.objects.select_for_update().get(pk=application.pk)
        if original.is_reversal:
            raise ServiceError("a reversal cannot itself be reversed", field="application")
        if Application.objects.filter(reverses=original).exists():
            raise ServiceError(
                f"application {original.pk} is already reversed",
                field="application",
                code="already_reversed",
            )
        effective_date = effective_date_bounded(
            effective_date or max(original.effective_date, timezone.localdate()),
            not_before=original.effective_date,
            since="the application it undoes",
        )
        reversal = Application.objects.create(
            invoice=invoice,
            payment_id=original.payment_id,
            credit_memo_id=original.credit_memo_id,
            amount=-original.amount,
            currency_id=original.currency_id,
            effective_date=effective_date,
            reverses=original,
            note=note[:200],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        Invoice.objects.filter(pk=invoice.pk).update(
            open_amount=F("open_amount") + original.amount,
            **movement_dates_widened(effective_date),
        )
        source_model.objects.filter(pk=source.pk).update(
            unapplied_amount=F("unapplied_amount") + original.amount
        )
        audit_record(
            actor=actor,
            action="application.reverse",
            instance=reversal,
            before={
                "application": original.pk,
                "invoice_open_amount": str(invoice.open_amount),
                "unapplied_amount": str(source.unapplied_amount),
            },
            after={
                "invoice_open_amount": str(invoice.open_amount + original.amount),
                "unapplied_amount": str(source.unapplied_amount + original.amount),
                "effective_date": effective_date.isoformat(),
                "note": note,
            },
        )
    return reversal
