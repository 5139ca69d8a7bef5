"""Disputes and deductions (docs/disputes.md).

A dispute names one or more invoices of one customer, each with its own disputed amount
(``DisputeLine``), for a reason from an admin-edited table that routes it to a department
with an SLA. Its status moves only along ``DISPUTE_TRANSITIONS``: the one service
``disputes.services.dispute_move`` moves it and writes a ``DisputeEvent``; a trigger
(disputes/0003) refuses any other move in the database. The events are the history aging
reads to say what was in dispute on a past date.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Currency, Customer
from invoices.models import Invoice

MONEY = {"max_digits": 18, "decimal_places": 2}


class Department(models.TextChoices):
    COLLECTIONS = "collections", "Collections"
    SALES = "sales", "Sales"
    SHIPPING = "shipping", "Shipping / logistics"
    BILLING = "billing", "Billing"
    QUALITY = "quality", "Quality"


class DepartmentMember(models.Model):
    """A resolver's department: they see the disputes routed to it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dispute_departments"
    )
    department = models.CharField(max_length=20, choices=Department.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "department"], name="department_member_once"),
            models.CheckConstraint(
                condition=Q(department__in=Department.values), name="department_member_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.department}"


class DisputeReason(models.Model):
    """A reason code; admins edit the label, the owning department and the SLA."""

    code = models.CharField(max_length=20, primary_key=True)
    label = models.CharField(max_length=80)
    department = models.CharField(max_length=20, choices=Department.choices)
    sla_days = models.PositiveSmallIntegerField(default=10)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.CheckConstraint(
                condition=Q(department__in=Department.values), name="dispute_reason_department"
            ),
            models.CheckConstraint(
                condition=Q(sla_days__gte=1, sla_days__lte=365), name="dispute_reason_sla_days"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_REVIEW = "in_review", "In review"
    AWAITING_CUSTOMER = "awaiting_customer", "Awaiting customer"
    AWAITING_INTERNAL = "awaiting_internal", "Awaiting internal"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"


S = DisputeStatus
_WORKING = {S.IN_REVIEW, S.AWAITING_CUSTOMER, S.AWAITING_INTERNAL}
_CLOSE = {S.RESOLVED, S.WITHDRAWN}

# Every allowed move. Reopening (resolved/withdrawn → open) needs a reason (the service).
# A change here needs a migration replacing the trigger function (disputes/0003).
DISPUTE_TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: _WORKING | _CLOSE,
    S.IN_REVIEW: (_WORKING - {S.IN_REVIEW}) | _CLOSE,
    S.AWAITING_CUSTOMER: (_WORKING - {S.AWAITING_CUSTOMER}) | _CLOSE,
    S.AWAITING_INTERNAL: (_WORKING - {S.AWAITING_INTERNAL}) | _CLOSE,
    S.RESOLVED: {S.OPEN},
    S.WITHDRAWN: {S.OPEN},
}

# In dispute: the amount stays out of dunning and of the collectable total.
ACTIVE_STATUSES: tuple[str, ...] = (S.OPEN, S.IN_REVIEW, S.AWAITING_CUSTOMER, S.AWAITING_INTERNAL)


class DisputeOutcome(models.TextChoices):
    CREDIT_ISSUED = "credit_issued", "Credit issued"
    NO_CREDIT = "no_credit", "No credit — customer to pay"
    PARTIAL_CREDIT = "partial_credit", "Partial credit"


class DisputeKind(models.TextChoices):
    DISPUTE = "dispute", "Dispute"
    DEDUCTION = "deduction", "Deduction"


class RaisedVia(models.TextChoices):
    COLLECTOR = "collector", "Collector"
    CASH_APPLICATION = "cash_application", "Cash application (short payment)"
    PORTAL = "portal", "Customer portal"


RESOLUTION_MAX_LENGTH = 500


class Dispute(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="disputes")
    invoices = models.ManyToManyField(Invoice, through="DisputeLine", related_name="disputes")
    # Σ of the lines' amounts, written with them by the service.
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=DisputeKind.choices, default=DisputeKind.DISPUTE)
    reason = models.ForeignKey(DisputeReason, on_delete=models.PROTECT, related_name="disputes")
    raised_via = models.CharField(
        max_length=20, choices=RaisedVia.choices, default=RaisedVia.COLLECTOR
    )
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    department = models.CharField(max_length=20, choices=Department.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=DisputeOutcome.choices, blank=True)
    resolution = models.CharField(max_length=RESOLUTION_MAX_LENGTH, blank=True)
    # the SLA notices (disputes.sla): each e-mailed once, stamped in the sending transaction
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    sla_breach_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        permissions = [
            # a resolver (sales, shipping, billing): the disputes routed to their department
            # or assigned to them, whoever's portfolio (disputes/selectors.py)
            ("view_routed_disputes", "Can see disputes routed to them"),
            ("resolve_with_credit", "Can resolve a dispute with a credit memo"),
        ]
        indexes = [
            models.Index(fields=["customer", "status"]),
            models.Index(fields=["department", "status"], name="dispute_department_status"),
            # the dispute cycle time reads disputes by the day they were resolved
            models.Index(
                fields=["resolved_at"],
                name="dispute_resolved_at",
                condition=Q(resolved_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dispute_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=DisputeStatus.values), name="dispute_status_known"
            ),
            models.CheckConstraint(
                condition=Q(department__in=Department.values), name="dispute_department_known"
            ),
            models.CheckConstraint(
                condition=Q(status=DisputeStatus.RESOLVED, resolved_at__isnull=False)
                | (~Q(status=DisputeStatus.RESOLVED) & Q(resolved_at__isnull=True)),
                name="dispute_resolved_at_iff_resolved",
            ),
            # a resolved dispute says how (disputes resolved before outcomes existed: blank)
            models.CheckConstraint(
                condition=Q(status=DisputeStatus.RESOLVED, outcome__in=DisputeOutcome.values)
                | Q(outcome=""),
                name="dispute_outcome_only_when_resolved",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("opened_at")),
                name="dispute_resolved_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"dispute {self.pk} on {self.customer_id}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def overdue(self) -> bool:
        return self.is_active and self.due_date < timezone.localdate()


class DisputeLine(models.Model):
    """One disputed invoice and how much of it is disputed; ``credited`` is what a
    resolution has credited against it so far (never more than the line)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="lines")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="dispute_lines")
    amount = models.DecimalField(**MONEY)
    credited = models.DecimalField(**MONEY, default=0)

    class Meta:
        ordering = ["invoice__due_date", "invoice_id"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "invoice"], name="dispute_line_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="dispute_line_amount_positive"),
            models.CheckConstraint(
                condition=Q(credited__gte=0, credited__lte=F("amount")),
                name="dispute_line_credited_within_amount",
            ),
        ]
        # amount ≤ the invoice's amount: a trigger (disputes/0003), it reads another table

    def __str__(self) -> str:
        return f"{self.amount} of invoice {self.invoice_id}"


class DisputeEventKind(models.TextChoices):
    OPENED = "opened", "Opened"
    MOVED = "moved", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    PROPOSED = "proposed", "Credit proposed"
    REJECTED = "rejected", "Proposal rejected"


class DisputeEvent(models.Model):
    """The history: every change of a dispute, with who and when, and the status it left
    the dispute in (so the status on any past date is that of its last event by then).
    Append-only (disputes/0003)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=DisputeEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=DisputeStatus.choices, blank=True)
    status = models.CharField(max_length=20, choices=DisputeStatus.choices)
    outcome = models.CharField(max_length=20, choices=DisputeOutcome.choices, blank=True)
    note = models.TextField(blank=True)
    credit_memo = models.ForeignKey(
        "invoices.CreditMemo", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dispute", "at", "id"], name="dispute_event_history")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DisputeStatus.values), name="dispute_event_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_status}→{self.status}"


