"""The receivables ledger.

Rules the database itself holds (DESIGN.md "The ledger"): amounts are positive, an
invoice's open balance stays within ``0..amount``, a payment's or credit memo's unapplied
balance within ``0..amount``, an application names exactly one source, a reversal
undoes exactly one application once and for its full amount. Applications are
append-only: a trigger refuses UPDATE and DELETE.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q

from accounts.models import Currency, Customer

MONEY = {"max_digits": 18, "decimal_places": 2}


def _money_checks(prefix: str, open_field: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(condition=Q(amount__gt=0), name=f"{prefix}_amount_positive"),
        models.CheckConstraint(
            condition=Q(**{f"{open_field}__gte": 0}) & Q(**{f"{open_field}__lte": F("amount")}),
            name=f"{prefix}_{open_field}_within_amount",
        ),
    ]


class Invoice(models.Model):
    number = models.CharField(max_length=40, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    issue_date = models.DateField()
    due_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    open_amount = models.DecimalField(**MONEY)
    # Bounds on the effective dates of every application and adjustment on this invoice
    # (null: none yet), kept by the services under the invoice's row lock. Outside them the
    # balance as of a date is known without summing: open_amount from the last on, amount
    # before the first. Aging a year back reads only the invoices whose bounds straddle it.
    first_movement_date = models.DateField(null=True, blank=True)
    last_movement_date = models.DateField(null=True, blank=True)
    po_number = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            *_money_checks("invoice", "open_amount"),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("issue_date")), name="invoice_due_not_before_issue"
            ),
            models.CheckConstraint(
                condition=Q(first_movement_date__isnull=True, last_movement_date__isnull=True)
                | Q(
                    first_movement_date__isnull=False,
                    last_movement_date__isnull=False,
                    first_movement_date__lte=F("last_movement_date"),
                ),
                name="invoice_movement_dates_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "due_date"]),
            models.Index(
                fields=["customer", "due_date"],
                condition=Q(open_amount__gt=0),
                name="invoice_open_by_customer",
            ),
            models.Index(fields=["issue_date"]),
            models.Index(
                fields=["last_movement_date", "issue_date"],
                condition=Q(open_amount=0),
                name="invoice_settled_by_last_move",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.open_amount > 0


class PaymentStatus(models.TextChoices):
    POSTED = "posted", "Posted"
    # returned by the bank (bounced cheque, NSF): every application reversed, never applied again
    VOID = "void", "Void"


class Payment(models.Model):
    reference = models.CharField(max_length=60, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    received_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    unapplied_amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=30, blank=True)
    status = models.CharField(
        max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.POSTED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_date", "-id"]
        constraints = [
            *_money_checks("payment", "unapplied_amount"),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_known"
            ),
            # a void payment has nothing applied, so it can never settle an invoice
            models.CheckConstraint(
                condition=Q(status=PaymentStatus.POSTED) | Q(unapplied_amount=F("amount")),
                name="payment_void_has_nothing_applied",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "received_date"]),
            # unapplied cash by customer (exposure, the workspace, the unapplied queue): a
            # few percent of all payments, reached without reading the others
            models.Index(
                fields=["customer"],
                condition=Q(unapplied_amount__gt=0, status=PaymentStatus.POSTED),
                name="payment_unapplied_by_customer",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def applied_amount(self):
        return self.amount - self.unapplied_amount


class ReturnedPayment(models.Model):
    """A payment the bank took back (bounced cheque, NSF, ACH return): the event a risk
    score counts. One per payment; written by ``payment_void`` with the payment's voiding."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="returned")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="returned_payments"
    )
    return_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-return_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="returned_payment_positive"),
        ]
        indexes = [models.Index(fields=["customer", "return_date"])]

    def __str__(self) -> str:
        return f"{self.payment_id} returned {self.return_date}"


class CreditMemo(models.Model):
    number = models.CharField(max_length=40, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_memos")
    issue_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    unapplied_amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issue_date", "-id"]
        constraints = _money_checks("credit_memo", "unapplied_amount")

    def __str__(self) -> str:
        return self.number


class Application(models.Model):
    """Cash or credit applied to an invoice. Positive applies; a negative row reverses one."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="applications")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    credit_memo = models.ForeignKey(
        CreditMemo, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    effective_date = models.DateField()
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(credit_memo__isnull=True))
                | (Q(payment__isnull=True) & Q(credit_memo__isnull=False)),
                name="application_has_one_source",
            ),
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True) & Q(amount__gt=0))
                | (Q(reverses__isnull=False) & Q(amount__lt=0)),
                name="application_positive_or_reversal_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["invoice", "effective_date"]),
            models.Index(fields=["payment"]),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency_id} to {self.invoice_id}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class AdjustmentKind(models.TextChoices):
    WRITE_OFF = "write_off", "Write-off (bad debt)"
    SMALL_BALANCE = "small_balance", "Small-balance write-off"
    # settled against what we owe the customer as a supplier (the payable named in the reason)
    CONTRA = "contra", "Contra against our payables"
    # the early-payment discount of the terms, taken by a customer who paid within its days:
    # a sales deduction agreed in advance, not a loss, so reports keep it apart from write-offs
    DISCOUNT = "discount", "Early-payment discount"


class Adjustment(models.Model):
    """Reduces an invoice's open balance without cash: write-offs, small balances, contras
    and early-payment discounts."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="adjustments")
    kind = models.CharField(max_length=20, choices=AdjustmentKind.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    effective_date = models.DateField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="adjustment_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=AdjustmentKind.values), name="adjustment_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.invoice_id}"


class RefundKind(models.TextChoices):
    REFUND = "refund", "Refund to the customer"
    CONTRA = "contra", "Contra against our payables"


class Refund(models.Model):
    """Unapplied cash or credit that leaves the receivables ledger without settling an
    invoice: paid back to the customer, or offset against a payable we owe them (the
    reference names the bank transfer or the supplier document). It lowers its source's
    unapplied balance as an application would, but touches no invoice.

    Append-only like applications (a trigger refuses UPDATE and DELETE): a refund paid out
    by mistake or returned by the bank is undone by a negative row that ``reverses`` it,
    once, for its full amount, which gives the money back to its source's unapplied balance."""

    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    credit_memo = models.ForeignKey(
        CreditMemo, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    kind = models.CharField(max_length=10, choices=RefundKind.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    effective_date = models.DateField()
    reference = models.CharField(max_length=80)
    reason = models.CharField(max_length=200)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True) & Q(amount__gt=0))
                | (Q(reverses__isnull=False) & Q(amount__lt=0)),
                name="refund_positive_or_reversal_negative",
            ),
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(credit_memo__isnull=True))
                | (Q(payment__isnull=True) & Q(credit_memo__isnull=False)),
                name="refund_has_one_source",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=RefundKind.values), name="refund_kind_known"
            ),
        ]
        indexes = [models.Index(fields=["payment"]), models.Index(fields=["credit_memo"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency_id}"

    @property
    def source(self) -> Payment | CreditMemo:
        return self.payment or self.credit_memo

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class IdempotencyKey(models.Model):
    """The first response to an API write, replayed when the same key comes again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=200)
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_response_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.response_status}"
