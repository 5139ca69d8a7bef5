"""The decision webhook: signed HMAC-SHA256 over timestamp and body, checked by a real
receiver (http.server on 127.0.0.1); a refused delivery is retried, the last failure makes a
dead letter an admin sends again; nothing is sent while no URL is set."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from orders import services, webhooks
from orders.models import WebhookDelivery
from tests.factories import invoice

from .conftest import receive

pytestmark = pytest.mark.django_db

SECRET = "shh-test-secret"


class Receiver:
    """A local ERP: answers each POST with the next status in ``answers`` (then 200)."""

    def __init__(self, answers: list[int]):
        self.answers = list(answers)
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                outer.received.append(
                    {
                        "body": self.rfile.read(length).decode(),
                        "timestamp": self.headers[webhooks.TIMESTAMP_HEADER],
                        "signature": self.headers[webhooks.SIGNATURE_HEADER],
                    }
                )
                self.send_response(outer.answers.pop(0) if outer.answers else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/dunwell/orders"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook(settings, eager_celery):
    def configure(url: str):
        settings.ORDER_WEBHOOK_URL = url
        settings.ORDER_WEBHOOK_SECRET = SECRET
        settings.ORDER_WEBHOOK_MAX_ATTEMPTS = 3
        settings.ORDER_WEBHOOK_BACKOFF_SECONDS = 1

    return configure


@pytest.fixture
def eager_celery():
    from dunwell.celery import app as celery_app

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_every_decision_is_posted_signed_and_verifies(
    hook, customer, django_capture_on_commit_callbacks
):
    invoice(customer, "45000.00", issue_date=timezone.localdate())
    with Receiver([]) as erp:
        hook(erp.url)
        with django_capture_on_commit_callbacks(execute=True):
            receive(customer, "9000.00", "SO-HOOK")

    (sent,) = erp.received
    assert webhooks.verify(SECRET, sent["timestamp"], sent["body"], sent["signature"])
    assert abs(int(sent["timestamp"]) - time.time()) < 60
    payload = json.loads(sent["body"])
    assert payload["order"] == {
        "id": payload["order"]["id"],
        "external_ref": "SO-HOOK",
        "customer": "ACME",
        "amount": "9000.00",
        "currency": "USD",
        "requested_ship_date": "2026-12-20",
    }
    assert (payload["decision"]["decision"], payload["decision"]["exposure_after"]) == (
        "held",
        "54000.00",
    )
    assert [r["code"] for r in payload["decision"]["reasons"]] == ["over_limit"]
    assert WebhookDelivery.objects.get().status == "delivered"


def test_a_tampered_body_a_wrong_secret_or_an_old_timestamp_do_not_verify():
    now = 1_800_000_000
    body = '{"decision": "released"}'
    signature = webhooks.sign(SECRET, now, body)

    assert webhooks.verify(SECRET, str(now), body, signature, now=now + 10)
    assert not webhooks.verify(
        SECRET, str(now), body.replace("released", "held"), signature, now=now
    )
    assert not webhooks.verify("other", str(now), body, signature, now=now)
    assert not webhooks.verify(SECRET, str(now), body, signature, now=now + 301)
    assert not webhooks.verify(SECRET, "yesterday", body, signature, now=now)


def test_a_refused_delivery_is_retried_until_the_receiver_takes_it(
    hook, customer, django_capture_on_commit_callbacks
):
    with Receiver([503]) as erp:
        hook(erp.url)
        with django_capture_on_commit_callbacks(execute=True):
            receive(customer, "10.00", "SO-RETRY")

    assert len(erp.received) == 2
    assert erp.received[0]["body"] == erp.received[1]["body"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 2, "")


def test_the_last_failure_makes_a_dead_letter_an_admin_sends_again(
    hook, customer, django_capture_on_commit_callbacks
):
    with Receiver([500, 500, 500]) as erp:
        hook(erp.url)
        with django_capture_on_commit_callbacks(execute=True):
            receive(customer, "10.00", "SO-DEAD")
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("dead", 3, "HTTP 500")

        with django_capture_on_commit_callbacks(execute=True):
            services.webhook_delivery_retry(actor=None, delivery=delivery)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert len(erp.received) == 4
    assert AuditEntry.objects.filter(action="order.webhook_retry").count() == 1


def test_a_refused_connection_counts_as_a_failed_attempt(
    hook, customer, django_capture_on_commit_callbacks
):
    with Receiver([]) as erp:
        url = erp.url
    hook(url)  # nobody listens there any more

    with django_capture_on_commit_callbacks(execute=True):
        receive(customer, "10.00", "SO-REFUSED")

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("dead", 3)
    assert delivery.last_error.startswith("not delivered")


def test_no_url_no_webhook(settings, customer, django_capture_on_commit_callbacks):
    settings.ORDER_WEBHOOK_URL = ""

    with django_capture_on_commit_callbacks(execute=True):
        receive(customer, "10.00", "SO-QUIET")

    assert WebhookDelivery.objects.count() == 0


def test_an_admin_sends_dead_letters_again_from_the_admin_list(
    hook, customer, django_capture_on_commit_callbacks
):
    from accounts import roles
    from tests.factories import user_in_role

    from .conftest import logged_in

    admin = user_in_role(roles.ADMIN, "ada", is_staff=True)
    with Receiver([500, 500, 500]) as erp:
        hook(erp.url)
        with django_capture_on_commit_callbacks(execute=True):
            receive(customer, "10.00", "SO-DEAD")
        delivery = WebhookDelivery.objects.get()
        client = logged_in(admin)
        listed = client.get("/admin/orders/webhookdelivery/?status__exact=dead")

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/admin/orders/webhookdelivery/",
                {"action": "retry", "_selected_action": [delivery.pk]},
            )

    assert listed.status_code == 200
    assert str(delivery.decision) in listed.content.decode()
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
