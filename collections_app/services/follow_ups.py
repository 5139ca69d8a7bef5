"""Follow-ups: a date on which someone will look at the account again."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.models import Customer

from ..models import FOLLOW_UP_TRANSITIONS, ActivityKind, FollowUp, FollowUpStatus
from .activities import activity_add
from .queue import queue_state_refresh


def may_work_follow_ups(user) -> bool:
    return bool(
        user is not None
        and user.is_active
        and user.has_perm("collections_app.view_followup")
        and user.has_perm("accounts.view_customer")
    )


def follow_up_schedule(
    *, actor, customer: Customer, due_date: datetime.date, assigned_to=None, note: str = ""
) -> FollowUp:
    assigned_to = assigned_to or actor
    if not isinstance(assigned_to, get_user_model()) or not may_work_follow_ups(assigned_to):
        raise ServiceError("follow-ups go to an active collector or manager", field="assigned_to")
    if due_date < timezone.localdate():
        raise ServiceError("a follow-up cannot be due in the past", field="due_date")
    with transaction.atomic():
        follow_up = FollowUp.objects.create(
            customer=customer,
            assigned_to=assigned_to,
            due_date=due_date,
            note=note[:300],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        for_whom = "" if assigned_to == actor else f" for {assigned_to.get_username()}"
        activity_add(
            actor=actor,
            customer=customer,
            kind=ActivityKind.FOLLOW_UP,
            summary=f"Follow-up{for_whom} on {due_date:%b %d, %Y}",
            note=note,
        )
        audit_record(
            actor=actor,
            action="follow_up.schedule",
            instance=follow_up,
            after={
                "customer": customer.pk,
                "assigned_to": assigned_to.pk,
                "due_date": due_date.isoformat(),
            },
        )
        queue_state_refresh(customer_ids=[customer.pk])
    return follow_up


def follow_up_complete(
    *, actor, follow_up: FollowUp, status: str = FollowUpStatus.DONE
) -> FollowUp:
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if status not in FOLLOW_UP_TRANSITIONS[follow_up.status]:
            raise ServiceError(
                f"a {follow_up.get_status_display().lower()} follow-up cannot become {status}",
                field="status",
                code="invalid_transition",
            )
        before = {"status": follow_up.status}
        follow_up.status = status
        follow_up.completed_at = timezone.now()
        follow_up.save(update_fields=["status", "completed_at"])
        audit_record(
            actor=actor,
            action="follow_up.complete",
            instance=follow_up,
            before=before,
            after={"status": status},
        )
        queue_state_refresh(customer_ids=[follow_up.customer_id])
    return follow_up


def follow_ups_close_on_contact(*, actor, customer: Customer) -> int:
    """A contact made today settles the follow-ups due by today for this collector."""
    today = timezone.localdate()
    due = FollowUp.objects.filter(
        customer=customer, assigned_to=actor, status=FollowUpStatus.OPEN, due_date__lte=today
    )
    count = 0
    for follow_up in due.order_by("pk"):
        follow_up_complete(actor=actor, follow_up=follow_up)
        count += 1
    return count
