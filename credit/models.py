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

from accounts.locale_format import format_amount
from accounts.models import CreditStatus, Currency, Customer
from accounts.money import MONEY_TOTAL

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
    # written by the nightly hold rules (credit.hold_rules); not offered on forms
    RULE = "rule", "Hold rule"
    # written through accounts' own paths or by dunning (accounts.hooks.credit_recorded_hooks)
    ADMIN = "admin", "Changed in the admin"
    IMPORT = "import", "Customer import"
    DUNNING = "dunning", "Dunning level"


# The reasons a person may give; the others are the system's own.
SYSTEM_REASONS = {
    CreditReason.LAPSED,
    CreditReason.RULE,
    CreditReason.ADMIN,
    CreditReason.IMPORT,
    CreditReason.DUNNING,
}
PERSON_REASONS = [choice for choice in CreditReason.choices if choice[0] not in SYSTEM_REASONS]
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


class RiskClass(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class CustomerRisk(models.Model):
    """A customer's risk score from its own payment behaviour, with the figures it was made
    from; one row per customer, rewritten by the nightly computation (``credit.risk``)."""

    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="credit_risk"
    )
    score = models.PositiveSmallIntegerField()
    risk_class = models.CharField(max_length=10, choices=RiskClass.choices)
    # the class before the last change of class, and when it changed: "changed to high"
    previous_class = models.CharField(max_length=10, choices=RiskClass.choices, blank=True)
    class_changed_at = models.DateTimeField(null=True, blank=True)
    invoices_paid = models.PositiveIntegerField(default=0)
    avg_days_late = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    avg_days_late_recent = models.DecimalField(
        max_digits=7, decimal_places=1, null=True, blank=True
    )
    avg_days_late_before = models.DecimalField(
        max_digits=7, decimal_places=1, null=True, blank=True
    )
    paid_late_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    broken_promises = models.PositiveIntegerField(default=0)
    disputes = models.PositiveIntegerField(default=0)
    returned_payments = models.PositiveIntegerField(default=0)
    limit_use_pct = models.IntegerField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "customer risks"
        indexes = [models.Index(fields=["risk_class"], name="credit_risk_class")]
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_class__in=["low", "medium", "high"]),
                name="credit_risk_class_known",
            ),
            models.CheckConstraint(
                condition=Q(paid_late_pct__isnull=True) | Q(paid_late_pct__lte=100),
                name="credit_risk_paid_late_pct_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.risk_class} ({self.score})"

    @property
    def days_late_trend(self):
        if self.avg_days_late_recent is None or self.avg_days_late_before is None:
            return None
        return self.avg_days_late_recent - self.avg_days_late_before

    @property
    def factors(self) -> list[str]:
        """What made the score, in plain words, largest first."""
        from .risk import factors_of

        return factors_of(self)


class HoldRuleKind(models.TextChoices):
    OVER_LIMIT = "over_limit", "Exposure over the limit by more than x %"
    PAST_DUE = "past_due", "An invoice more than N days past due, above an amount"
    BROKEN_PROMISE = "broken_promise", "A promise or payment plan broken within M days"
    RISK_HIGH = "risk_high", "Risk class changed to high"


class HoldRuleAction(models.TextChoices):
    HOLD = "hold", "Put on hold"
    WATCH = "watch", "Put on watch"
    NOTIFY = "notify", "Only notify"


class HoldRule(models.Model):
    """A condition checked every night for every customer, and what to do when it holds."""

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=HoldRuleKind.choices)
    action = models.CharField(max_length=10, choices=HoldRuleAction.choices)
    active = models.BooleanField(default=True)
    # a hold or watch this rule made goes back when the condition clears (if nobody changed
    # the status since)
    lift_when_clear = models.BooleanField(default=False)
    over_limit_pct = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    days = models.PositiveIntegerField(null=True, blank=True)
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.ForeignKey(
        Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="over_limit", over_limit_pct__gte=0)
                    | Q(kind="past_due", days__isnull=False, amount__gte=0, currency__isnull=False)
                    | Q(kind="broken_promise", days__gte=1)
                    | Q(kind="risk_high")
                ),
                name="hold_rule_parameters_of_its_kind",
            ),
            models.CheckConstraint(
                condition=Q(lift_when_clear=False) | ~Q(action="notify"),
                name="hold_rule_only_a_status_lifts",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def condition_text(self) -> str:
        if self.kind == HoldRuleKind.OVER_LIMIT:
            return f"exposure more than {self.over_limit_pct.normalize():f}% over the limit"
        if self.kind == HoldRuleKind.PAST_DUE:
            return (
                f"an invoice more than {self.days} days past due above "
                f"{format_amount(self.amount, self.currency_id)}"
            )
        if self.kind == HoldRuleKind.BROKEN_PROMISE:
            return f"a promise or payment plan broken within {self.days} days"
        return "risk class high"


class HoldRuleHit(models.Model):
    """A rule that fired for a customer: when, why, the status change it made, and when the
    condition cleared (and the change that lifted the status, if the rule lifts)."""

    rule = models.ForeignKey(HoldRule, on_delete=models.PROTECT, related_name="hits")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="hold_rule_hits")
    detail = models.CharField(max_length=300)
    fired_at = models.DateTimeField(default=timezone.now)
    change = models.OneToOneField(
        CreditChange, null=True, blank=True, on_delete=models.PROTECT, related_name="rule_hit"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    lift_change = models.OneToOneField(
        CreditChange, null=True, blank=True, on_delete=models.PROTECT, related_name="rule_lift"
    )
    # an "only notify" hit waits in the credit inbox until someone notes it
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "customer"],
                condition=Q(cleared_at__isnull=True),
                name="one_open_hit_per_rule_and_customer",
            ),
        ]
        indexes = [models.Index(fields=["customer", "-fired_at"], name="hold_rule_hit_customer")]

    def __str__(self) -> str:
        return f"{self.rule_id} fired for {self.customer_id}"


