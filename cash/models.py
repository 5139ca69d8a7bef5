"""Finance's cash work above the ledger: bank statements in, their transactions, and the
ranked invoice suggestions for each payment a statement brought.

Money itself stays in ``invoices``: a bank credit becomes an ``invoices.Payment`` through
``payment_post``; these tables remember where it came from, so a statement imported twice
creates nothing new (one row per bank transaction reference and account).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Currency, Customer
from invoices.models import MONEY, Invoice, Payment


class BankFileFormat(models.TextChoices):
    CAMT = "camt", "ISO 20022 camt.053 / camt.054"
    BAI2 = "bai2", "BAI2"
    MT940 = "mt940", "SWIFT MT940"
    LOCKBOX = "lockbox", "Lockbox (fixed width)"
    CSV = "csv", "CSV with a saved column mapping"


class BankCsvMapping(models.Model):
    """How one bank's CSV export reads: which column holds what. Columns are named by the
    header row's titles, or by number (1 = the first) when the file has no header."""

    name = models.CharField(max_length=80, unique=True)
    account = models.CharField(max_length=60, help_text="the bank account the exports are of")
    delimiter = models.CharField(max_length=1, default=",")
    has_header = models.BooleanField(default=True)
    date_column = models.CharField(max_length=60)
    date_format = models.CharField(max_length=20, default="%Y-%m-%d")
    amount_column = models.CharField(max_length=60, help_text="negative amounts are debits")
    decimal_comma = models.BooleanField(default=False, help_text="1.234,56 rather than 1,234.56")
    currency_column = models.CharField(max_length=60, blank=True)
    currency = models.ForeignKey(
        Currency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the file's currency, when no column holds it",
    )
    reference_column = models.CharField(max_length=60, blank=True)
    payer_name_column = models.CharField(max_length=60, blank=True)
    payer_account_column = models.CharField(max_length=60, blank=True)
    remittance_column = models.CharField(max_length=60, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(currency_column="") | Q(currency__isnull=False),
                name="csv_mapping_has_a_currency",
                violation_error_message=(
                    "name the currency column, or the one currency of the files"
                ),
            ),
            models.CheckConstraint(
                condition=Q(delimiter__in=[",", ";", "\t", "|"]), name="csv_mapping_delimiter"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Refused"


class BankImport(models.Model):
    """One uploaded statement file and what became of it."""

    file_name = models.CharField(max_length=200)
    format = models.CharField(max_length=10, choices=BankFileFormat.choices)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    csv_mapping = models.ForeignKey(
        BankCsvMapping, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    credits_posted = models.PositiveIntegerField(default=0)
    credits_unidentified = models.PositiveIntegerField(default=0)
    applied_automatically = models.PositiveIntegerField(default=0)
    already_imported = models.PositiveIntegerField(default=0)
    debits_listed = models.PositiveIntegerField(default=0)
    payments_voided = models.PositiveIntegerField(default=0)
    # [{"line": 12, "record": "Ntry", "reason": "..."}]: why the file was refused
    errors = models.JSONField(default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("view_cash", "See finance's cash pages"),
            ("work_cash", "Post, apply, void payments and import bank files"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")), name="bank_import_progress"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class Direction(models.TextChoices):
    CREDIT = "credit", "Credit"
    DEBIT = "debit", "Debit"


class TransactionKind(models.TextChoices):
    PAYMENT = "payment", "Payment received"
    RETURN = "return", "Return / reversal"
    OTHER = "other", "Other debit"


class BankTransaction(models.Model):
    """One credit or debit on a statement. A credit becomes a Payment once its payer is
    known; until then it waits, unidentified, in the unapplied list."""

    bank_import = models.ForeignKey(
        BankImport, on_delete=models.PROTECT, related_name="transactions"
    )
    account = models.CharField(max_length=60)
    reference = models.CharField(max_length=120)
    line = models.PositiveIntegerField()
    direction = models.CharField(max_length=10, choices=Direction.choices)
    kind = models.CharField(max_length=10, choices=TransactionKind.choices)
    booking_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    bank_code = models.CharField(max_length=40, blank=True)
    payer_name = models.CharField(max_length=200, blank=True)
    payer_account = models.CharField(max_length=60, blank=True)
    remittance = models.TextField(blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_transaction"
    )
    # a return debit: the earlier payment it took back (and voided)
    returns_payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_return"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-booking_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "reference"], name="one_row_per_bank_ref"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_txn_amount_positive"),
            models.CheckConstraint(
                condition=Q(payment__isnull=True) | Q(direction="credit"),
                name="bank_txn_only_credits_pay",
            ),
        ]
        indexes = [
            models.Index(fields=["payer_account"], name="bank_txn_payer_account"),
            models.Index(
                fields=["booking_date"],
                condition=Q(direction="credit", payment__isnull=True),
                name="bank_txn_unidentified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency_id}"


class MatchSuggestion(models.Model):
    """An invoice a payment may settle, with how sure the matcher is and why, in words."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="suggestions")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="+")
    amount = models.DecimalField(**MONEY)
    score = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300)
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["payment", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="one_suggestion_per_pair"),
            models.CheckConstraint(condition=Q(score__lte=100), name="suggestion_score_0_100"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="suggestion_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} ({self.score}) for {self.payment_id}"


class UnidentifiedMark(models.Model):
    """Finance researched a payment and cannot tell what it pays: it stays on account,
    flagged in the unapplied list with the note, until someone applies it."""

    payment = models.OneToOneField(
        Payment, on_delete=models.CASCADE, related_name="unidentified_mark"
    )
    note = models.CharField(max_length=200)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.payment_id} unidentified: {self.note}"


class WriteOffStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved and written off"
    REJECTED = "rejected", "Rejected"


# the one way a request moves: from pending, once
WRITE_OFF_TRANSITIONS = {
    WriteOffStatus.PENDING: {WriteOffStatus.APPROVED, WriteOffStatus.REJECTED},
    WriteOffStatus.APPROVED: set(),
    WriteOffStatus.REJECTED: set(),
}


class WriteOffRequest(models.Model):
    """A write-off above ``CASH_WRITE_OFF_APPROVAL_LIMIT`` waits here for someone who may
    approve it (credit manager, admin); approving writes the ledger adjustment."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=WriteOffStatus.choices, default=WriteOffStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(max_length=200, blank=True)
    adjustment = models.OneToOneField(
        "invoices.Adjustment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["requested_at", "id"]
        permissions = [("approve_write_off", "Approve write-offs above the approval limit")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="write_off_request_positive"),
            models.CheckConstraint(
                condition=Q(status__in=WriteOffStatus.values), name="write_off_request_status"
            ),
            models.CheckConstraint(
                condition=Q(status=WriteOffStatus.APPROVED, adjustment__isnull=False)
                | (~Q(status=WriteOffStatus.APPROVED) & Q(adjustment__isnull=True)),
                name="write_off_approved_has_adjustment",
            ),
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status=WriteOffStatus.PENDING),
                name="one_pending_write_off_per_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"write-off {self.amount} {self.currency_id} on {self.invoice_id} ({self.status})"


class CsvImportKind(models.TextChoices):
    CUSTOMERS = "customers", "Customers"
    INVOICES = "invoices", "Invoices"
    PAYMENTS = "payments", "Payments"


class CsvImport(models.Model):
    """One uploaded customers, invoices or payments CSV and what became of it.

    The file itself is kept in the default storage (``file``): the upload request only stores
    it and queues the task, so a large file never holds a request open.
    """

    kind = models.CharField(max_length=10, choices=CsvImportKind.choices)
    file = models.FileField(upload_to="csv-imports/%Y/%m/", max_length=300)
    file_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    # [{"row": 12, "column": "amount", "reason": "..."}]: why the file was refused
    errors = models.JSONField(default=list, blank=True)
    error_total = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["customers", "invoices", "payments"]),
                name="csv_import_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    @property
    def percent(self) -> int:
        """Checking is the first half of the bar, writing the second."""
        if not self.running:
            return 100
        if not self.rows_total:
            return 0
        return int(50 * (self.rows_checked + self.rows_done) / self.rows_total)

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class RefundRequest(models.Model):
    """A refund of unapplied cash, or a contra against our payables (of unapplied cash, or
    of an open invoice), above ``CASH_REFUND_APPROVAL_LIMIT``: it waits for a second person
    who may approve it; approving writes the ledger movement (``unapplied_refund`` or
    ``invoice_adjust`` with the contra kind)."""

    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credit_memo = models.ForeignKey(
        "invoices.CreditMemo", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10)
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=80)
    reason = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=WriteOffStatus.choices, default=WriteOffStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(max_length=200, blank=True)
    refund = models.OneToOneField(
        "invoices.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adjustment = models.OneToOneField(
        "invoices.Adjustment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["requested_at", "id"]
        permissions = [("approve_refund", "Approve refunds and contras above the approval limit")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_request_positive"),
            models.CheckConstraint(
                condition=Q(status__in=WriteOffStatus.values), name="refund_request_status"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["refund", "contra"]), name="refund_request_kind"
            ),
            # exactly one of: a payment, a credit memo, an invoice (contra only)
            models.CheckConstraint(
                condition=Q(payment__isnull=False, credit_memo__isnull=True, invoice__isnull=True)
                | Q(payment__isnull=True, credit_memo__isnull=False, invoice__isnull=True)
                | Q(
                    payment__isnull=True,
                    credit_memo__isnull=True,
                    invoice__isnull=False,
                    kind="contra",
                ),
                name="refund_request_one_target",
            ),
            models.CheckConstraint(
                condition=Q(status=WriteOffStatus.APPROVED)
                & (Q(refund__isnull=False) | Q(adjustment__isnull=False))
                | ~Q(status=WriteOffStatus.APPROVED)
                & Q(refund__isnull=True, adjustment__isnull=True),
                name="refund_request_approved_has_movement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency_id} ({self.status})"

    @property
    def target(self):
        return self.payment or self.credit_memo or self.invoice

    @property
    def target_label(self) -> str:
        if self.payment_id:
            return f"payment {self.payment.reference}"
        if self.credit_memo_id:
            return f"credit memo {self.credit_memo.number}"
        return f"invoice {self.invoice.number}"
