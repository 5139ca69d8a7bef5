"""Credit decisions above the ledger: the history of every credit status and limit change,
each user's credit authority, and limit changes waiting for someone whose authority covers
them (docs/credit.md).

Rows are written only by ``credit.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import CreditStatus, Currency, Customer

MONEY = {"max_digits": 18, "decimal_places": 2}


class CreditReason(models.TextChoices):
    PAYMENT_BEHAVIOUR = "payment_behaviour", "Payment behaviour"
    OVER_LIMIT = "over_limit", "Over limit"
    FINANCIAL_STATEMENTS = "financial_statements", "Financial statements"
    MANAGEMENT_DECISION = "management_decision", "Management decision"
    LEGAL = "legal", "Legal"
    OTHER = "other", "Other"
    # written by the beat task when a dated hold or watch runs out; not offered on forms
    LAPSED = "lapsed", "Until date passed"


# The reasons a person may give; LAPSED is the system's own.
PERSON_REASONS = [choice for choice in CreditReason.choices if choice[0] != CreditReason.LAPSED]
# Only a hold or a watch may be given an end date: "good" needs none, a stop is for good.
STATUSES_WITH_UNTIL = {CreditStatus.WATCH, CreditStatus.HOLD}


class CreditChangeKind(models.TextChoices):
    STATUS = "status", "Credit status"
    LIMIT = "limit", "Credit limit"


class CreditChange(models.Model):
    """One change of a customer's credit status or limit, with who, when, why and until."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_changes")
    kind = models.CharField(max_length=10, choices=CreditChangeKind.choices)
    status_before = models.CharField(max_length=10, choices=CreditStatus.choices, blank=True)
    status_after = models.CharField(max_length=10, choices=CreditStatus.choices, blank=True)
    limit_before = models.DecimalField(**MONEY, null=True, blank=True)
    limit_after = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.ForeignKey(
        Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=30, choices=CreditReason.choices)
    comment = models.TextField(blank=True)
    until = models.DateField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # the approved request this change carries out, if the actor's authority did not cover it
    request = models.OneToOneField(
        "LimitChangeRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="change",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("change_credit", "Change credit status and limits"),
            ("view_credit_inbox", "See the credit inbox and decide its items"),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at", "-id"], name="credit_change_history"),
            models.Index(
                fields=["until"], condition=Q(until__isnull=False), name="credit_change_until"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="status",
                        limit_before__isnull=True,
                        limit_after__isnull=True,
                        currency__isnull=True,
                    )
                    & ~Q(status_after="")
                    & ~Q(status_after=models.F("status_before"))
                )
                | (
                    Q(
                        kind="limit",
                        status_before="",
                        status_after="",
                        limit_before__gte=0,
                        limit_after__gte=0,
                        currency__isnull=False,
                        until__isnull=True,
                    )
                    & ~Q(limit_after=models.F("limit_before"))
                ),
                name="credit_change_status_xor_limit",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(status_after__in=["watch", "hold"]),
                name="credit_change_until_only_on_watch_or_hold",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == CreditChangeKind.STATUS:
            return f"{self.customer_id}: {self.status_before} → {self.status_after}"
        return f"{self.customer_id}: {self.limit_before} → {self.limit_after} {self.currency_id}"


class CreditAuthority(models.Model):
    """The highest credit limit a user may set without someone else's approval."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_authority"
    )
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name_plural = "credit authorities"
        ordering = ["amount", "user_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="credit_authority_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} up to {self.amount} {self.currency_id}"


class LimitRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


LIMIT_REQUEST_TRANSITIONS: dict[str, set[str]] = {
    LimitRequestStatus.PENDING: {LimitRequestStatus.APPROVED, LimitRequestStatus.REJECTED},
    LimitRequestStatus.APPROVED: set(),
    LimitRequestStatus.REJECTED: set(),
}


class LimitChangeRequest(models.Model):
    """A limit above its requester's authority, forwarded to someone whose authority covers it."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="limit_change_requests"
    )
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    limit_before = models.DecimalField(**MONEY)
    requested_limit = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=30, choices=CreditReason.choices)
    comment = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="limit_requests_to_decide"
    )
    status = models.CharField(
        max_length=10, choices=LimitRequestStatus.choices, default=LimitRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="limit_request_inbox")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status="pending"),
                name="one_pending_limit_request_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(limit_before__gte=0, requested_limit__gte=0),
                name="limit_request_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="limit_request_decided_when_not_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.requested_limit} {self.currency_id} ({self.status})"
