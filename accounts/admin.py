"""Admin: reference data is edited here; customer and exchange-rate changes go through the
audited services."""

from django.contrib import admin

from . import services
from .exchange_rates import exchange_rate_set
from .models import AuditEntry, Contact, Currency, Customer, ExchangeRate, PaymentTerms


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "decimal_places"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "quote_currency", "valid_from", "rate"]
    list_filter = ["currency", "quote_currency"]
    date_hierarchy = "valid_from"

    def get_readonly_fields(self, request, obj=None):
        # a rate is named by its pair and day; an edit changes the rate only
        return ["currency", "quote_currency", "valid_from"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        # past aging was computed with it: correct a wrong rate, don't remove it
        return False

    def save_model(self, request, obj, form, change):
        saved = exchange_rate_set(
            actor=request.user,
            currency=obj.currency,
            quote_currency=obj.quote_currency,
            valid_from=obj.valid_from,
            rate=obj.rate,
            replace=change,
        )
        obj.pk = saved.pk


@admin.register(PaymentTerms)
class PaymentTermsAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "net_days"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "external_ref",
        "name",
        "currency",
        "credit_limit",
        "credit_status",
        "assigned_collector",
        "do_not_contact",
    ]
    list_filter = ["credit_status", "currency", "do_not_contact", "assigned_collector"]
    search_fields = ["external_ref", "name"]
    raw_id_fields = ["parent"]
    list_select_related = ["currency", "assigned_collector"]
    inlines = [ContactInline]

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.UPDATABLE
        }
        if change:
            services.customer_update(actor=request.user, customer=obj, **fields)
        else:
            data = {
                name: form.cleaned_data[name]
                for name in form.cleaned_data
                if name in services.UPDATABLE
            }
            created = services.customer_create(
                actor=request.user, external_ref=form.cleaned_data["external_ref"], **data
            )
            obj.pk = created.pk


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