class CreditReviewDate(models.Model):
    """When a customer's credit is next reviewed: set by the last review, brought forward
    nightly when the risk class asks for a shorter interval (``credit.reviews``)."""

    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="credit_review_date"
    )
    next_review_on = models.DateField()
    last_reviewed_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_review_on"], name="credit_review_due")]

    def __str__(self) -> str:
        return f"{self.customer_id}: next review {self.next_review_on}"


class CreditReview(models.Model):
    """One periodic review of a customer's credit: what the reviewer saw, and decided."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_reviews")
    due_on = models.DateField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(default=timezone.now)
    risk_class = models.CharField(max_length=10, choices=RiskClass.choices, blank=True)
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    exposure = models.DecimalField(**MONEY_TOTAL)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    financials = models.TextField()
    limit_before = models.DecimalField(**MONEY)
    limit_after = models.DecimalField(**MONEY)
    # set when the new limit was above the reviewer's authority and went to someone else
    limit_request = models.OneToOneField(
        LimitChangeRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="review"
    )
    terms_before = models.ForeignKey(
        "accounts.PaymentTerms", on_delete=models.PROTECT, related_name="+"
    )
    terms_after = models.ForeignKey(
        "accounts.PaymentTerms", on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(blank=True)
    next_review_on = models.DateField()

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-reviewed_at"], name="credit_review_history"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(limit_before__gte=0, limit_after__gte=0),
                name="credit_review_limits_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} reviewed {self.reviewed_at:%Y-%m-%d}"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


APPLICATION_TRANSITIONS: dict[str, set[str]] = {
    ApplicationStatus.PENDING: {ApplicationStatus.APPROVED, ApplicationStatus.REJECTED},
    ApplicationStatus.APPROVED: set(),
    ApplicationStatus.REJECTED: set(),
}


class CreditApplication(models.Model):
    """A new customer's request for credit, decided by someone whose authority covers the
    limit; an approval creates the customer (``credit.applications``)."""

    company_name = models.CharField(max_length=200)
    external_ref = models.CharField(max_length=40, help_text="The customer number it will get.")
    registration_number = models.CharField(max_length=60, blank=True)
    address = models.TextField()
    contact_name = models.CharField(max_length=120)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    trade_references = models.TextField(help_text="One per line: company, contact, experience.")
    bank_reference = models.TextField()
    requested_limit = models.DecimalField(**MONEY)
    requested_terms = models.ForeignKey(
        "accounts.PaymentTerms", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications_to_decide"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    approved_limit = models.DecimalField(**MONEY, null=True, blank=True)
    approved_terms = models.ForeignKey(
        "accounts.PaymentTerms", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer = models.OneToOneField(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_application",
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="credit_application_inbox")]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_limit__gte=0)
                & (Q(approved_limit__isnull=True) | Q(approved_limit__gte=0)),
                name="credit_application_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True, customer__isnull=True)
                | Q(
                    status="approved",
                    decided_at__isnull=False,
                    customer__isnull=False,
                    approved_limit__isnull=False,
                    approved_terms__isnull=False,
                )
                | Q(status="rejected", decided_at__isnull=False, customer__isnull=True),
                name="credit_application_decision_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.status})"
