"""Cancelling a customer's commitment to pay — a promise or a payment plan — one way."""

from __future__ import annotations

from django.db import models, transaction

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.locale_format import format_amount

from ..models import ActivityKind
from .activities import activity_add
from .queue import queue_state_refresh


def commitment_cancel(
    *,
    actor,
    commitment: models.Model,
    transitions: dict,
    cancelled: str,
    noun: str,
    action: str,
    amount: str,
    reason: str,
):
    """Lock, check the transition table, cancel, audit, log on the timeline, re-score.

    ``amount`` names the field holding the committed total (``amount`` or ``total_amount``).
    """
    reason = reason.strip()
    if not reason:
        raise ServiceError(f"say why the {noun} is cancelled", field="reason")
    model = type(commitment)
    with transaction.atomic():
        locked = model.objects.select_for_update().select_related("customer").get(pk=commitment.pk)
        if cancelled not in transitions[locked.status]:
            raise ServiceError(
                f"a {locked.get_status_display().lower()} {noun} cannot be cancelled",
                field="status",
                code="invalid_transition",
            )
        before = {"status": locked.status}
        locked.status = cancelled
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action=action,
            instance=locked,
            before=before,
            after={"status": locked.status, "reason": reason},
        )
        activity_add(
            actor=actor,
            customer=locked.customer,
            kind=ActivityKind.PROMISE,
            summary=(
                f"{noun[0].upper()}{noun[1:]} of "
                f"{format_amount(getattr(locked, amount), locked.currency_id)} cancelled"
            ),
            note=reason,
        )
        queue_state_refresh(customer_ids=[locked.customer_id])
    return locked
