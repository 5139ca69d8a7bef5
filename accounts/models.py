"""Customer accounts and the reference data below the ledger.

Currency and ExchangeRate live here rather than in ``invoices`` (DESIGN.md puts FX with
the ledger) because a customer's own currency is an account setting, and ``accounts``
must not import upward. The audit trail lives here for the same reason: every app
writes to it.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q


class Currency(models.Model):
    code = models.CharField(max_length=3, primary_key=True)
    name = models.CharField(max_length=60)
    decimal_places = models.PositiveSmallIntegerField(default=2)

    class Meta:
        verbose_name_plural = "currencies"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z]{3}$"), name="currency_code_iso_4217"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ExchangeRate(models.Model):
    """From ``valid_from``, one ``currency`` is worth ``rate`` of ``quote_currency``."""

    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="rates")
    quote_currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    rate = models.DecimalField(max_digits=18, decimal_places=8)

    class Meta:
        ordering = ["currency", "quote_currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "quote_currency", "valid_from"], name="one_rate_per_day"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="rate_positive"),
            models.CheckConstraint(
                condition=~Q(currency=models.F("quote_currency")),
                name="rate_between_two_currencies",
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency_id} = {self.rate} {self.quote_currency_id} from {self.valid_from}"


class PaymentTerms(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=60)
    net_days = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name_plural = "payment terms"
        ordering = ["net_days"]
        constraints = [
            models.UniqueConstraint(fields=["net_days"], name="one_terms_per_net_days"),
            models.CheckConstraint(condition=Q(net_days__lte=365), name="net_days_at_most_a_year"),
        ]

    def __str__(self) -> str:
        return self.name


class CreditStatus(models.TextChoices):
    GOOD = "good", "Good standing"
    WATCH = "watch", "Watch"
    HOLD = "hold", "Credit hold"
    STOP = "stop", "Stop — no credit"


class Customer(models.Model):
    external_ref = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    payment_terms = models.ForeignKey(PaymentTerms, on_delete=models.PROTECT, related_name="+")
    credit_limit = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))
    credit_status = models.CharField(
        max_length=10, choices=CreditStatus.choices, default=CreditStatus.GOOD
    )
    assigned_collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="portfolio",
    )
    do_not_contact = models.BooleanField(default=False)
    # Postal address for letters, as printed in the window of the envelope.
    billing_address = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        permissions = [("view_all_portfolios", "Team view: see every collector's customers")]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__gte=0), name="credit_limit_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="customer_not_its_own_parent"
            ),
        ]
        indexes = [models.Index(fields=["assigned_collector", "name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_ref})"


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=80, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_primary = models.BooleanField(default=False)
    # this person asked not to be called or written to; the account may still be worked
    do_not_contact = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_primary=True), name="one_primary_contact"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AuditEntry(models.Model):
    """Append-only: who changed what, with the values before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"
