"""What reporting writes: daily AR snapshots and export jobs. Everything else it only reads."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.money import MONEY_TOTAL

MONEY = {"max_digits": 18, "decimal_places": 2}


class ARSnapshot(models.Model):
    """The whole company's AR at the close of one day, in the reporting currency.

    Aged on the due-date basis at the rates in force that day; credit sales and cash are
    that day's invoices issued and payments received, each at its own day's rate.
    """

    date = models.DateField(unique=True)
    currency = models.CharField(max_length=3)
    current = models.DecimalField(**MONEY_TOTAL)
    days_1_30 = models.DecimalField(**MONEY_TOTAL)
    days_31_60 = models.DecimalField(**MONEY_TOTAL)
    days_61_90 = models.DecimalField(**MONEY_TOTAL)
    days_91_120 = models.DecimalField(**MONEY_TOTAL)
    over_120 = models.DecimalField(**MONEY_TOTAL)
    total = models.DecimalField(**MONEY_TOTAL)
    credit_sales = models.DecimalField(**MONEY_TOTAL)
    cash_collected = models.DecimalField(**MONEY_TOTAL)
    open_items = models.PositiveIntegerField()
    # the ten customers owing most past due that day: [{id, name, overdue, items}]
    top_overdue = models.JSONField(default=list)
    taken_at = models.DateTimeField(auto_now=True)

    BUCKET_FIELDS = {
        "current": "current",
        "1_30": "days_1_30",
        "31_60": "days_31_60",
        "61_90": "days_61_90",
        "91_120": "days_91_120",
        "over_120": "over_120",
    }

    class Meta:
        ordering = ["-date"]
        verbose_name = "AR snapshot"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    total=models.F("current")
                    + models.F("days_1_30")
                    + models.F("days_31_60")
                    + models.F("days_61_90")
                    + models.F("days_91_120")
                    + models.F("over_120")
                ),
                name="snapshot_total_is_sum_of_buckets",
            ),
        ]

    def __str__(self) -> str:
        return f"AR {self.date}: {self.total} {self.currency}"

    def bucket(self, name: str):
        return getattr(self, self.BUCKET_FIELDS[name])


class CollectorSnapshot(models.Model):
    """One collector's portfolio at the close of one day, in the reporting currency; written
    beside the day's ``ARSnapshot`` so the dashboard's per-collector table reads a few rows
    per collector instead of re-aging the ledger per request.

    The portfolio is the customers assigned to the collector when the snapshot was taken
    (``collector`` null: unassigned customers). Buckets and total are the sums of the same
    rounded items as the company snapshot, so the collectors' rows add up to it exactly;
    credit sales and cash are summed per collector and currency, then converted.
    """

    date = models.DateField()
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    currency = models.CharField(max_length=3)
    current = models.DecimalField(**MONEY_TOTAL)
    days_1_30 = models.DecimalField(**MONEY_TOTAL)
    days_31_60 = models.DecimalField(**MONEY_TOTAL)
    days_61_90 = models.DecimalField(**MONEY_TOTAL)
    days_91_120 = models.DecimalField(**MONEY_TOTAL)
    over_120 = models.DecimalField(**MONEY_TOTAL)
    total = models.DecimalField(**MONEY_TOTAL)
    credit_sales = models.DecimalField(**MONEY_TOTAL)
    cash_collected = models.DecimalField(**MONEY_TOTAL)
    open_items = models.PositiveIntegerField()

    BUCKET_FIELDS = ARSnapshot.BUCKET_FIELDS

    class Meta:
        ordering = ["-date", "collector_id"]
        verbose_name = "collector snapshot"
        constraints = [
            models.UniqueConstraint(
                fields=["date", "collector"],
                nulls_distinct=False,
                name="collector_snapshot_one_per_day",
            ),
            models.CheckConstraint(
                condition=Q(
                    total=models.F("current")
                    + models.F("days_1_30")
                    + models.F("days_31_60")
                    + models.F("days_61_90")
                    + models.F("days_91_120")
                    + models.F("over_120")
                ),
                name="collector_snapshot_total_is_sum_of_buckets",
            ),
        ]

    def __str__(self) -> str:
        return f"AR {self.date} of collector {self.collector_id}: {self.total} {self.currency}"


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", "Excel (XLSX)"
    CSV = "csv", "CSV"
    PDF = "pdf", "PDF"


class ExportKind(models.TextChoices):
    SUMMARY = "summary", "Aging summary"
    DETAIL = "detail", "Aging detail"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"  # done, and its file deleted after the keeping period


class ExportJob(models.Model):
    """One aging export for one user, run by Celery; the page polls its progress. The file
    is kept ``settings.REPORTING_EXPORT_KEEP_DAYS`` days after it is written, then deleted
    by a beat task (the job stays, as the user's history, marked expired)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ExportKind.choices)
    format = models.CharField(max_length=5, choices=ExportFormat.choices)
    parameters = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default="queued")
    progress = models.PositiveSmallIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True, help_text="bytes")
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.format} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.EXPIRED)

    @property
    def expires_at(self):
        """When the file stops being offered (and the sweep deletes it); None until done."""
        if self.finished_at is None or self.status != ExportStatus.DONE:
            return None
        return self.finished_at + datetime.timedelta(days=settings.REPORTING_EXPORT_KEEP_DAYS)

    @property
    def is_downloadable(self) -> bool:
        """Done and within the keeping period (``selectors.export_downloads_for``)."""
        expires = self.expires_at
        return expires is not None and expires >= timezone.now()


class CashTarget(models.Model):
    """How much cash finance means to collect in a calendar month, in the reporting currency
    (``settings.REPORTING_CURRENCY``); set in the admin."""

    month = models.DateField(unique=True, help_text="the first day of the month")
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="cash_target_first_of_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="cash_target_not_negative"),
        ]

    def __str__(self) -> str:
        return f"cash target {self.month:%Y-%m}: {self.amount}"
