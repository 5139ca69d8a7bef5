"""Admin: orders and their decisions are read-only (written by the services); webhook
deliveries are listed, and a dead letter can be sent again."""

from django.contrib import admin, messages

from accounts.errors import ServiceError

from . import services
from .models import DeliveryStatus, Order, OrderDecision, WebhookDelivery


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(_ReadOnly):
    list_display = [
        "external_ref",
        "customer",
        "amount",
        "currency",
        "status",
        "requested_ship_date",
    ]
    list_filter = ["status"]
    list_select_related = ["customer"]
    search_fields = ["external_ref", "customer__external_ref", "customer__name"]


@admin.register(OrderDecision)
class OrderDecisionAdmin(_ReadOnly):
    list_display = ["created_at", "order", "kind", "status_before", "status_after", "actor"]
    list_filter = ["kind", "status_after"]
    list_select_related = ["order", "actor"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "decision", "url", "status", "attempts", "last_error"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Send the selected dead letters again", permissions=["change"])
    def retry(self, request, queryset):
        sent = 0
        for delivery in queryset.filter(status=DeliveryStatus.DEAD).order_by("pk"):
            try:
                services.webhook_delivery_retry(actor=request.user, delivery=delivery)
            except ServiceError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                sent += 1
        self.message_user(request, f"{sent} delivery(ies) queued again.")
