"""Disputes and deductions. A minimal record plus when and how it was resolved (for the
dispute cycle time); the disputes issue extends it with routing and root cause."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Currency, Customer
from invoices.models import Invoice


class DisputeReason(models.TextChoices):
    PRICING = "pricing", "Pricing error"
    QUANTITY = "quantity", "Quantity short / not received"
    DAMAGED = "damaged", "Damaged goods"
    QUALITY = "quality", "Quality / service"
    DUPLICATE = "duplicate", "Duplicate billing"
    PO_MISSING = "po_missing", "PO missing or wrong"
    TAX = "tax", "Tax"
    OTHER = "other", "Other"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


DISPUTE_TRANSITIONS: dict[str, set[str]] = {
    DisputeStatus.OPEN: {DisputeStatus.RESOLVED},
    DisputeStatus.RESOLVED: set(),
}


RESOLUTION_MAX_LENGTH = 500


class Dispute(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="disputes")
    invoices = models.ManyToManyField(Invoice, related_name="disputes")
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    reason_code = models.CharField(max_length=20, choices=DisputeReason.choices)
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=RESOLUTION_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"]),
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
                condition=Q(status=DisputeStatus.RESOLVED, resolved_at__isnull=False)
                | (~Q(status=DisputeStatus.RESOLVED) & Q(resolved_at__isnull=True)),
                name="dispute_resolved_at_iff_resolved",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("opened_at")),
                name="dispute_resolved_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"dispute {self.pk} on {self.customer_id}"
