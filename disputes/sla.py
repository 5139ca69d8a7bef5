"""SLA notices (docs/disputes.md): a beat task e-mails a dispute's owner once before its
due date (``DISPUTE_SLA_WARNING_DAYS`` ahead, default 2) and once after it passes while the
dispute is still open. Each notice is stamped on the dispute in the transaction that sends
it, under the dispute's row lock: a second run, or a second worker, sends nothing again."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record

from .models import ACTIVE_STATUSES, Dispute

WARNING = "warning"
BREACH = "breach"
_STAMP = {WARNING: "sla_warned_at", BREACH: "sla_breach_notified_at"}


def warning_days() -> int:
    return int(getattr(settings, "DISPUTE_SLA_WARNING_DAYS", 2))


def sla_recipients(dispute: Dispute) -> list[str]:
    """The dispute's owner: its assignee; else the members of the department it is routed
    to; else whoever opened it; else the customer's collector. Addresses, sorted."""
    User = get_user_model()
    if dispute.assignee_id:
        people = User.objects.filter(pk=dispute.assignee_id)
    else:
        people = User.objects.filter(dispute_departments__department=dispute.department)
    emails = sorted({e for e in people.filter(is_active=True).values_list("email", flat=True) if e})
    if emails:
        return emails
    for fallback in (dispute.opened_by_id, dispute.customer.assigned_collector_id):
        if fallback:
            row = User.objects.filter(pk=fallback, is_active=True).exclude(email="").first()
            if row:
                return [row.email]
    return []


def _message(dispute: Dispute, kind: str, today: datetime.date) -> tuple[str, str]:
    who = f"Dispute {dispute.pk} ({dispute.customer.name}, {dispute.reason.label})"
    amount = f"{dispute.amount} {dispute.currency_id}"
    link = getattr(settings, "SITE_URL", "").rstrip("/") + reverse("dispute", args=[dispute.pk])
    if kind == WARNING:
        days = (dispute.due_date - today).days
        when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        subject = f"{who} is due {when}"
        lead = f"The dispute is due {dispute.due_date:%Y-%m-%d} ({when}) and is still open."
    else:
        late = (today - dispute.due_date).days
        subject = f"{who} is past its SLA"
        lead = (
            f"The dispute was due {dispute.due_date:%Y-%m-%d} ({late} day"
            f"{'s' if late != 1 else ''} ago) and is still open; it is now in the credit "
            "manager's inbox."
        )
    body = (
        f"{lead}\n\nDisputed: {amount}\nStatus: {dispute.get_status_display()}\n"
        f"Department: {dispute.get_department_display()}\n\n{link}\n"
    )
    return subject, body


def _notify(pk: int, kind: str, today: datetime.date) -> bool:
    stamp = _STAMP[kind]
    with transaction.atomic():
        dispute = (
            Dispute.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("customer", "reason")
            .filter(pk=pk, status__in=ACTIVE_STATUSES, **{f"{stamp}__isnull": True})
            .first()
        )
        if dispute is None:  # notified meanwhile, closed, or another worker holds it
            return False
        to = sla_recipients(dispute)
        if to:
            subject, body = _message(dispute, kind, today)
            EmailMessage(subject=subject, body=body, to=to).send(fail_silently=False)
        setattr(dispute, stamp, timezone.now())
        dispute.save(update_fields=[stamp])
        audit_record(
            actor=None,
            action=f"dispute.sla_{kind}",
            instance=dispute,
            after={"to": to, "due_date": dispute.due_date.isoformat()},
        )
    return True


@dataclass
class SlaNotices:
    warned: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)


def dispute_sla_notify(*, today: datetime.date | None = None) -> SlaNotices:
    """Send every notice due today: the warning for open disputes due within the warning
    days, the breach notice for open disputes past their due date; each once."""
    today = today or timezone.localdate()
    active = Dispute.objects.filter(status__in=ACTIVE_STATUSES)
    soon = active.filter(
        sla_warned_at__isnull=True,
        due_date__gte=today,
        due_date__lte=today + datetime.timedelta(days=warning_days()),
    )
    late = active.filter(sla_breach_notified_at__isnull=True, due_date__lt=today)
    sent = SlaNotices()
    for pk in soon.order_by("due_date", "pk").values_list("pk", flat=True):
        if _notify(pk, WARNING, today):
            sent.warned.append(pk)
    for pk in late.order_by("due_date", "pk").values_list("pk", flat=True):
        if _notify(pk, BREACH, today):
            sent.breached.append(pk)
    return sent
