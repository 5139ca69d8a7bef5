"""The collector's workflow: activities, promises to pay, follow-ups, escalations, and the
stored queue state (priority score) of each customer.

Statuses move only through the transition tables below, by the services in
``collections_app/services``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.buckets import BUCKET_LABELS, BUCKETS
from accounts.models import Contact, Currency, Customer
from accounts.money import MONEY_TOTAL
from invoices.models import Invoice

MONEY = {"max_digits": 18, "decimal_places": 2}


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    LETTER = "letter", "Letter"
    NOTE = "note", "Note"
    PROMISE = "promise", "Promise to pay"
    DISPUTE = "dispute", "Dispute"
    ESCALATION = "escalation", "Escalation"
    FOLLOW_UP = "follow_up", "Follow-up"
    PAYMENT = "payment", "Payment"
    SYSTEM = "system", "System event"
    CREDIT = "credit", "Credit decision"
    DETAILS = "details", "Contact details"


CONTACT_KINDS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.LETTER)


class CallOutcome(models.TextChoices):
    NO_ANSWER = "no_answer", "No answer"
    LEFT_VOICEMAIL = "left_voicemail", "Left voicemail"
    SPOKE_TO_AP = "spoke_to_ap", "Spoke to AP"
    PROMISED = "promised", "Promised to pay"
    DISPUTED = "disputed", "Disputed"
    REFUSED = "refused", "Refused to pay"
    WRONG_NUMBER = "wrong_number", "Wrong number"


class Activity(models.Model):
    """One line of an account's timeline; append-only."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="activities")
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices, blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    # A letter or e-mail's PDF as sent (dunning communications, statements).
    document = models.FileField(upload_to="activities/", blank=True)

    class Meta:
        verbose_name_plural = "activities"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="activity_timeline"),
            models.Index(fields=["actor", "kind", "occurred_at"], name="activity_by_actor"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="call") | Q(outcome=""), name="activity_outcome_only_on_calls"
            ),
            models.CheckConstraint(
                condition=~Q(kind="call") | ~Q(outcome=""), name="activity_call_has_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"


class PromiseStatus(models.TextChoices):
    OPEN = "open", "Open"
    KEPT = "kept", "Kept"
    PARTIALLY_KEPT = "partially_kept", "Partially kept"
    BROKEN = "broken", "Broken"
    CANCELLED = "cancelled", "Cancelled"


# Evaluated states may move again: cash can be reversed, or applied late with an earlier
# effective date (a bank file imported a day late). Cancelled is final.
PROMISE_TRANSITIONS: dict[str, set[str]] = {
    PromiseStatus.OPEN: {
        PromiseStatus.KEPT,
        PromiseStatus.PARTIALLY_KEPT,
        PromiseStatus.BROKEN,
        PromiseStatus.CANCELLED,
    },
    PromiseStatus.KEPT: {PromiseStatus.OPEN, PromiseStatus.PARTIALLY_KEPT, PromiseStatus.BROKEN},
    PromiseStatus.PARTIALLY_KEPT: {PromiseStatus.KEPT, PromiseStatus.BROKEN},
    PromiseStatus.BROKEN: {PromiseStatus.KEPT, PromiseStatus.PARTIALLY_KEPT},
    PromiseStatus.CANCELLED: set(),
}


class Promise(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="promises")
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    promised_date = models.DateField()
    invoices = models.ManyToManyField(Invoice, blank=True, related_name="promises")
    status = models.CharField(
        max_length=20, choices=PromiseStatus.choices, default=PromiseStatus.OPEN
    )
    collected_amount = models.DecimalField(**MONEY, default=0)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-promised_date", "-id"]
        indexes = [
            models.Index(fields=["customer", "status", "promised_date"]),
            models.Index(fields=["status", "promised_date"]),
            models.Index(fields=["created_by", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(
                condition=Q(collected_amount__gte=0), name="promise_collected_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency_id} by {self.promised_date}"


class PaymentPlanStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    BROKEN = "broken", "Broken"
    CANCELLED = "cancelled", "Cancelled"


# Like promises, judged plans may move again when cash is reversed or applied with an
# earlier effective date. Cancelled is final.
PAYMENT_PLAN_TRANSITIONS: dict[str, set[str]] = {
    PaymentPlanStatus.OPEN: {
        PaymentPlanStatus.COMPLETED,
        PaymentPlanStatus.BROKEN,
        PaymentPlanStatus.CANCELLED,
    },
    PaymentPlanStatus.COMPLETED: {PaymentPlanStatus.OPEN, PaymentPlanStatus.BROKEN},
    PaymentPlanStatus.BROKEN: {
        PaymentPlanStatus.OPEN,
        PaymentPlanStatus.COMPLETED,
        PaymentPlanStatus.CANCELLED,
    },
    PaymentPlanStatus.CANCELLED: set(),
}


class PaymentPlan(models.Model):
    """Instalments agreed for an account; the total is the sum of its instalments."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payment_plans")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    total_amount = models.DecimalField(**MONEY)
    status = models.CharField(
        max_length=10, choices=PaymentPlanStatus.choices, default=PaymentPlanStatus.OPEN
    )
    collected_amount = models.DecimalField(**MONEY, default=0)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gt=0), name="payment_plan_total_positive"
            ),
            models.CheckConstraint(
                condition=Q(collected_amount__gte=0), name="payment_plan_collected_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"plan of {self.total_amount} {self.currency_id} for {self.customer_id}"


class PaymentPlanInstallment(models.Model):
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="installments")
    due_date = models.DateField()
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="installment_amount_positive"),
            models.UniqueConstraint(fields=["plan", "due_date"], name="installment_one_per_date"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} due {self.due_date}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


FOLLOW_UP_TRANSITIONS: dict[str, set[str]] = {
    FollowUpStatus.OPEN: {FollowUpStatus.DONE, FollowUpStatus.CANCELLED},
    FollowUpStatus.DONE: set(),
    FollowUpStatus.CANCELLED: set(),
}


class FollowUp(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="follow_ups")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups"
    )
    due_date = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    promise = models.OneToOneField(
        Promise, null=True, blank=True, on_delete=models.PROTECT, related_name="broken_follow_up"
    )
    # the credit manager's follow-up of an escalation: resolving the escalation closes it
    escalation = models.OneToOneField(
        "Escalation", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["customer", "status", "due_date"]),
            models.Index(fields=["assigned_to", "status", "due_date"]),
        ]

    def __str__(self) -> str:
        return f"follow up {self.customer_id} on {self.due_date}"


class EscalationStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


ESCALATION_TRANSITIONS: dict[str, set[str]] = {
    EscalationStatus.OPEN: {EscalationStatus.RESOLVED},
    EscalationStatus.RESOLVED: set(),
}


class Escalation(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="escalations")
    reason = models.TextField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=EscalationStatus.choices, default=EscalationStatus.OPEN
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["status", "raised_at"])]
        constraints = [
            # A collector's click and a dunning worker may race: the index decides.
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status=EscalationStatus.OPEN),
                name="one_open_escalation_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"escalation of {self.customer_id}"


BUCKET_CHOICES = [(bucket, BUCKET_LABELS[bucket]) for bucket in BUCKETS]


class QueueRiskClass(models.TextChoices):
    """The credit risk class as the queue keeps it; '' until the nightly risk score first
    sends one (credit sits above this app, so the queue stores its own copy)."""

    UNSCORED = "", "Not scored"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class QueueState(models.Model):
    """A customer's stored priority score and the facts behind it (docs/priority-score.md).

    Amounts are in ``settings.REPORTING_CURRENCY``. Items, promises and instalments in a
    currency with no rate in force are left out of them, never counted 1:1; the currencies
    left out are listed in ``missing_rates``. Written only by
    ``services.queue.queue_state_refresh`` (one SQL statement for one or all customers);
    ``risk_class`` is set by ``services.queue.queue_risk_classes_set`` and kept by every
    refresh.
    """

    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="queue_state"
    )
    score = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    in_queue = models.BooleanField(default=False)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    open_amount = models.DecimalField(**MONEY_TOTAL, default=0)
    overdue_amount = models.DecimalField(**MONEY_TOTAL, default=0)
    over_60_amount = models.DecimalField(**MONEY_TOTAL, default=0)
    disputed_amount = models.DecimalField(**MONEY_TOTAL, default=0)
    oldest_days_past_due = models.IntegerField(default=0)
    oldest_bucket = models.CharField(max_length=10, choices=BUCKET_CHOICES, default="current")
    missing_rates = ArrayField(models.CharField(max_length=3), default=list, blank=True)
    credit_use_pct = models.IntegerField(null=True, blank=True)
    broken_promise_amount = models.DecimalField(**MONEY_TOTAL, null=True, blank=True)
    broken_promise_date = models.DateField(null=True, blank=True)
    promise_due_today_amount = models.DecimalField(**MONEY_TOTAL, null=True, blank=True)
    next_promise_date = models.DateField(null=True, blank=True)
    plan_next_amount = models.DecimalField(**MONEY_TOTAL, null=True, blank=True)
    plan_next_date = models.DateField(null=True, blank=True)
    broken_plan_date = models.DateField(null=True, blank=True)
    follow_up_due_date = models.DateField(null=True, blank=True)
    next_follow_up_date = models.DateField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    do_not_contact = models.BooleanField(default=False)
    risk_class = models.CharField(
        max_length=6, choices=QueueRiskClass.choices, default=QueueRiskClass.UNSCORED, blank=True
    )
    refreshed_at = models.DateTimeField()

    class Meta:
        permissions = [("reassign_customers", "Reassign accounts between collectors")]
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_class__in=QueueRiskClass.values), name="queue_risk_class_known"
            ),
        ]
        indexes = [
            models.Index(
                fields=["-score", "customer"], condition=Q(in_queue=True), name="queue_by_score"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.score}"
