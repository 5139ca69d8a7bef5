"""Admin: credit authorities are set here (through the audited service); the history and the
requests are read-only, written only by the credit services."""

from django.contrib import admin

from . import services
from .models import CreditAuthority, CreditChange, LimitChangeRequest


@admin.register(CreditAuthority)
class CreditAuthorityAdmin(admin.ModelAdmin):
    list_display = ["user", "amount", "currency"]
    list_select_related = ["user", "currency"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]

    def has_delete_permission(self, request, obj=None):
        # set it to zero instead: the audit trail keeps what it was
        return False

    def save_model(self, request, obj, form, change):
        saved = services.credit_authority_set(
            actor=request.user, user=obj.user, amount=obj.amount, currency=obj.currency_id
        )
        obj.pk = saved.pk


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CreditChange)
class CreditChangeAdmin(_ReadOnly):
    list_display = ["created_at", "customer", "kind", "status_after", "limit_after", "reason"]
    list_filter = ["kind", "reason"]
    list_select_related = ["customer"]
    search_fields = ["customer__external_ref", "customer__name"]


@admin.register(LimitChangeRequest)
class LimitChangeRequestAdmin(_ReadOnly):
    list_display = ["created_at", "customer", "requested_limit", "currency", "status"]
    list_filter = ["status"]
    list_select_related = ["customer"]
