"""/customers/<id>/emails/: the workspace queues the e-mail and answers at once; a Celery
task, enqueued on commit, sends it with the statement, retries a mail server that is down,
and the timeline says queued, then sent or failed."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AuditEntry
from collections_app.models import Activity
from collections_app.tasks import statement_email_deliver
from tests.factories import ContactFactory

from .mail_backends import FlakyBackend
from .workflow import account, collector, overdue_invoice

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
FLAKY = "tests.collections_app.mail_backends.FlakyBackend"
REFUSING = "tests.collections_app.mail_backends.RefusingBackend"


@pytest.fixture
def alice():
    return collector("alice")


@pytest.fixture
def northwind(alice):
    customer = account(alice)
    overdue_invoice(customer, "5000.00", days_late=40, number="INV-9")
    return customer


@pytest.fixture
def dana(northwind):
    return ContactFactory(customer=northwind, name="Dana Reyes", email="ap@northwind.example")


@pytest.fixture
def client(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture(autouse=True)
def flaky_reset():
    FlakyBackend.failures = FlakyBackend.attempts = 0


def _send(client, customer, contact):
    return client.post(
        f"/customers/{customer.pk}/emails/",
        {"email-contact": contact.pk, "email-template": "past_due", "email-message": "Thanks"},
        **HTMX,
    )


def _timeline(customer) -> list[tuple[str, str]]:
    return list(
        Activity.objects.filter(customer=customer)
        .order_by("occurred_at", "pk")
        .values_list("kind", "summary")
    )


QUEUED = ("system", "E-mail “Past-due notice” to ap@northwind.example queued")
SENT = ("email", "E-mail “Past-due notice” to ap@northwind.example sent with statement")


def test_the_request_queues_the_email_and_says_so_without_sending(client, northwind, dana):
    response = _send(client, northwind, dana)

    assert response.status_code == 200
    assert "E-mail to ap@northwind.example queued" in response.content.decode()
    assert mail.outbox == []  # nothing leaves before the transaction commits
    assert _timeline(northwind) == [QUEUED]
    assert AuditEntry.objects.filter(action="activity.email.queue").count() == 1


def test_after_commit_the_task_sends_it_with_the_statement_and_the_timeline_says_sent(
    client, northwind, dana, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _send(client, northwind, dana)

    assert len(callbacks) == 1
    (sent,) = mail.outbox
    assert (sent.to, sent.subject) == (
        ["ap@northwind.example"],
        f"Past-due invoices — {northwind.name}",
    )
    assert "INV-9" in sent.body
    (name, content, mimetype) = sent.attachments[0]
    assert (name.startswith("statement-"), mimetype, content[:5]) == (
        True,
        "application/pdf",
        b"%PDF-",
    )
    assert _timeline(northwind) == [QUEUED, SENT]
    sent_row = Activity.objects.get(kind="email")
    assert sent_row.document.read()[:5] == b"%PDF-"
    assert northwind.queue_state.last_contact_at == sent_row.occurred_at


def test_a_mail_server_that_is_down_is_tried_again_and_the_email_goes_once(
    client, northwind, dana, eager_celery, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = FLAKY
    FlakyBackend.failures = 2

    with django_capture_on_commit_callbacks(execute=True):
        _send(client, northwind, dana)

    assert FlakyBackend.attempts == 3
    assert [m.to for m in mail.outbox] == [["ap@northwind.example"]]
    assert _timeline(northwind) == [QUEUED, SENT]


def test_a_mail_server_down_past_every_retry_leaves_a_failed_entry(
    client, northwind, dana, eager_celery, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = FLAKY
    FlakyBackend.failures = 100

    with django_capture_on_commit_callbacks(execute=True):
        _send(client, northwind, dana)

    assert FlakyBackend.attempts == statement_email_deliver.max_retries + 1
    assert mail.outbox == []
    assert _timeline(northwind) == [
        QUEUED,
        ("system", "E-mail “Past-due notice” to ap@northwind.example could not be sent"),
    ]
    failed = Activity.objects.filter(kind="system").latest("pk")
    assert failed.note == (
        "mail server unreachable: ConnectionRefusedError: [Errno 111] Connection refused"
    )


def test_a_refused_address_fails_at_once_without_retrying(
    client, northwind, dana, eager_celery, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = REFUSING

    with django_capture_on_commit_callbacks(execute=True):
        _send(client, northwind, dana)

    assert _timeline(northwind)[-1] == (
        "system",
        "E-mail “Past-due notice” to ap@northwind.example could not be sent",
    )
    failed = Activity.objects.filter(kind="system").latest("pk")
    assert failed.note == (
        "address refused by the mail server: ap@northwind.example (550 mailbox unknown)"
    )
    assert AuditEntry.objects.filter(action="activity.email.failed").count() == 1


def test_the_task_run_twice_sends_once(client, northwind, dana):
    _send(client, northwind, dana)
    queued = Activity.objects.get()

    first = statement_email_deliver.apply(args=[queued.pk, dana.pk, "past_due", "Thanks"]).get()
    second = statement_email_deliver.apply(args=[queued.pk, dana.pk, "past_due", "Thanks"]).get()

    assert (first, second) == ("sent", "done")
    assert len(mail.outbox) == 1
    assert _timeline(northwind) == [QUEUED, SENT]


def test_an_account_marked_do_not_contact_while_queued_gets_no_email(client, northwind, dana):
    _send(client, northwind, dana)
    queued = Activity.objects.get()
    northwind.do_not_contact = True
    northwind.save(update_fields=["do_not_contact"])

    outcome = statement_email_deliver.apply(args=[queued.pk, dana.pk, "past_due", ""]).get()

    assert outcome == "failed"
    assert mail.outbox == []
    assert Activity.objects.filter(kind="system").latest("pk").note == (
        "this account is marked do not contact"
    )


def test_a_contact_who_asked_not_to_be_contacted_is_refused_by_the_service(alice, northwind, dana):
    """The form leaves such contacts out; the service refuses them too, for every other way in
    (the API, a stale form, a contact marked while the e-mail was queued)."""
    from accounts.services import ServiceError
    from collections_app.services.emails import statement_email_send

    dana.do_not_contact = True
    dana.save(update_fields=["do_not_contact"])

    with pytest.raises(ServiceError) as refused:
        statement_email_send(actor=alice, customer=northwind, contact=dana, template="statement")

    assert (refused.value.field, refused.value.message) == (
        "contact",
        "Dana Reyes is marked do not contact",
    )
    assert Activity.objects.count() == 0


def test_a_contact_marked_do_not_contact_while_queued_gets_no_email(client, northwind, dana):
    _send(client, northwind, dana)
    queued = Activity.objects.get()
    dana.do_not_contact = True
    dana.save(update_fields=["do_not_contact"])

    outcome = statement_email_deliver.apply(args=[queued.pk, dana.pk, "past_due", ""]).get()

    assert (outcome, mail.outbox) == ("failed", [])
