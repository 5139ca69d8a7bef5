"""Dunning policies, levels, templates, per-customer and per-invoice state, runs and their
communications (docs/dunning.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.errors import ServiceError
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
    """Ordered levels; their minimum amounts are in the reporting currency.

    An invoice climbs one level at a time (docs/dunning.md). ``catch_up`` lets a run start an
    invoice at the highest level its age allows instead: an explicit choice, warned about on
    the preview. Late-payment interest and the fixed compensation (EU Directive 2011/7/EU)
    are off unless the policy turns them on; they are shown on letters, never posted.
    """

    name = models.CharField(max_length=80, unique=True)
    is_default = models.BooleanField(default=False)
    catch_up = models.BooleanField(
        default=False,
        help_text="Start an invoice at the highest level its age allows, skipping levels "
        "never sent. Off: every invoice starts at level 1 and climbs one level at a time.",
    )
    interest_enabled = models.BooleanField(
        default=False, help_text="Show late-payment interest (reference rate + 8 points)."
    )
    interest_reference_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="ECB reference rate in percent; empty: settings.DUNNING_INTEREST_REFERENCE_RATE.",
    )
    compensation_enabled = models.BooleanField(
        default=False,
        help_text="Show the fixed compensation per overdue invoice (settings "
        "DUNNING_COMPENSATION_AMOUNT and _CURRENCY, 40 EUR), in the invoice's currency.",
    )

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
    minimum_invoice_amount = models.DecimalField(
        **MONEY,
        default=0,
        help_text="An invoice reaches this level only when its open amount, converted to the "
        "reporting currency, is at least this much.",
    )
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
            models.CheckConstraint(
                condition=Q(minimum_invoice_amount__gte=0),
                name="dunning_level_invoice_minimum_positive",
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


class DunningStepSource(models.TextChoices):
    SENT = "sent", "Sent by a dunning run"
    IMPORTED = "imported", "Recorded from earlier history"


class InvoiceDunningStep(models.Model):
    """A level that was actually sent for an invoice, and when: by a run here, or recorded
    from the history of a previous system. The next level needs the previous one here, and
    letters quote these dates, so a letter never claims a reminder that was not sent."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="dunning_steps")
    level_number = models.PositiveSmallIntegerField()
    sent_on = models.DateField()
    source = models.CharField(max_length=10, choices=DunningStepSource.choices)
    communication = models.ForeignKey(
        "DunningCommunication", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["invoice", "level_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "level_number"], name="invoice_dunning_step_once"
            ),
            models.CheckConstraint(condition=Q(level_number__gte=1), name="dunning_step_from_one"),
        ]

    def __str__(self) -> str:
        return f"invoice {self.invoice_id}: level {self.level_number} on {self.sent_on}"


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

# Where a communication may go from each status (docs/dunning.md); migration
# dunning/0002 installs a trigger that refuses any other UPDATE of the status.
COMMUNICATION_TRANSITIONS: dict[str, set[str]] = {
    # approved, or dropped with its preview
    CommunicationStatus.PLANNED: {CommunicationStatus.QUEUED, CommunicationStatus.CANCELLED},
    # an e-mail is marked sending before it is handed over; letters and call tasks finish
    # in one transaction; a template that no longer renders fails
    CommunicationStatus.QUEUED: {
        CommunicationStatus.SENDING,
        CommunicationStatus.SENT,
        CommunicationStatus.FAILED,
    },
    # delivered, refused, or back in the queue for a transient mail-server error; or,
    # after a killed worker, sent again (one attempt more) once the mail log says the
    # interrupted attempt never went out
    CommunicationStatus.SENDING: {
        CommunicationStatus.SENT,
        CommunicationStatus.FAILED,
        CommunicationStatus.QUEUED,
        CommunicationStatus.SENDING,
    },
    # retried by hand
    CommunicationStatus.FAILED: {CommunicationStatus.QUEUED},
    CommunicationStatus.SENT: set(),
    CommunicationStatus.CANCELLED: set(),
}


def communication_status_move(
    communications: models.QuerySet, *, from_status: str, to_status: str, **fields
) -> int:
    """Move the communications of this queryset that are in ``from_status`` to
    ``to_status`` in one UPDATE (with ``fields`` set alongside); returns how many moved.

    The one way a communication's status changes: a move the table does not allow is
    refused before any row is touched, and the from-state in the filter leaves alone a row
    that another worker has already moved on.
    """
    if to_status not in COMMUNICATION_TRANSITIONS[from_status]:
        raise ServiceError(
            f"a {CommunicationStatus(from_status).label.lower()} communication cannot become "
            f"{CommunicationStatus(to_status).label.lower()}",
            field="status",
            code="invalid_transition",
        )
    return communications.filter(status=from_status).update(status=to_status, **fields)


def communication_move(communication: DunningCommunication, *, to_status: str, **fields) -> None:
    """Move one communication from the status it was read in; refused if the move is not
    in the table or the row has moved since."""
    moved = communication_status_move(
        DunningCommunication.objects.filter(pk=communication.pk),
        from_status=communication.status,
        to_status=to_status,
        **fields,
    )
    if not moved:
        raise ServiceError(
            f"communication {communication.key} is no longer "
            f"{CommunicationStatus(communication.status).label.lower()}",
            field="status",
            code="invalid_transition",
        )
    communication.status = to_status
    for name, value in fields.items():
        setattr(communication, name, value)


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
    # Below the invoice minimum (or no rate to judge it): listed on the letter for
    # information, never driving its level, never charged interest.
    informational = models.BooleanField(default=False)
    # Shown on the letter only; nothing here is posted to the ledger.
    interest_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    interest_amount = models.DecimalField(**MONEY, default=0)
    compensation_amount = models.DecimalField(
        **MONEY,
        default=0,
        help_text="Fixed compensation (Directive 2011/7/EU, art. 6) in the line's currency, "
        "converted from settings.DUNNING_COMPENSATION_CURRENCY at the run's rate.",
    )

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
    PROMISE = "promise", "Promise to pay not yet due, or kept lately"
    PAYMENT_PLAN = "payment_plan", "Payment plan on schedule"
    RECENT_CONTACT = "recent_contact", "Contacted by a person lately"
    ESCALATION = "escalation", "Open escalation with the credit manager"
    CUSTOMER_STOP = "customer_stop", "Dunning stop on the customer"
    INVOICE_STOP = "invoice_stop", "Dunning stop on the invoice"
    DO_NOT_CONTACT = "do_not_contact", "Do not contact"
    BELOW_MINIMUM = "below_minimum", "Below the level's minimum amount"
    NO_ADDRESS = "no_address", "No contact address for the channel"
    TOO_SOON = "too_soon", "Too soon since the previous level"
    NO_RATE = "no_rate", "No exchange rate in force"
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
