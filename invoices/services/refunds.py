"""Unapplied money leaving the receivables ledger: a refund to the customer, or a contra
against a payable we owe them. Either lowers the source's unapplied balance by a ``Refund``
row (never an application: no invoice moves), so ``ledger_discrepancies`` counts it."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.money import in_minor_units, to_positive_money

from ..hooks import run_ledger_changed
from ..models import CreditMemo, Payment, PaymentStatus, Refund, RefundKind
from .allocations import effective_date_bounded, lock_source


def unapplied_refund(
    *,
    actor,
    source: Payment | CreditMemo,
    kind: str,
    amount,
    reference: str,
    reason: str,
    effective_date: datetime.date | None = None,
) -> Refund:
    """Pay back (or offset) part or all of a payment's or credit memo's unapplied amount.

    The source row is locked first, so concurrent refunds queue and never take more than
    is unapplied."""
    amount = to_positive_money(amount)
    if kind not in RefundKind.values:
        raise ServiceError(f"unknown refund kind {kind!r}", field="kind")
    reference = (reference or "").strip()
    if not reference:
        raise ServiceError(
            "name the bank transfer or the supplier document it is settled against",
            field="reference",
        )
    if not (reason or "").strip():
        raise ServiceError("say why the money is refunded", field="reason")
    with transaction.atomic():
        locked = lock_source(source)
        label = _label(locked)
        if isinstance(locked, Payment) and locked.status == PaymentStatus.VOID:
            raise ServiceError(
                f"{label} is void (returned by the bank); there is nothing to refund",
                field="source",
                code="void",
            )
        in_minor_units(amount, locked.currency_id)
        start = locked.received_date if isinstance(locked, Payment) else locked.issue_date
        effective_date = effective_date_bounded(
            effective_date or max(start, timezone.localdate()),
            not_before=start,
            since=f"{label} arrived",
        )
        if amount > locked.unapplied_amount:
            raise ServiceError(
                f"{amount} exceeds the unapplied {locked.unapplied_amount} "
                f"{locked.currency_id} of {label}",
                field="amount",
                code="over_refund",
            )
        refund = Refund.objects.create(
            payment=locked if isinstance(locked, Payment) else None,
            credit_memo=locked if isinstance(locked, CreditMemo) else None,
            kind=kind,
            amount=amount,
            currency_id=locked.currency_id,
            effective_date=effective_date,
            reference=reference[:80],
            reason=reason.strip()[:200],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        remaining = locked.unapplied_amount - amount
        type(locked).objects.filter(pk=locked.pk).update(unapplied_amount=remaining)
        audit_record(
            actor=actor,
            action=f"{type(locked).__name__.lower()}.{kind}",
            instance=refund,
            before={"unapplied_amount": str(locked.unapplied_amount)},
            after={
                "source": label,
                "kind": kind,
                "amount": str(amount),
                "currency": locked.currency_id,
                "reference": refund.reference,
                "unapplied_amount": str(remaining),
                "reason": refund.reason,
            },
        )
        run_ledger_changed([locked.customer_id])
    source.unapplied_amount = remaining
    return refund


def _label(source: Payment | CreditMemo) -> str:
    if isinstance(source, Payment):
        return f"payment {source.reference}"
    return f"credit memo {source.number}"
