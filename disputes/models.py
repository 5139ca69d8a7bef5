"""Disputes and deductions. A minimal record for now; the disputes issue extends it with
routing, resolution and root cause."""

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

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["customer", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dispute_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"dispute {self.pk} on {self.customer_id}"
