"""Dunning policies, levels, templates, per-customer and per-invoice state, runs and their
communications (docs/dunning.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Contact, Currency, Customer
from invoices.models import Invoice

MONEY = {"max_digits": 18, "decimal_places": 2}


class DunningChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    LETTER = "letter", "Letter"
    CALL_TASK = "call_task", "Call task for the collector"


class EscalationAction(models.TextChoices):
    NONE = "none", "None"
    CREDIT_HOLD = "credit_hold", "Put on credit hold"
    AGENCY = "agency", "Mark for agency placement"
    NOTIFY_MANAGER = "notify_manager", "Notify the credit manager"


class DunningTemplate(models.Model):
    """A letter or e-mail in the Django template language, rendered with a sandboxed context
    (dunning/documents.py). One row per (code, language)."""

    code = models.SlugField(max_length=40)
    language = models.CharField(max_length=10, default="en")
    name = models.CharField(max_length=120)
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="HTML body of the letter / e-mail")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code", "language"]
        constraints = [
            models.UniqueConstraint(fields=["code", "language"], name="dunning_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.language}]"


class DunningPolicy(models.Model):
    """Ordered levels; their minimum overdue amounts are in the reporting currency."""

    name = models.CharField(max_length=80, unique=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "dunning policies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_policy"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DunningLevel(models.Model):
    policy = models.ForeignKey(DunningPolicy, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=80)
    days_past_due = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=10, choices=DunningChannel.choices)
    template_code = models.SlugField(max_length=40)
    minimum_overdue_amount = models.DecimalField(**MONEY, default=0)
    minimum_days_since_previous = models.PositiveSmallIntegerField(default=0)
    escalation_action = models.CharField(
        max_length=20, choices=EscalationAction.choices, default=EscalationAction.NONE
    )

    class Meta:
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="dunning_level_number"),
            models.UniqueConstraint(fields=["policy", "days_past_due"], name="dunning_level_days"),
            models.CheckConstraint(condition=Q(number__gte=1), name="dunning_level_from_one"),
            models.CheckConstraint(
                condition=Q(days_past_due__gte=1), name="dunning_level_after_due"
            ),
            models.CheckConstraint(
                condition=Q(minimum_overdue_amount__gte=0), name="dunning_level_minimum_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name} ({self.days_past_due} days)"


class DunningProfile(models.Model):
    """A customer's dunning settings: its policy (none = the default) and a dunning stop."""

    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="dunning"
    )
    policy = models.ForeignKey(
        DunningPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(max_length=10, default="en")
    stop_reason = models.CharField(max_length=200, blank=True)
    stop_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(stop_until__isnull=True, stop_reason="")
                | (Q(stop_until__isnull=False) & ~Q(stop_reason="")),
                name="dunning_stop_has_reason_and_end",
            ),
        ]

    def __str__(self) -> str:
        return f"dunning of customer {self.customer_id}"


