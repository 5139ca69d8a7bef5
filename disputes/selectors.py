"""Reads of disputes: the reason list, the status of every dispute on a past date (from its
history), and the disputed amount per invoice that aging shows."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.selectors import customers_for

from .models import (
    ACTIVE_STATUSES,
    DepartmentMember,
    Dispute,
    DisputeComment,
    DisputeEvent,
    DisputeLine,
    DisputeReason,
)

DISPUTE_VIEW = "disputes.view_dispute"
DISPUTE_ROUTED = "disputes.view_routed_disputes"


def dispute_reason_choices() -> list[tuple[str, str]]:
    return [
        ("", "— reason —"),
        *DisputeReason.objects.filter(active=True).order_by("label").values_list("code", "label"),
    ]


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The first instant after ``day`` in the company's time zone: events before it
    happened on or before ``day``."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


_ACTIVE = ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)

# The disputes in dispute at an instant (param: a timestamptz): the status each was left
# in by its last event before then. A dispute opened later has no event yet and is absent.
ACTIVE_DISPUTES_AT = f"""
    SELECT dispute_id FROM (
        SELECT DISTINCT ON (e.dispute_id) e.dispute_id, e.status
        FROM disputes_disputeevent e
        WHERE e.at < %s
        ORDER BY e.dispute_id, e.at DESC, e.id DESC
    ) last_event WHERE last_event.status IN ({_ACTIVE})"""  # noqa: S608

# The disputed amount per invoice at an instant (param: a timestamptz): Σ of the lines of
# the disputes in dispute then. Callers cap it at the invoice's open amount then.
DISPUTED_LINES_AT = f"""
    SELECT dl.invoice_id, SUM(dl.amount) AS amount
    FROM disputes_disputeline dl
    WHERE dl.dispute_id IN ({ACTIVE_DISPUTES_AT})
    GROUP BY dl.invoice_id"""  # noqa: S608

# ``i`` (an invoice) is named by a dispute in dispute at the instant (param: timestamptz).
IN_DISPUTE_AT = f"""SELECT 1 FROM disputes_disputeline dl
    WHERE dl.invoice_id = i.id AND dl.dispute_id IN ({ACTIVE_DISPUTES_AT})"""  # noqa: S608


def open_disputed_amount() -> Coalesce:
    """For ``Invoice`` rows: Σ of the invoice's lines in disputes still in dispute, 0 when
    none. The one definition the workspace, the queue and dunning set aside; callers cap it
    at the invoice's open amount (docs/disputes.md)."""
    per_invoice = (
        DisputeLine.objects.filter(invoice=OuterRef("pk"), dispute__status__in=ACTIVE_STATUSES)
        .order_by()
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(
        Subquery(per_invoice), Value(0), output_field=DecimalField(max_digits=18, decimal_places=2)
    )


# --- reach: who sees which disputes -------------------------------------------------------


def disputes_for(user) -> QuerySet[Dispute]:
    """The disputes ``user`` may see: those of the customers in their reach (collectors,
    credit managers, finance, CFO); for a resolver only those routed to their department
    or assigned to them, whoever's customer."""
    base = Dispute.objects.select_related("customer", "reason", "assignee", "currency")
    if not (user and user.is_authenticated and user.is_active):
        return base.none()
    if user.has_perm(DISPUTE_VIEW):
        return base.filter(customer__in=customers_for(user).order_by().values("id"))
    if user.has_perm(DISPUTE_ROUTED):
        departments = DepartmentMember.objects.filter(user=user).values("department")
        return base.filter(Q(department__in=departments) | Q(assignee=user))
    return base.none()


def dispute_for(user, pk: int) -> Dispute:
    return get_object_or_404(disputes_for(user), pk=pk)


def dispute_list(user, *, today: datetime.date | None = None) -> QuerySet[Dispute]:
    """The list page's rows: annotated with the invoices' count and whether the SLA is
    breached; one query whatever the page size."""
    today = today or timezone.localdate()
    return (
        disputes_for(user)
        .annotate(
            invoice_count=Count("lines"),
            sla_breached=Case(
                When(status__in=ACTIVE_STATUSES, due_date__lt=today, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .order_by("due_date", "id")
    )


def dispute_lines(dispute: Dispute) -> list:
    return list(dispute.lines.select_related("invoice").order_by("invoice__due_date", "pk"))


def dispute_page(dispute: Dispute) -> dict:
    """Everything the dispute page shows beside the dispute: its lines (with their
    invoices), history, comments, attachments and any proposal waiting for approval."""
    return {
        "lines": dispute_lines(dispute),
        "events": list(dispute.events.select_related("actor", "credit_memo").order_by("at", "id")),
        "comments": list(dispute.comments.select_related("author").order_by("created_at", "id")),
        "attachments": list(dispute.attachments.select_related("uploaded_by")),
        "pending_proposal": dispute.proposals.filter(status="pending")
        .select_related("proposed_by")
        .prefetch_related("lines__invoice")
        .first(),
    }


def assignable_users() -> QuerySet:
    """The people a dispute can be assigned to: whoever may work disputes."""
    User = get_user_model()
    perm = Q(groups__permissions__codename="change_dispute") | Q(is_superuser=True)
    return User.objects.filter(perm, is_active=True).distinct().order_by("username")


def dispute_api_rows(user) -> QuerySet[Dispute]:
    """The API's list: the disputes in reach with their lines and invoices, in three
    queries whatever the page size."""
    lines = DisputeLine.objects.select_related("invoice").order_by("invoice__due_date", "pk")
    return (
        disputes_for(user)
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("due_date", "id")
    )


def dispute_with_history(dispute: Dispute) -> Dispute:
    """The dispute with its lines, history, comments and attachments loaded (the API's
    detail), one query each."""
    prefetch_related_objects(
        [dispute],
        Prefetch(
            "lines",
            queryset=DisputeLine.objects.select_related("invoice").order_by(
                "invoice__due_date", "pk"
            ),
        ),
        Prefetch(
            "events",
            queryset=DisputeEvent.objects.select_related("actor", "credit_memo").order_by(
                "at", "id"
            ),
        ),
        Prefetch(
            "comments",
            queryset=DisputeComment.objects.select_related("author").order_by("created_at", "id"),
        ),
        "attachments",
    )
    return dispute


def breached_disputes_for(user, *, today: datetime.date | None = None) -> QuerySet[Dispute]:
    """Open disputes past their SLA due date, in the user's reach (the credit inbox)."""
    today = today or timezone.localdate()
    return disputes_for(user).filter(status__in=ACTIVE_STATUSES, due_date__lt=today)
