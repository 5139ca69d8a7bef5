"""The collector's side of a dispute: ``dispute_raise`` opens one and ``dispute_close``
resolves it (``disputes.services.dispute_open`` / ``dispute_resolve`` own the record), each
with its line on the timeline; the queue score follows through ``dispute_changed_hooks``."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from accounts.locale_format import format_amount
from accounts.models import Customer
from disputes import services as disputes
from disputes.models import Dispute, DisputeOutcome

from ..models import ActivityKind
from .activities import activity_add


def dispute_raise(
    *,
    actor,
    customer: Customer,
    invoice_ids: list[int],
    reason_code: str,
    note: str = "",
    amount: Decimal | None = None,
    amounts: dict[int, Decimal] | None = None,
) -> Dispute:
    with transaction.atomic():
        dispute = disputes.dispute_open(
            actor=actor,
            customer=customer,
            invoice_ids=invoice_ids,
            reason_code=reason_code,
            note=note,
            amount=amount,
            amounts=amounts,
        )
        numbers = ", ".join(dispute.invoices.order_by("number").values_list("number", flat=True))
        activity_add(
            actor=actor,
            customer=customer,
            kind=ActivityKind.DISPUTE,
            summary=f"Dispute ({dispute.reason.label}) of "
            f"{format_amount(dispute.amount, dispute.currency_id)} on {numbers}",
            note=note,
        )
    return dispute


def dispute_close(
    *,
    actor,
    dispute: Dispute,
    resolution: str,
    outcome: str = DisputeOutcome.NO_CREDIT,
) -> Dispute:
    """From the workspace: resolved without credit (the customer pays) unless told; a
    credit is given from the dispute page, line by line."""
    with transaction.atomic():
        dispute = disputes.dispute_resolve(
            actor=actor, dispute=dispute, resolution=resolution, outcome=outcome
        )
        activity_add(
            actor=actor,
            customer=dispute.customer,
            kind=ActivityKind.DISPUTE,
            summary=f"Dispute of {format_amount(dispute.amount, dispute.currency_id)} resolved",
            note=resolution.strip(),
        )
    return dispute


def on_dispute_credited(*, actor, dispute: Dispute, memo) -> None:
    """A dispute resolved with credit (on the dispute page or by an approved proposal): the
    credit memo and the invoices it was applied to, on the account's timeline."""
    numbers = ", ".join(
        memo.applications.order_by("invoice__number").values_list("invoice__number", flat=True)
    )
    activity_add(
        actor=actor,
        customer=dispute.customer,
        kind=ActivityKind.DISPUTE,
        summary=(
            f"Credit memo {memo.number} of {format_amount(memo.amount, memo.currency_id)} "
            "applied to "
            f"{numbers}: dispute {dispute.pk} resolved, "
            f"{DisputeOutcome(dispute.outcome).label.lower()}"
        ),
        note=dispute.resolution,
    )