class InvoiceDunning(models.Model):
    """The dunning level an invoice has reached, and a stop on this invoice alone."""

    invoice = models.OneToOneField(
        Invoice, primary_key=True, on_delete=models.CASCADE, related_name="dunning"
    )
    level_number = models.PositiveSmallIntegerField(default=0)
    last_dunned_on = models.DateField(null=True, blank=True)
    last_communication = models.ForeignKey(
        "DunningCommunication", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stop_reason = models.CharField(max_length=200, blank=True)
    stop_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(stop_until__isnull=True, stop_reason="")
                | (Q(stop_until__isnull=False) & ~Q(stop_reason="")),
                name="invoice_dunning_stop_has_reason_and_end",
            ),
            models.CheckConstraint(
                condition=Q(level_number=0) | Q(last_dunned_on__isnull=False),
                name="invoice_dunning_level_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"invoice {self.invoice_id} at level {self.level_number}"


class DunningRunStatus(models.TextChoices):
    PREVIEW = "preview", "Preview — awaiting approval"
    SENDING = "sending", "Sending"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class DunningRunTrigger(models.TextChoices):
    NIGHTLY = "nightly", "Nightly"
    MANUAL = "manual", "Started by hand"


class DunningRun(models.Model):
    as_of = models.DateField()
    trigger = models.CharField(max_length=10, choices=DunningRunTrigger.choices)
    status = models.CharField(
        max_length=10, choices=DunningRunStatus.choices, default=DunningRunStatus.PREVIEW
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    print_file = models.FileField(upload_to="dunning/print/", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("approve_dunningrun", "Approve a dunning run so that it sends")]
        constraints = [
            # The nightly beat may fire twice (two beats, a retry): one run per night.
            models.UniqueConstraint(
                fields=["as_of"], condition=Q(trigger="nightly"), name="one_nightly_run_per_day"
            ),
            models.CheckConstraint(
                condition=Q(status="preview")
                | Q(status="cancelled")
                | Q(approved_at__isnull=False),
                name="dunning_run_sent_only_when_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"dunning run {self.pk} of {self.as_of}"


class CommunicationStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed — in the retry queue"
    CANCELLED = "cancelled", "Cancelled"


# The statuses a run waits for before it is done.
COMMUNICATION_PENDING = (
    CommunicationStatus.PLANNED,
    CommunicationStatus.QUEUED,
    CommunicationStatus.SENDING,
)


class DunningCommunication(models.Model):
    """One communication to one customer in one run, at the customer's highest level.

    ``key`` = customer:level:run is the idempotency key of the send: UNIQUE here, and the
    Message-ID of the e-mail, so a crash and re-run or a duplicate delivery never sends twice.
    """

    run = models.ForeignKey(DunningRun, on_delete=models.PROTECT, related_name="communications")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(DunningLevel, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=60, unique=True)
    channel = models.CharField(max_length=10, choices=DunningChannel.choices)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_address = models.CharField(max_length=254, blank=True)
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(
        max_length=10, choices=CommunicationStatus.choices, default=CommunicationStatus.PLANNED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    document = models.FileField(upload_to="dunning/documents/", blank=True)
    activity = models.ForeignKey(
        "collections_app.Activity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "customer__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="one_communication_per_run"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="dunning_sent_has_time",
            ),
        ]
        indexes = [models.Index(fields=["run", "status"], name="dunning_comm_progress")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class DunningLine(models.Model):
    """An overdue invoice a communication covers, at the level it reaches with it."""

    communication = models.ForeignKey(
        DunningCommunication, on_delete=models.CASCADE, related_name="lines"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    open_amount = models.DecimalField(**MONEY)
    days_past_due = models.IntegerField()
    level_number = models.PositiveSmallIntegerField()
    previous_level_number = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["communication", "currency", "invoice__due_date", "invoice_id"]
        constraints = [
            models.UniqueConstraint(fields=["communication", "invoice"], name="dunning_line_once"),
            models.CheckConstraint(condition=Q(open_amount__gt=0), name="dunning_line_open"),
            models.CheckConstraint(
                condition=Q(level_number__gte=F("previous_level_number")),
                name="dunning_line_level_never_drops",
            ),
        ]

    def __str__(self) -> str:
        return f"invoice {self.invoice_id} at level {self.level_number}"


class SkipReason(models.TextChoices):
    DISPUTED = "disputed", "Invoice in dispute"
    PROMISE = "promise", "Active promise to pay"
    PAYMENT_PLAN = "payment_plan", "Active payment plan"
    CUSTOMER_STOP = "customer_stop", "Dunning stop on the customer"
    INVOICE_STOP = "invoice_stop", "Dunning stop on the invoice"
    DO_NOT_CONTACT = "do_not_contact", "Do not contact"
    BELOW_MINIMUM = "below_minimum", "Overdue below the level's minimum"
    NO_ADDRESS = "no_address", "No contact address for the channel"
    TOO_SOON = "too_soon", "Too soon since the previous level"
    NO_RATE = "no_rate", "No exchange rate to compare with the minimum"
    IN_OTHER_RUN = "in_other_run", "In another run not yet finished"


class DunningSkip(models.Model):
    """Who a run left out and why; an invoice-level skip names the invoice."""

    run = models.ForeignKey(DunningRun, on_delete=models.CASCADE, related_name="skips")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=SkipReason.choices)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["run", "customer_id", "invoice_id"]
        indexes = [models.Index(fields=["run", "reason"], name="dunning_skip_reason")]

    def __str__(self) -> str:
        return f"{self.customer_id} skipped: {self.reason}"
