"""A dunning e-mail through Django's SMTP backend to a real SMTP server (aiosmtpd on a free
port of this machine), read back with the standard library's parser as a mail client reads
it; and what each way a server can fail does to the communication."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from dunning import services as dunning
from dunning import tasks
from dunning.models import CommunicationStatus, DunningCommunication
from dunning.sending import reply_address
from tests.collections_app.workflow import account, collector, credit_manager, overdue_invoice
from tests.factories import ContactFactory
from tests.smtp_server import free_port, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    settings.DUNNING_MAX_AUTO_RETRIES = 3
    with smtp_server(settings) as server:
        yield server


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    """One e-mail communication, approved and queued (its task not yet run)."""
    owner = collector("cora")
    customer = account(owner, "Acme Widgets", billing_address="1 Main St\nSpringfield")
    ContactFactory(customer=customer, name="Ann Payable", email="ap@acme.example", is_primary=True)
    overdue_invoice(customer, "120.00", days_late=3, number="ACME-1")
    overdue_invoice(customer, "1234.50", days_late=20, number="ACME-2")
    manager = credit_manager("carla")
    run = dunning.dunning_run_start(actor=manager)
    with django_capture_on_commit_callbacks(execute=False):
        dunning.dunning_run_approve(actor=manager, run=run)
    comm = run.communications.select_related("customer").get()
    assert comm.status == CommunicationStatus.QUEUED
    return comm


def _send(comm: DunningCommunication) -> DunningCommunication:
    """The worker's task, run in this process (a retry re-runs it at once, without waiting)."""
    tasks.dunning_send.apply(args=[comm.pk])
    comm.refresh_from_db()
    return comm


def test_the_email_reads_well_in_a_mail_client(smtp, queued):
    comm = _send(queued)

    assert comm.status == CommunicationStatus.SENT
    (message,) = smtp.parsed()
    ref = queued.customer.external_ref
    # Django folds an encoded subject onto a second line; the parser keeps the fold's space.
    assert message["Subject"].strip() == f"Friendly reminder — Acme Widgets (account {ref})"
    assert message["To"] == "ap@acme.example"
    assert message["Reply-To"] == "cora@example.com"  # the customer's collector
    assert message["Message-ID"] == f"<dunning.{queued.key.replace(':', '.')}@dunwell.local>"

    text = message.get_body(preferencelist=("plain",)).get_content()
    lines = text.splitlines()
    header = next(n for n, line in enumerate(lines) if line.startswith("Invoice"))
    assert re.fullmatch(r"Invoice +Issued +Due +Days overdue +Open \(USD\)", lines[header])
    assert re.fullmatch(r"-+( +-+){4}", lines[header + 1])
    rows = lines[header + 2 : header + 5]
    day = r"\w{3} \d+, \d{4}"
    assert re.fullmatch(rf"ACME-2 +{day} +{day} +20 +1,234\.50", rows[0])
    assert re.fullmatch(rf"ACME-1 +{day} +{day} +3 +120\.00", rows[1])
    assert re.fullmatch(r"Total overdue USD +1,354\.50", rows[2])
    # amounts right-aligned: every row's amount ends in the same column
    assert len({len(row) for row in rows}) == 1
    assert re.search(rf"quoting\s+account\s+{ref}\s+and the invoice numbers", text)
    assert max(len(line) for line in lines) <= 76

    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<style" not in html  # clients drop style blocks: every rule is inline
    assert re.search(r'<td class="num" style="[^"]*text-align: right', html)
    assert "ACME-2" in html and "1,234.50" in html

    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"friendly_reminder-{ref}-{comm.run.as_of:%Y%m%d}.pdf"
    pdf = PdfReader(io.BytesIO(attachment.get_content()))
    assert "Statement of account" in "".join(p.extract_text() for p in pdf.pages)


def test_replies_go_to_the_team_address_when_no_collector_is_assigned(settings, queued):
    settings.DUNNING_REPLY_TO = "credit-team@dunwell.local"
    queued.customer.assigned_collector = None

    assert reply_address(queued) == "credit-team@dunwell.local"


def test_a_4xx_answer_is_retried_with_back_off_and_sends_once(smtp, queued, monkeypatch):
    smtp.data_answers = ["451 4.3.0 Try again later", "421 4.7.0 Busy, come back"]
    countdowns = []
    retry = tasks.dunning_send.retry

    def recorded(*args, **kwargs):
        countdowns.append(kwargs.get("countdown"))
        return retry(*args, **kwargs)

    monkeypatch.setattr(tasks.dunning_send, "retry", recorded)

    comm = _send(queued)

    assert comm.status == CommunicationStatus.SENT
    assert smtp.data_attempts == 3
    assert len(smtp.messages) == 1
    assert comm.attempts == 3
    assert countdowns == [30, 60]  # in the worker, 30 s then 1 min before the next try


def test_a_4xx_answer_that_lasts_lands_in_the_retry_queue_after_the_last_retry(
    smtp, queued, settings
):
    settings.DUNNING_MAX_AUTO_RETRIES = 2
    smtp.data_answers = ["451 4.3.0 Try again later"] * 10

    comm = _send(queued)

    assert comm.status == CommunicationStatus.FAILED
    assert smtp.data_attempts == 3  # the first try and two retries
    assert smtp.messages == []
    assert "451" in comm.last_error


def test_a_5xx_answer_goes_to_the_retry_queue_at_once(smtp, queued):
    smtp.rcpt_answer = "550 5.1.1 Mailbox unknown"

    comm = _send(queued)

    assert comm.status == CommunicationStatus.FAILED
    assert comm.attempts == 1
    assert smtp.messages == []
    assert comm.last_error == (
        "address refused by the mail server: ap@acme.example (550 5.1.1 Mailbox unknown)"
    )


def test_a_connection_dropped_during_data_never_produces_a_second_email(smtp, queued):
    smtp.drop_during_data = True

    comm = _send(queued)

    assert comm.status == CommunicationStatus.FAILED
    assert "check the mail log for Message-ID <dunning." in comm.last_error
    smtp.drop_during_data = False
    _send(comm)  # the broker delivers the task again
    comm.refresh_from_db()
    assert comm.status == CommunicationStatus.FAILED
    assert smtp.data_attempts == 1
    assert len(smtp.messages) == 1


def test_a_mail_server_that_cannot_be_reached_is_retried_then_queued(settings, queued):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.DUNNING_MAX_AUTO_RETRIES = 1

    comm = _send(queued)

    assert comm.status == CommunicationStatus.FAILED
    assert comm.last_error.startswith("mail server: mail server unreachable")
