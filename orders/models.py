"""Sales orders from the ERP and the credit decisions on them (docs/orders.md).

An order counts in its customer's exposure while it is held or released and not yet
invoiced or cancelled. Its status moves only along ``ORDER_TRANSITIONS``, through
``orders.services.order_move``, which writes an ``OrderDecision`` row for every move.
The judgement (which rules hold an order, who may release it) is credit control's,
in ``credit/order_services.py``; this app holds the record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Currency, Customer
from accounts.money import MONEY_TOTAL
from invoices.models import Invoice

MONEY = {"max_digits": 18, "decimal_places": 2}


class OrderStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    HELD = "held", "Held for credit review"
    RELEASED = "released", "Released"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    INVOICED = "invoiced", "Invoiced"


# Held and released orders are credit we have promised or may promise: they count in exposure.
OPEN_STATUSES = (OrderStatus.HELD, OrderStatus.RELEASED)

ORDER_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.RECEIVED: {OrderStatus.HELD, OrderStatus.RELEASED},
    # held → held: re-checked, forwarded or changed, still waiting
    OrderStatus.HELD: {
        OrderStatus.HELD,
        OrderStatus.RELEASED,
        OrderStatus.REJECTED,
        OrderStatus.CANCELLED,
        OrderStatus.INVOICED,
    },
    # released → held: a larger amount no longer passes the rules
    OrderStatus.RELEASED: {
        OrderStatus.RELEASED,
        OrderStatus.HELD,
        OrderStatus.CANCELLED,
        OrderStatus.INVOICED,
    },
    OrderStatus.REJECTED: set(),
    OrderStatus.CANCELLED: set(),
    OrderStatus.INVOICED: set(),
}


class DecisionKind(models.TextChoices):
    RECEIVED = "received", "Received and decided"
    CHANGED = "changed", "Changed by the ERP"
    RECHECKED = "rechecked", "Rules run again"
    RELEASED = "released", "Released"
    REJECTED = "rejected", "Rejected"
    FORWARDED = "forwarded", "Forwarded"
    CANCELLED = "cancelled", "Cancelled"
    INVOICED = "invoiced", "Invoiced"


# The kinds that decide an order's fate and go back to the ERP by webhook.
DECISION_KINDS = {
    DecisionKind.RECEIVED,
    DecisionKind.CHANGED,
    DecisionKind.RECHECKED,
    DecisionKind.RELEASED,
    DecisionKind.REJECTED,
}


class Order(models.Model):
    # the ERP's reference, one per customer: an integration whose reach is a few portfolios
    # never learns of another portfolio's order by its reference (docs/orders.md)
    external_ref = models.CharField(max_length=60)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    amount = models.DecimalField(**MONEY)
    # the part invoices naming the order have moved to AR (at most the amount); the rest
    # counts as an open order while the order is held or released
    invoiced_amount = models.DecimalField(**MONEY, default=0)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    requested_ship_date = models.DateField()
    lines = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=OrderStatus.choices, default=OrderStatus.RECEIVED
    )
    # the latest decision, copied from its OrderDecision row for the queue
    reasons = models.JSONField(default=list, blank=True)
    exposure_before = models.DecimalField(**MONEY_TOTAL, null=True, blank=True)
    exposure_after = models.DecimalField(**MONEY_TOTAL, null=True, blank=True)
    credit_limit = models.DecimalField(**MONEY, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # a held order forwarded to someone whose authority covers it
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders_to_decide",
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # sha256 of the normalised request: a repeat with the same reference must match it
    body_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["requested_ship_date", "-amount", "id"]
        permissions = [
            ("release_order", "Release, reject, forward and re-check held orders"),
        ]
        indexes = [
            models.Index(fields=["external_ref"], name="order_reference"),
            models.Index(
                fields=["customer", "status"],
                condition=Q(status__in=["held", "released"]),
                name="order_open_by_customer",
            ),
            models.Index(
                fields=["requested_ship_date", "amount"],
                condition=Q(status="held"),
                name="order_release_queue",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "external_ref"], name="order_reference_per_customer"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="order_amount_positive"),
            models.CheckConstraint(
                condition=Q(invoiced_amount__gte=0, invoiced_amount__lte=F("amount")),
                name="order_invoiced_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_known"
            ),
            models.CheckConstraint(
                condition=Q(status="received") | Q(decided_at__isnull=False),
                name="order_decided_unless_received",
            ),
            models.CheckConstraint(
                condition=~Q(status="invoiced") | Q(invoice__isnull=False),
                name="order_invoiced_names_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_ref} ({self.status})"

    @property
    def open_amount(self):
        """What still counts as an open order: the amount not yet invoiced."""
        return self.amount - self.invoiced_amount

    @property
    def invoicing(self) -> str:
        """``not_invoiced``, ``partly_invoiced`` (some invoiced, the rest open) or
        ``invoiced``."""
        if self.status == OrderStatus.INVOICED:
            return "invoiced"
        return "partly_invoiced" if self.invoiced_amount > 0 else "not_invoiced"


class OrderDecision(models.Model):
    """One move of an order: who, when, from and to which status, why, and the figures seen."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(max_length=10, choices=DecisionKind.choices)
    status_before = models.CharField(max_length=10, choices=OrderStatus.choices)
    status_after = models.CharField(max_length=10, choices=OrderStatus.choices)
    amount = models.DecimalField(**MONEY)
    reasons = models.JSONField(default=list, blank=True)
    exposure_before = models.DecimalField(**MONEY_TOTAL, null=True, blank=True)
    exposure_after = models.DecimalField(**MONEY_TOTAL, null=True, blank=True)
    credit_limit = models.DecimalField(**MONEY, null=True, blank=True)
    comment = models.TextField(blank=True)
    over_limit_confirmed = models.BooleanField(default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    forwarded_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["order", "created_at", "id"], name="order_decision_history")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="order_decision_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind="forwarded") | Q(forwarded_to__isnull=False),
                name="order_forward_names_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.status_before} → {self.status_after} ({self.kind})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead letter"


class WebhookDelivery(models.Model):
    """One decision pushed to the ERP's URL; after the last attempt fails it is a dead
    letter an admin can retry."""

    decision = models.OneToOneField(
        OrderDecision, on_delete=models.PROTECT, related_name="delivery"
    )
    url = models.URLField(max_length=500)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="webhook_delivery_status")]

    def __str__(self) -> str:
        return f"{self.decision_id} → {self.url} ({self.status})"
