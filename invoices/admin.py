"""Admin shows the ledger read-only; the one write offered, reversal, calls the service."""

from django.contrib import admin, messages

from accounts.errors import ServiceError

from . import services
from .models import Adjustment, Application, CreditMemo, Invoice, Payment


class ReadOnlyLedgerAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyLedgerAdmin):
    list_display = [
        "number",
        "customer",
        "issue_date",
        "due_date",
        "amount",
        "currency",
        "open_amount",
    ]
    list_filter = ["currency"]
    search_fields = ["number", "customer__external_ref", "customer__name"]
    list_select_related = ["customer", "currency"]
    date_hierarchy = "due_date"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyLedgerAdmin):
    list_display = [
        "reference",
        "customer",
        "received_date",
        "amount",
        "currency",
        "unapplied_amount",
    ]
    search_fields = ["reference", "customer__external_ref"]
    list_select_related = ["customer", "currency"]
    actions = ["apply_oldest_first"]

    @admin.action(description="Apply unapplied cash oldest-first", permissions=["apply"])
    def apply_oldest_first(self, request, queryset):
        count = 0
        for payment in queryset:
            count += len(services.payment_apply_oldest_first(actor=request.user, payment=payment))
        self.message_user(request, f"{count} applications written.")

    def has_apply_permission(self, request):
        return request.user.has_perm("invoices.add_application")


@admin.register(CreditMemo)
class CreditMemoAdmin(ReadOnlyLedgerAdmin):
    list_display = ["number", "customer", "issue_date", "amount", "currency", "unapplied_amount"]
    search_fields = ["number", "customer__external_ref"]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyLedgerAdmin):
    list_display = [
        "id",
        "invoice",
        "payment",
        "credit_memo",
        "amount",
        "currency",
        "effective_date",
        "reverses",
    ]
    raw_id_fields = ["invoice", "payment", "credit_memo", "reverses"]
    list_select_related = ["invoice", "payment", "credit_memo"]
    actions = ["reverse_applications"]

    @admin.action(description="Reverse selected applications", permissions=["apply"])
    def reverse_applications(self, request, queryset):
        for application in queryset:
            try:
                services.application_reverse(
                    actor=request.user, application=application, note="reversed in admin"
                )
            except ServiceError as error:
                self.message_user(request, f"{application.pk}: {error.message}", messages.ERROR)

    def has_apply_permission(self, request):
        return request.user.has_perm("invoices.add_application")


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyLedgerAdmin):
    list_display = ["invoice", "kind", "amount", "currency", "effective_date", "reason"]
