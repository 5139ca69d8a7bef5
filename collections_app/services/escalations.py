"""Escalation of an account to the credit manager."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import roles
from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.models import Customer

from ..models import (
    ESCALATION_TRANSITIONS,
    ActivityKind,
    Escalation,
    EscalationStatus,
    FollowUp,
    FollowUpStatus,
)
from .activities import activity_add
from .follow_ups import follow_up_complete
from .queue import queue_state_refresh


def credit_manager_for(customer: Customer):
    """The first active credit manager by username; routing rules come with the credit issue."""
    return (
        get_user_model()
        .objects.filter(groups__name=roles.CREDIT_MANAGER, is_active=True)
        .order_by("username", "pk")
        .first()
    )


def escalation_raise(
    *, actor, customer: Customer, reason: str, follow_up: bool = True
) -> Escalation:
    """Escalate an account; one that is already escalated is refused (code "duplicate").

    The customer row is locked before the check, so a collector's click and a dunning
    worker escalating the same account queue up, and the second one is refused; the
    partial unique index (one open escalation per customer) backs the lock up.

    ``follow_up=False`` (dunning) leaves it on the credit manager's list only: a follow-up
    due today would show in the collector's queue as work for the collector.
    """
    reason = reason.strip()
    if len(reason) < 5:
        raise ServiceError("say why the account needs the credit manager", field="reason")
    manager = credit_manager_for(customer)
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        if Escalation.objects.filter(customer=customer, status=EscalationStatus.OPEN).exists():
            raise _already_escalated()
        try:
            with transaction.atomic():
                escalation = Escalation.objects.create(
                    customer=customer,
                    reason=reason,
                    assigned_to=manager,
                    raised_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
        except IntegrityError:
            raise _already_escalated() from None
        to_whom = manager.get_username() if manager else "the credit managers"
        activity_add(
            actor=actor,
            customer=customer,
            kind=ActivityKind.ESCALATION,
            summary=f"Escalated to {to_whom}",
            note=reason,
        )
        if manager is not None and follow_up:
            FollowUp.objects.create(
                customer=customer,
                assigned_to=manager,
                escalation=escalation,
                due_date=timezone.localdate(),
                note=f"Escalation: {reason}"[:300],
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
        audit_record(
            actor=actor,
            action="escalation.raise",
            instance=escalation,
            after={
                "customer": customer.pk,
                "reason": reason,
                "assigned_to": manager.pk if manager else None,
            },
        )
        queue_state_refresh(customer_ids=[customer.pk])
    return escalation


def _already_escalated() -> ServiceError:
    return ServiceError("this account is already escalated", field="reason", code="duplicate")


def escalation_resolve(*, actor, escalation: Escalation, resolution: str) -> Escalation:
    resolution = resolution.strip()
    if not resolution:
        raise ServiceError("say what was decided", field="resolution")
    with transaction.atomic():
        escalation = (
            Escalation.objects.select_for_update().select_related("customer").get(pk=escalation.pk)
        )
        if EscalationStatus.RESOLVED not in ESCALATION_TRANSITIONS[escalation.status]:
            raise ServiceError(
                f"a {escalation.get_status_display().lower()} escalation cannot be resolved",
                field="status",
                code="invalid_transition",
            )
        before = {"status": escalation.status}
        escalation.status = EscalationStatus.RESOLVED
        escalation.save(update_fields=["status"])
        activity_add(
            actor=actor,
            customer=escalation.customer,
            kind=ActivityKind.ESCALATION,
            summary="Escalation resolved",
            note=resolution,
        )
        audit_record(
            actor=actor,
            action="escalation.resolve",
            instance=escalation,
            before=before,
            after={"status": escalation.status, "resolution": resolution},
        )
        # the decision is made: the credit manager's follow-up of it is done too
        follow_up = FollowUp.objects.filter(
            escalation=escalation, status=FollowUpStatus.OPEN
        ).first()
        if follow_up is not None:
            follow_up_complete(actor=actor, follow_up=follow_up)  # refreshes the score too
        else:
            queue_state_refresh(customer_ids=[escalation.customer_id])
    return escalation
