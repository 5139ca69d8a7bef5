"""Refunds of unapplied cash and contra offsets against our payables, from the cash pages.

Up to ``CASH_REFUND_APPROVAL_LIMIT`` (in the reporting currency, the amount converted at
today's rate: ``cash.limits``) finance posts at once; above it, or when the money's currency
has no rate today, the request waits for a second person with ``cash.approve_refund`` (an
admin has every permission), and approving writes the ledger movement against today's
balance: a ``Refund`` row (``invoices.services.unapplied_refund``) for unapplied cash or
credit, a contra ``Adjustment`` (``invoice_adjust``) for an open invoice. Money moves only
there.

A refund paid out by mistake or returned by the bank is reversed (``refund_reverse``) by
whoever could have posted it: finance within the limit, someone who may approve refunds
above it.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.money import to_positive_money
from accounts.roles import CASH_WORK
from invoices import services as ledger
from invoices.models import (
    Adjustment,
    AdjustmentKind,
    CreditMemo,
    Invoice,
    Payment,
    PaymentStatus,
    Refund,
    RefundKind,
)

from .. import limits
from ..hooks import run_money_out
from ..models import WRITE_OFF_TRANSITIONS, RefundRequest, WriteOffStatus

APPROVE = "cash.approve_refund"

Target = Payment | CreditMemo | Invoice


def refund_limit_check(amount: Decimal, currency: str, day=None) -> limits.LimitCheck:
    """``amount`` against the refund approval limit, converted at ``day``'s rate (today)."""
    return limits.check(
        amount,
        currency,
        day or timezone.localdate(),
        name=limits.REFUND_APPROVAL,
        what="the refund approval limit",
    )


