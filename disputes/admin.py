"""Reference data admins edit: the reason codes (label, owner department, SLA) and which
department each resolver belongs to. Disputes themselves change only through the services
(the pages), so they are read-only here."""

from django.contrib import admin

from .models import DepartmentMember, Dispute, DisputeReason


@admin.register(DisputeReason)
class DisputeReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "department", "sla_days", "active"]
    list_editable = ["label", "department", "sla_days", "active"]

    def has_delete_permission(self, request, obj=None):
        return False  # retire a reason (active = off); disputes keep theirs

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []


@admin.register(DepartmentMember)
class DepartmentMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "department"]
    list_filter = ["department"]


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = ["pk", "customer", "reason", "status", "department", "assignee", "amount"]
    list_filter = ["status", "department", "reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