class DisputeComment(models.Model):
    """An internal comment: never shown to the customer."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="dispute_comment_not_empty"),
        ]

    def __str__(self) -> str:
        return f"comment on dispute {self.dispute_id}"


def attachment_path(instance: DisputeAttachment, filename: str) -> str:
    return f"disputes/{instance.dispute_id}/{filename}"


class DisputeAttachment(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__gt=0, size__lte=10 * 1024 * 1024),
                name="dispute_attachment_size",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


CREDIT_OUTCOMES: tuple[str, ...] = (DisputeOutcome.CREDIT_ISSUED, DisputeOutcome.PARTIAL_CREDIT)


class DisputeProposal(models.Model):
    """A resolver's proposed resolution with credit: a collector or credit manager (who may
    resolve with credit) approves it — resolving the dispute through the one service that
    issues the credit memo — or rejects it. One pending proposal per dispute."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="proposals")
    outcome = models.CharField(max_length=20, choices=DisputeOutcome.choices)
    note = models.CharField(max_length=RESOLUTION_MAX_LENGTH)
    amount = models.DecimalField(**MONEY)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    credit_memo = models.ForeignKey(
        "invoices.CreditMemo", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute"],
                condition=Q(status="pending"),
                name="dispute_proposal_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=CREDIT_OUTCOMES), name="dispute_proposal_with_credit"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values), name="dispute_proposal_status"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="dispute_proposal_amount"),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="dispute_proposal_decided_iff_not_pending",
            ),
            models.CheckConstraint(
                condition=Q(credit_memo__isnull=True) | Q(status="approved"),
                name="dispute_proposal_memo_only_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"proposal {self.pk} on dispute {self.dispute_id}"


class DisputeProposalLine(models.Model):
    """What the proposal credits on one of the dispute's invoices."""

    proposal = models.ForeignKey(DisputeProposal, on_delete=models.CASCADE, related_name="lines")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["invoice_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "invoice"], name="dispute_proposal_line_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="dispute_proposal_line_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} on invoice {self.invoice_id}"
