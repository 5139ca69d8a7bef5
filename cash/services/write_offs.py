"""Write-offs from the cash pages: up to ``CASH_WRITE_OFF_APPROVAL_LIMIT`` (in the reporting
currency, the amount converted at today's rate: ``cash.limits``) finance writes off at once;
above it, or when the invoice's currency has no rate today, the write-off waits for someone
who may approve it, and approving it writes the ledger adjustment (``invoice_adjust``)."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.money import to_positive_money
from invoices import services as ledger
from invoices.models import Adjustment, AdjustmentKind, Invoice

from .. import limits
from ..models import WRITE_OFF_TRANSITIONS, WriteOffRequest, WriteOffStatus

APPROVE = "cash.approve_write_off"


def write_off_limit_check(amount: Decimal, currency: str, day=None) -> limits.LimitCheck:
    """``amount`` against the write-off approval limit, converted at ``day``'s rate (today)."""
    return limits.check(
        amount,
        currency,
        day or timezone.localdate(),
        name=limits.WRITE_OFF_APPROVAL,
        what="the write-off approval limit",
    )


def write_off_request(
    *, actor, invoice: Invoice, kind: str, amount, reason: str
) -> Adjustment | WriteOffRequest:
    """Write off now when within the limit (or the actor may approve); else ask."""
    amount = to_positive_money(amount)
    if kind not in AdjustmentKind.values:
        raise ServiceError(f"unknown adjustment kind {kind!r}", field="kind")
    if not (reason or "").strip():
        raise ServiceError("say why the balance is written off", field="reason")
    if actor.has_perm(APPROVE) or write_off_limit_check(amount, invoice.currency_id).within:
        return ledger.invoice_adjust(
            actor=actor, invoice=invoice, kind=kind, amount=amount, reason=reason
        )
    if amount > invoice.open_amount:
        raise ServiceError(
            f"{format_amount(amount, invoice.currency_id)} exceeds the open balance "
            f"{format_amount(invoice.open_amount, invoice.currency_id)} "
            f"of invoice {invoice.number}",
            field="amount",
        )
    try:
        with transaction.atomic():
            request = WriteOffRequest.objects.create(
                invoice=invoice,
                kind=kind,
                amount=amount,
                currency_id=invoice.currency_id,
                reason=reason.strip()[:200],
                requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit_record(
                actor=actor,
                action="write_off.request",
                instance=request,
                after={
                    "invoice": invoice.number,
                    "kind": kind,
                    "amount": str(amount),
                    "currency": invoice.currency_id,
                    "reason": request.reason,
                },
            )
    except IntegrityError:
        raise ServiceError(
            f"invoice {invoice.number} already has a write-off waiting for approval",
            field="amount",
            code="duplicate",
        ) from None
    return request


def write_off_decide(
    *, actor, request: WriteOffRequest, approve: bool, comment: str = ""
) -> WriteOffRequest:
    """Approve (the adjustment is written now, against today's open balance) or reject."""
    if not actor.has_perm(APPROVE):
        raise ServiceError("you may not approve write-offs", field="decision", code="forbidden")
    with transaction.atomic():
        locked = WriteOffRequest.objects.select_for_update().get(pk=request.pk)
        target = WriteOffStatus.APPROVED if approve else WriteOffStatus.REJECTED
        if target not in WRITE_OFF_TRANSITIONS[WriteOffStatus(locked.status)]:
            raise ServiceError(
                f"this write-off is already {locked.get_status_display().lower()}",
                field="decision",
                code="decided",
            )
        if locked.requested_by_id is not None and locked.requested_by_id == actor.pk:
            raise ServiceError(
                "a write-off is approved by someone other than who asked for it",
                field="decision",
            )
        if approve:
            locked.adjustment = ledger.invoice_adjust(
                actor=actor,
                invoice=locked.invoice,
                kind=locked.kind,
                amount=locked.amount,
                reason=locked.reason,
            )
        before = locked.status
        locked.status = target
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.comment = (comment or "").strip()[:200]
        locked.save(update_fields=["status", "decided_by", "decided_at", "comment", "adjustment"])
        audit_record(
            actor=actor,
            action="write_off.decide",
            instance=locked,
            before={"status": before},
            after={"status": target, "comment": locked.comment},
        )
    return locked
