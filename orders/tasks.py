"""Celery: one task per webhook delivery, retried with exponential back-off."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import services, webhooks
from .models import DeliveryStatus, WebhookDelivery


@shared_task(name="orders.tasks.order_webhook_deliver")
def order_webhook_deliver(delivery_id: int) -> str:
    """Send one decision; safe to run twice (a delivered or dead letter is left alone)."""
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "skipped"
    secret = settings.ORDER_WEBHOOK_SECRET
    # never send an unsigned decision: a receiver could not tell it from a forgery
    error = (
        webhooks.send(delivery.url, secret, delivery.body)
        if secret
        else "not sent: ORDER_WEBHOOK_SECRET is not set"
    )
    again = services.webhook_delivery_record(
        delivery_id=delivery_id, error=error, max_attempts=settings.ORDER_WEBHOOK_MAX_ATTEMPTS
    )
    if again is None:
        return "delivered" if error is None else "dead"
    countdown = settings.ORDER_WEBHOOK_BACKOFF_SECONDS * 2 ** (again.attempts - 1)
    order_webhook_deliver.apply_async(
        args=[delivery_id], countdown=countdown, queue=settings.ORDER_WEBHOOK_QUEUE
    )
    return "retrying"
