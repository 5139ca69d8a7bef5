"""Unapplied money leaving the receivables ledger: a refund to the customer, or a contra
against a payable we owe them. Either lowers the source's unapplied balance by a ``Refund``
row (never an application: no invoice moves), so ``ledger_discrepancies`` counts it.

A refund paid out by mistake, or sent back by the customer's bank, is undone by
``refund_reverse``: a negative ``Refund`` row that names it (refunds are append-only, like
applications), and the money is unapplied again."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
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
                f"{format_amount(amount, locked.currency_id)} exceeds the unapplied "
                f"{format_amount(locked.unapplied_amount, locked.currency_id)} of {label}",
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
            action=f"{_noun(locked)}.{kind}",
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


def refund_reverse(
    *,
    actor,
    refund: Refund,
    reason: str,
    reference: str = "",
    effective_date: datetime.date | None = None,
) -> Refund:
    """Undo a refund or contra by writing its negative twin; the refund row is never touched.

    The money is unapplied on its payment or credit memo again (the bank sent the transfer
    back, or it went out by mistake). Locks the source first, then the refund, as every
    refund does, so two people reversing at once cannot both succeed."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("say why the refund is reversed", field="reason")
    with transaction.atomic():
        source = lock_source(refund.source)
        original = Refund.objects.select_for_update(of=("self",)).get(pk=refund.pk)
        label = _label(source)
        if original.is_reversal:
            raise ServiceError("a reversal cannot itself be reversed", field="refund")
        if Refund.objects.filter(reverses=original).exists():
            raise ServiceError(
                f"this {original.get_kind_display().lower()} from {label} is already reversed",
                field="refund",
                code="already_reversed",
            )
        effective_date = effective_date_bounded(
            effective_date or max(original.effective_date, timezone.localdate()),
            not_before=original.effective_date,
            since="the refund it undoes",
        )
        reversal = Refund.objects.create(
            payment_id=original.payment_id,
            credit_memo_id=original.credit_memo_id,
            kind=original.kind,
            amount=-original.amount,
            currency_id=original.currency_id,
            effective_date=effective_date,
            reference=((reference or "").strip() or original.reference)[:80],
            reason=reason[:200],
            reverses=original,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        restored = source.unapplied_amount + original.amount
        type(source).objects.filter(pk=source.pk).update(unapplied_amount=restored)
        audit_record(
            actor=actor,
            action=f"{_noun(source)}.{original.kind}_reverse",
            instance=reversal,
            before={"refund": original.pk, "unapplied_amount": str(source.unapplied_amount)},
            after={
                "source": label,
                "kind": original.kind,
                "amount": str(reversal.amount),
                "currency": original.currency_id,
                "reference": reversal.reference,
                "unapplied_amount": str(restored),
                "effective_date": effective_date.isoformat(),
                "reason": reversal.reason,
            },
        )
        run_ledger_changed([source.customer_id])
    refund.source.unapplied_amount = restored
    return reversal


def _noun(source: Payment | CreditMemo) -> str:
    """How the audit trail names the source, as its other services do ("credit_memo.issue")."""
    return "payment" if isinstance(source, Payment) else "credit_memo"


def _label(source: Payment | CreditMemo) -> str:
    if isinstance(source, Payment):
        return f"payment {source.reference}"
    return f"credit memo {source.number}"
