from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.money import in_minor_units, to_positive_money

from ..hooks import run_ledger_changed
from ..models import Adjustment, AdjustmentKind, Invoice
from .allocations import effective_date_bounded, lock_invoices, movement_dates_widened


def small_balance_limit() -> Decimal:
    """The most a small-balance write-off may take (``SMALL_BALANCE_LIMIT``): the ledger's
    own ceiling, which the cash matcher and the queue's write-off candidates read too."""
    return Decimal(str(getattr(settings, "SMALL_BALANCE_LIMIT", "25.00")))


def invoice_adjust(
    *,
    actor,
    invoice: Invoice,
    kind: str,
    amount,
    reason: str,
    effective_date: datetime.date | None = None,
) -> Adjustment:
    """Write off part or all of an invoice's open balance."""
    amount = to_positive_money(amount)
    if kind not in AdjustmentKind.values:
        raise ServiceError(f"unknown adjustment kind {kind!r}", field="kind")
    if not (reason or "").strip():
        raise ServiceError("say why the balance is adjusted", field="reason")
    limit = small_balance_limit()
    if kind == AdjustmentKind.SMALL_BALANCE and amount > limit:
        raise ServiceError(
            f"a small-balance write-off is at most {limit}; use a write-off for {amount}",
            field="amount",
        )
    with transaction.atomic():
        locked = lock_invoices([invoice.pk]).get(invoice.pk)
        if locked is None:
            raise ServiceError(f"invoice {invoice.pk} does not exist", field="invoice")
        in_minor_units(amount, locked.currency_id)
        effective_date = effective_date_bounded(
            effective_date or max(locked.issue_date, timezone.localdate()),
            not_before=locked.issue_date,
            since=f"invoice {locked.number} was issued",
        )
        if amount > locked.open_amount:
            raise ServiceError(
                f"{amount} exceeds the open balance {locked.open_amount} "
                f"of invoice {locked.number}",
                field="amount",
                code="over_application",
            )
        adjustment = Adjustment.objects.create(
            invoice=locked,
            kind=kind,
            amount=amount,
            currency_id=locked.currency_id,
            effective_date=effective_date,
            reason=reason.strip()[:200],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        # The row is locked, so the balance computed from it is the one to write.
        Invoice.objects.filter(pk=locked.pk).update(
            open_amount=locked.open_amount - amount,
            **movement_dates_widened(adjustment.effective_date),
        )
        audit_record(
            actor=actor,
            action="invoice.adjust",
            instance=adjustment,
            before={"invoice_open_amount": str(locked.open_amount)},
            after={
                "invoice": locked.number,
                "kind": kind,
                "amount": str(amount),
                "invoice_open_amount": str(locked.open_amount - amount),
                "reason": reason,
            },
        )
        run_ledger_changed([locked.customer_id])
    invoice.open_amount = locked.open_amount - amount
    return adjustment
