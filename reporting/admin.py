"""Admin: the monthly cash targets the dashboard measures collections against."""

from django.contrib import admin

from .models import CashTarget


@admin.register(CashTarget)
class CashTargetAdmin(admin.ModelAdmin):
    list_display = ["month", "amount"]
    date_hierarchy = "month"
