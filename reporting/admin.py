"""Admin: the monthly cash targets the dashboard measures collections against, set through
the audited service."""

from django.contrib import admin

from .models import CashTarget
from .services import cash_target_set


@admin.register(CashTarget)
class CashTargetAdmin(admin.ModelAdmin):
    list_display = ["month", "amount"]
    date_hierarchy = "month"

    def get_readonly_fields(self, request, obj=None):
        return ["month"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = cash_target_set(actor=request.user, month=obj.month, amount=obj.amount)
        obj.pk = saved.pk
