"""The decision webhook delivered by a real worker on Redis: the receiver refuses the first
attempt, the worker retries after the back-off and the second attempt is taken."""

from __future__ import annotations

import os
import time

import pytest

from orders import webhooks
from orders.models import WebhookDelivery
from tests.celery_worker import running_worker

from .conftest import receive
from .test_webhook import SECRET, Receiver

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# A queue of this run's own: another run's worker on the same Redis never takes our task.
QUEUE = f"order-webhook-test-{os.getpid()}"


def test_a_worker_retries_a_refused_delivery_until_it_is_taken(customer, settings, monkeypatch):
    for name, value in {
        "ORDER_WEBHOOK_SECRET": SECRET,
        "ORDER_WEBHOOK_BACKOFF_SECONDS": "1",
        "ORDER_WEBHOOK_MAX_ATTEMPTS": "3",
        "ORDER_WEBHOOK_QUEUE": QUEUE,
    }.items():
        monkeypatch.setenv(name, value)  # the worker's settings
    settings.ORDER_WEBHOOK_QUEUE = QUEUE
    settings.ORDER_WEBHOOK_SECRET = SECRET

    with Receiver([503]) as erp, running_worker(queues=QUEUE):
        settings.ORDER_WEBHOOK_URL = erp.url
        receive(customer, "10.00", "SO-WORKER")  # commits: the task goes to Redis
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            delivery = WebhookDelivery.objects.get()
            if delivery.status != "pending":
                break
            time.sleep(0.3)

    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len(erp.received) == 2
    sent = erp.received[1]
    assert webhooks.verify(SECRET, sent["timestamp"], sent["body"], sent["signature"])
