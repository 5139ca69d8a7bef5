"""The workspace's statement e-mail through Django's SMTP backend to a real SMTP server
(aiosmtpd on a free port), read back as a mail client reads it; and what each way a server
can fail does: 4xx is tried again with back-off, 5xx fails at once, and a line dropped while
the message is handed over (or a worker killed then) never produces a second e-mail —
exactly as dunning's letters (tests/dunning/test_email_smtp.py)."""

from __future__ import annotations

import io

import pytest
from django.core.mail import EmailMessage
from pypdf import PdfReader

from accounts.audit import audit_record
from collections_app.models import Activity
from collections_app.services.emails import (
    EMAIL_SENDING,
    email_message_id,
    statement_email_send,
)
from collections_app.tasks import statement_email_deliver
from tests.factories import ContactFactory
from tests.smtp_server import smtp_server

from .workflow import account, collector, overdue_invoice

pytestmark = pytest.mark.django_db

QUEUED = ("system", "E-mail “Past-due notice” to ap@northwind.example queued")
SENT = ("email", "E-mail “Past-due notice” to ap@northwind.example sent with statement")
FAILED = ("system", "E-mail “Past-due notice” to ap@northwind.example could not be sent")


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as server:
        yield server


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    """One e-mail the workspace queued (its task not yet run)."""
    alice = collector("alice")
    customer = account(alice, billing_address="1 Main St\nSpringfield")
    overdue_invoice(customer, "5000.00", days_late=40, number="INV-9")
    dana = ContactFactory(customer=customer, name="Dana Reyes", email="ap@northwind.example")
    with django_capture_on_commit_callbacks(execute=False):
        activity = statement_email_send(
            actor=alice, customer=customer, contact=dana, template="past_due", message="Thanks"
        )
    return activity


def _deliver(queued: Activity) -> str:
    """The worker's task, run in this process (a retry re-runs it at once, without waiting)."""
    return statement_email_deliver.apply(
        args=[queued.pk, queued.contact_id, "past_due", "Thanks"]
    ).get()


def _timeline(queued: Activity) -> list[tuple[str, str]]:
    rows = Activity.objects.filter(customer_id=queued.customer_id).order_by("occurred_at", "pk")
    return list(rows.values_list("kind", "summary"))


def _failure(queued: Activity) -> str:
    return Activity.objects.filter(customer_id=queued.customer_id, kind="system").latest("pk").note


@pytest.fixture
def countdowns(monkeypatch):
    """The countdown of each retry the task asks Celery for."""
    asked = []
    retry = statement_email_deliver.retry

    def recorded(*args, **kwargs):
        asked.append(kwargs.get("countdown"))
        return retry(*args, **kwargs)

    monkeypatch.setattr(statement_email_deliver, "retry", recorded)
    return asked


def test_the_statement_email_reads_well_in_a_mail_client(smtp, queued):
    assert _deliver(queued) == "sent"

    (message,) = smtp.parsed()
    assert message["To"] == "ap@northwind.example"
    assert message["Subject"].strip() == f"Past-due invoices — {queued.customer.name}"
    assert message["Message-ID"] == f"<statement-email.{queued.pk}@dunwell.local>"
    assert "INV-9" in message.get_body(preferencelist=("plain",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    pdf = PdfReader(io.BytesIO(attachment.get_content()))
    assert "INV-9" in "".join(page.extract_text() for page in pdf.pages)
    assert _timeline(queued) == [QUEUED, SENT]


def test_a_4xx_answer_is_retried_with_back_off_and_sends_once(smtp, queued, countdowns):
    smtp.data_answers = ["451 4.3.0 Try again later", "421 4.7.0 Busy, come back"]

    assert _deliver(queued) == "sent"

    assert smtp.data_attempts == 3
    assert len(smtp.messages) == 1
    assert countdowns == [30, 60]  # in the worker, 30 s then 1 min before the next try
    assert _timeline(queued) == [QUEUED, SENT]


def test_a_4xx_answer_that_lasts_fails_after_the_last_retry(smtp, queued, countdowns):
    smtp.data_answers = ["451 4.3.0 Try again later"] * 20

    assert _deliver(queued) == "failed"

    # six retries at 30 s doubling to at most 10 min: the schedule the task promises
    assert smtp.data_attempts == 7
    assert countdowns == [30, 60, 120, 240, 480, 600]
    assert smtp.messages == []
    assert _timeline(queued) == [QUEUED, FAILED]
    assert _failure(queued) == "mail server answered 451 4.3.0 Try again later"


def test_a_5xx_answer_fails_at_once(smtp, queued, countdowns):
    smtp.rcpt_answer = "550 5.1.1 Mailbox unknown"

    assert _deliver(queued) == "failed"

    assert countdowns == []
    assert smtp.messages == []
    assert _timeline(queued) == [QUEUED, FAILED]
    assert _failure(queued) == (
        "address refused by the mail server: ap@northwind.example (550 5.1.1 Mailbox unknown)"
    )


def test_a_connection_dropped_during_data_never_produces_a_second_email(smtp, queued):
    smtp.drop_during_data = True

    assert _deliver(queued) == "failed"

    assert f"check the mail log for Message-ID <statement-email.{queued.pk}@" in _failure(queued)
    smtp.drop_during_data = False
    assert _deliver(queued) == "done"  # the broker delivers the task again
    assert smtp.data_attempts == 1
    assert len(smtp.messages) == 1
    assert _timeline(queued) == [QUEUED, FAILED]


def test_a_worker_killed_while_handing_it_over_is_not_sent_again(smtp, queued):
    # what a worker killed mid-send leaves: "sending" committed, no outcome
    audit_record(actor=None, action=EMAIL_SENDING, instance=queued, after={})

    assert _deliver(queued) == "failed"  # the task's message comes back to another worker

    assert smtp.messages == []  # SMTP cannot say whether it went: a person checks the log
    assert _failure(queued) == (
        "interrupted while handing the e-mail over: check the mail log for "
        f"Message-ID <statement-email.{queued.pk}@dunwell.local> before sending it again"
    )
    assert _timeline(queued) == [QUEUED, FAILED]


@pytest.fixture
def keyed_mail(settings, tmp_path):
    settings.EMAIL_BACKEND = "dunwell.mail_backends.KeyedFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    return tmp_path


def test_a_backend_that_can_tell_finishes_an_interrupted_send_without_a_second_email(
    keyed_mail, queued
):
    # a worker wrote "sending", handed the e-mail over, and was killed before recording it
    audit_record(actor=None, action=EMAIL_SENDING, instance=queued, after={})
    EmailMessage(
        subject="Past-due invoices",
        body="…",
        to=["ap@northwind.example"],
        headers={"Message-ID": email_message_id(queued.pk)},
    ).send()

    assert _deliver(queued) == "sent"

    assert len(list(keyed_mail.glob("*.eml"))) == 1
    assert _timeline(queued) == [QUEUED, SENT]


def test_a_backend_that_can_tell_sends_an_interrupted_email_that_never_left(keyed_mail, queued):
    audit_record(actor=None, action=EMAIL_SENDING, instance=queued, after={})

    assert _deliver(queued) == "sent"

    assert len(list(keyed_mail.glob("*.eml"))) == 1
    assert _timeline(queued) == [QUEUED, SENT]