def refund_request(
    *, actor, target: Target, kind: str, amount, reference: str, reason: str
) -> Refund | Adjustment | RefundRequest:
    """Post now when within the limit; else record a request for someone else to approve."""
    amount = to_positive_money(amount)
    if kind not in RefundKind.values:
        raise ServiceError(f"unknown kind {kind!r}: refund or contra", field="kind")
    if isinstance(target, Invoice) and kind != RefundKind.CONTRA:
        raise ServiceError(
            f"invoice {target.number} is open, not money we hold: only a contra settles it",
            field="kind",
        )
    reference = (reference or "").strip()
    if not reference:
        raise ServiceError(
            "name the bank transfer or the supplier document it is settled against",
            field="reference",
        )
    if not (reason or "").strip():
        raise ServiceError("say why", field="reason")
    if refund_limit_check(amount, target.currency_id).within:
        with transaction.atomic():
            movement = _post(
                actor=actor,
                target=target,
                kind=kind,
                amount=amount,
                reference=reference,
                reason=reason,
            )
            _timeline(actor, target, kind, amount, reference, "posted", reason)
        return movement
    with transaction.atomic():
        # lock the target so the check below holds against a refund posting beside it
        locked = type(target).objects.select_for_update(of=("self",)).get(pk=target.pk)
        _refuse_beyond_balance(locked, amount)
        request = RefundRequest.objects.create(
            payment=locked if isinstance(locked, Payment) else None,
            credit_memo=locked if isinstance(locked, CreditMemo) else None,
            invoice=locked if isinstance(locked, Invoice) else None,
            kind=kind,
            amount=amount,
            currency_id=locked.currency_id,
            reference=reference[:80],
            reason=reason.strip()[:200],
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _timeline(actor, locked, kind, amount, reference, "requested, waits for approval", reason)
        audit_record(
            actor=actor,
            action=f"{kind}.request",
            instance=request,
            after={
                "target": request.target_label,
                "kind": kind,
                "amount": str(amount),
                "currency": locked.currency_id,
                "reference": request.reference,
                "reason": request.reason,
            },
        )
    return request


def refund_decide(
    *, actor, request: RefundRequest, approve: bool, comment: str = ""
) -> RefundRequest:
    """Approve (the movement is posted now, against today's balance) or reject."""
    if not actor.has_perm(APPROVE):
        raise ServiceError(
            "you may not approve refunds or contras", field="decision", code="forbidden"
        )
    with transaction.atomic():
        locked = RefundRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        target = WriteOffStatus.APPROVED if approve else WriteOffStatus.REJECTED
        if target not in WRITE_OFF_TRANSITIONS[WriteOffStatus(locked.status)]:
            raise ServiceError(
                f"this {locked.kind} is already {locked.get_status_display().lower()}",
                field="decision",
                code="decided",
            )
        if locked.requested_by_id is not None and locked.requested_by_id == actor.pk:
            raise ServiceError(
                f"a {locked.kind} is approved by someone other than who asked for it",
                field="decision",
            )
        if approve:
            movement = _post(
                actor=actor,
                target=locked.target,
                kind=locked.kind,
                amount=locked.amount,
                reference=locked.reference,
                reason=locked.reason,
            )
            if isinstance(movement, Refund):
                locked.refund = movement
            else:
                locked.adjustment = movement
        before = locked.status
        locked.status = target
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.comment = (comment or "").strip()[:200]
        locked.save(
            update_fields=["status", "decided_by", "decided_at", "comment", "refund", "adjustment"]
        )
        _timeline(
            actor,
            locked.target,
            locked.kind,
            locked.amount,
            locked.reference,
            "approved and posted" if approve else "rejected",
            locked.comment,
        )
        audit_record(
            actor=actor,
            action=f"{locked.kind}.decide",
            instance=locked,
            before={"status": before},
            after={"status": target, "comment": locked.comment},
        )
    return locked


def refund_reverse(*, actor, refund: Refund, reason: str, reference: str = "") -> Refund:
    """Take back a refund or contra posted by mistake or returned by the bank: the ledger
    writes its reversal and the money is unapplied again; the account's timeline says so.

    Reversing needs what posting it needed: finance (``cash.work_cash``) for a refund within
    the approval limit (at the refund's own date), ``cash.approve_refund`` above it or when
    its currency had no rate that day."""
    if not actor.has_perm(CASH_WORK):
        raise ServiceError(
            "you may not reverse refunds or contras", field="refund", code="forbidden"
        )
    check = refund_limit_check(refund.amount, refund.currency_id, refund.effective_date)
    if not check.within and not actor.has_perm(APPROVE):
        raise ServiceError(
            f"{capfirst(check.words)}: reversing it needs someone who may approve refunds",
            field="refund",
            code="forbidden",
        )
    with transaction.atomic():
        reversal = ledger.refund_reverse(
            actor=actor, refund=refund, reason=reason, reference=reference
        )
        original = reversal.reverses
        _timeline(
            actor,
            original.source,
            original.kind,
            original.amount,
            original.reference,
            "reversed",
            reversal.reason,
        )
    return reversal


def _post(*, actor, target: Target, kind: str, amount: Decimal, reference: str, reason: str):
    if isinstance(target, Invoice):
        return ledger.invoice_adjust(
            actor=actor,
            invoice=target,
            kind=AdjustmentKind.CONTRA,
            amount=amount,
            reason=f"contra {reference.strip()}: {reason.strip()}",
        )
    return ledger.unapplied_refund(
        actor=actor, source=target, kind=kind, amount=amount, reference=reference, reason=reason
    )


def _refuse_beyond_balance(target: Target, amount: Decimal) -> None:
    if isinstance(target, Invoice):
        balance, label, what = target.open_amount, f"invoice {target.number}", "open balance"
    else:
        if isinstance(target, Payment) and target.status == PaymentStatus.VOID:
            raise ServiceError(
                f"payment {target.reference} is void (returned by the bank); "
                "there is nothing to refund",
                field="source",
                code="void",
            )
        balance, what = target.unapplied_amount, "unapplied"
        label = (
            f"payment {target.reference}"
            if isinstance(target, Payment)
            else f"credit memo {target.number}"
        )
    if amount > balance:
        raise ServiceError(
            f"{format_amount(amount, target.currency_id)} exceeds the {what} "
            f"{format_amount(balance, target.currency_id)} of {label}",
            field="amount",
            code="over_refund",
        )


def _timeline(actor, target: Target, kind: str, amount, reference: str, what: str, note: str):
    """One line on the account's timeline (the workflow writes it, through the hook)."""
    label = (
        f"payment {target.reference}"
        if isinstance(target, Payment)
        else f"credit memo {target.number}"
        if isinstance(target, CreditMemo)
        else f"invoice {target.number}"
    )
    run_money_out(
        actor=actor,
        customer_id=target.customer_id,
        summary=f"{RefundKind(kind).label} of {format_amount(amount, target.currency_id)} "
        f"from {label} ({reference.strip()}) {what}",
        note=(note or "").strip(),
    )
