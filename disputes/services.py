"""Writes to disputes: opening one from the collector's workspace and resolving it (when and
how, which the dispute cycle time reads); the disputes issue adds routing and root cause."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.models import Customer
from accounts.money import to_positive_money
from invoices.models import Invoice

from .models import (
    DISPUTE_TRANSITIONS,
    RESOLUTION_MAX_LENGTH,
    Dispute,
    DisputeReason,
    DisputeStatus,
)


def dispute_open(
    *,
    actor,
    customer: Customer,
    invoice_ids: list[int],
    reason_code: str,
    note: str = "",
    amount: Decimal | None = None,
) -> Dispute:
    """Open a dispute on some of a customer's open invoices; the amount defaults to their
    open balance and may not exceed it."""
    if reason_code not in DisputeReason.values:
        raise ServiceError(f"{reason_code!r} is not a dispute reason", field="reason_code")
    ids = sorted(set(invoice_ids))
    if not ids:
        raise ServiceError("select the invoices in dispute", field="invoices")
    with transaction.atomic():
        invoices = list(
            Invoice.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, customer=customer, open_amount__gt=0)
            .order_by("pk")
        )
        if len(invoices) != len(ids):
            raise ServiceError(
                "a dispute may cover only this customer's open invoices", field="invoices"
            )
        currencies = {i.currency_id for i in invoices}
        if len(currencies) > 1:
            raise ServiceError("a dispute covers invoices of one currency", field="invoices")
        already = (
            Dispute.objects.filter(status=DisputeStatus.OPEN, invoices__in=ids)
            .values_list("invoices__number", flat=True)
            .distinct()
        )
        already = sorted(set(already) & {i.number for i in invoices})
        if already:
            raise ServiceError(
                f"already in an open dispute: {', '.join(already)}",
                field="invoices",
                code="duplicate",
            )
        open_total = sum((i.open_amount for i in invoices), Decimal("0.00"))
        amount = open_total if amount is None else to_positive_money(amount, field="amount")
        if amount > open_total:
            raise ServiceError(
                f"{amount} is more than the {open_total} open on those invoices", field="amount"
            )
        dispute = Dispute.objects.create(
            customer=customer,
            amount=amount,
            currency_id=currencies.pop(),
            reason_code=reason_code,
            note=note,
            opened_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        dispute.invoices.set(invoices)
        audit_record(
            actor=actor,
            action="dispute.open",
            instance=dispute,
            after={
                "customer": customer.pk,
                "invoices": [i.pk for i in invoices],
                "amount": str(amount),
                "currency": dispute.currency_id,
                "reason_code": reason_code,
            },
        )
    return dispute


def dispute_resolve(*, actor, dispute: Dispute, resolution: str) -> Dispute:
    """Close a dispute with a word on how it ended, stamping the moment so the cycle time
    (opened → resolved) can be reported; routing and root cause come with the disputes
    issue."""
    resolution = resolution.strip()
    if not resolution:
        raise ServiceError("say how the dispute was resolved", field="resolution")
    if len(resolution) > RESOLUTION_MAX_LENGTH:
        raise ServiceError(
            f"say how the dispute was resolved in at most {RESOLUTION_MAX_LENGTH} characters",
            field="resolution",
        )
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if DisputeStatus.RESOLVED not in DISPUTE_TRANSITIONS[dispute.status]:
            raise ServiceError(
                f"a {dispute.get_status_display().lower()} dispute cannot be resolved",
                field="status",
                code="invalid_transition",
            )
        before = {"status": dispute.status}
        dispute.status = DisputeStatus.RESOLVED
        dispute.resolved_at = max(timezone.now(), dispute.opened_at)
        dispute.resolution = resolution
        dispute.save(update_fields=["status", "resolved_at", "resolution"])
        audit_record(
            actor=actor,
            action="dispute.resolve",
            instance=dispute,
            before=before,
            after={
                "status": dispute.status,
                "resolution": resolution,
                "resolved_at": dispute.resolved_at.isoformat(),
            },
        )
    return dispute
