"""A dunning run end to end in one process: preview, approval, sending, levels, timeline."""

from __future__ import annotations

import base64
import contextlib
import datetime
import io
import json
import os
import threading

import pytest
import redis
from django.core import mail
from django.db import connection
from pypdf import PdfReader

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEntry
from collections_app.models import Activity, Escalation, FollowUp
from dunning import services as dunning
from dunning.models import (
    CommunicationStatus,
    DunningCommunication,
    DunningProfile,
    DunningRun,
    DunningRunStatus,
    DunningRunTrigger,
    InvoiceDunning,
    SkipReason,
)
from tests.collections_app.workflow import (
    account,
    collector,
    credit_manager,
    days,
    overdue_invoice,
    today,
)
from tests.factories import ContactFactory, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    owner = collector("cora")
    manager = credit_manager("carla")
    emailed = account(owner, "Acme Widgets", billing_address="1 Main St\nSpringfield")
    ContactFactory(customer=emailed, name="Ann Payable", email="ap@acme.example", is_primary=True)
    lettered = account(owner, "Bolt Brothers", billing_address="9 Dock Rd\nPortsmouth")
    ContactFactory(customer=lettered, name="Bob", email="bob@bolt.example", is_primary=True)
    silent = account(owner, "Quiet Corp", do_not_contact=True)
    ContactFactory(customer=silent, email="q@quiet.example")
    no_mail = account(owner, "No Mail Ltd")
    inv = {
        "acme_1": overdue_invoice(emailed, "120.00", days_late=3, number="ACME-1"),
        "acme_2": overdue_invoice(emailed, "80.00", days_late=20, number="ACME-2"),
        "bolt": overdue_invoice(lettered, "900.00", days_late=35, number="BOLT-1"),
        "quiet": overdue_invoice(silent, "500.00", days_late=10, number="QUIET-1"),
        "nomail": overdue_invoice(no_mail, "300.00", days_late=5, number="NOMAIL-1"),
        "current": overdue_invoice(emailed, "55.00", days_late=0, number="ACME-NOTDUE"),
    }
    # Bolt's first two levels went out from the previous system, 34 and 20 days ago.
    for level, ago in ((1, 34), (2, 20)):
        dunning.invoice_dunning_history_record(
            actor=manager, invoice=inv["bolt"], level_number=level, sent_on=today() - days(ago)
        )
    return {"manager": manager, "acme": emailed, "bolt": lettered, "inv": inv}


def test_preview_says_who_gets_what_and_who_is_skipped(book):
    run = dunning.dunning_run_start(actor=book["manager"])
    assert run.status == DunningRunStatus.PREVIEW
    comms = {c.customer.name: c for c in run.communications.select_related("customer", "level")}
    assert set(comms) == {"Acme Widgets", "Bolt Brothers"}
    acme = comms["Acme Widgets"]
    # Never reminded: both invoices start at level 1, however late ACME-2 is.
    assert (acme.level.number, acme.channel, acme.to_address) == (1, "email", "ap@acme.example")
    assert sorted(acme.lines.values_list("invoice__number", "level_number")) == [
        ("ACME-1", 1),
        ("ACME-2", 1),
    ]
    assert (comms["Bolt Brothers"].level.number, comms["Bolt Brothers"].channel) == (3, "letter")
    skips = {(s.customer.name, s.reason) for s in run.skips.select_related("customer")}
    assert skips == {
        ("Quiet Corp", SkipReason.DO_NOT_CONTACT),
        ("No Mail Ltd", SkipReason.NO_ADDRESS),
    }
    assert len(mail.outbox) == 0  # a preview sends nothing


def test_approved_run_sends_once_advances_levels_and_logs_the_pdf(
    book, eager_celery, django_capture_on_commit_callbacks
):
    run = dunning.dunning_run_start(actor=book["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_run_approve(actor=book["manager"], run=run)
    run.refresh_from_db()
    assert run.status == DunningRunStatus.DONE
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ap@acme.example"]
    assert message.extra_headers["Message-ID"].startswith("<dunning.")
    name, pdf, mimetype = message.attachments[0]
    assert name.endswith(".pdf") and mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    letter, statement = text.split("Statement of account", 1)
    assert "Acme Widgets" in letter and "ACME-1" in letter and "ACME-2" in letter
    assert "200.00" in letter
    assert "ACME-NOTDUE" not in letter  # the statement after it lists every open item
    assert "ACME-NOTDUE" in statement and "Remittance slip" in statement

    levels = dict(InvoiceDunning.objects.values_list("invoice__number", "level_number"))
    assert levels == {"ACME-1": 1, "ACME-2": 1, "BOLT-1": 3}
    acme_activity = Activity.objects.get(customer=book["acme"], kind="email")
    assert acme_activity.document.name.endswith(".pdf")
    letter = DunningCommunication.objects.get(customer=book["bolt"])
    assert letter.status == CommunicationStatus.SENT and letter.activity.kind == "letter"
    # Final demand notifies the credit manager, on the manager's list only: no follow-up
    # that would show in the collector's queue as due today.
    escalation = Escalation.objects.get(customer=book["bolt"])
    assert escalation.assigned_to == book["manager"]
    assert not FollowUp.objects.filter(customer=book["bolt"]).exists()
    run.refresh_from_db()
    assert run.print_file.name.endswith(".pdf")
    printed = PdfReader(run.print_file.open("rb"))
    assert "Bolt Brothers" in printed.pages[0].extract_text()

    # The same night again: every invoice is at its level, nobody is written to twice.
    again = dunning.dunning_run_start(actor=book["manager"])
    assert again.communications.count() == 0


def test_a_failed_send_goes_to_the_retry_queue_and_the_run_goes_on(
    book, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "tests.dunning.mail_backends.RefusingBackend"
    run = dunning.dunning_run_start(actor=book["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_run_approve(actor=book["manager"], run=run)
    run.refresh_from_db()
    statuses = dict(run.communications.values_list("customer__name", "status"))
    assert statuses == {"Acme Widgets": "failed", "Bolt Brothers": "sent"}
    failed = run.communications.get(status="failed")
    assert "refused" in failed.last_error
    assert run.status == DunningRunStatus.DONE
    assert not InvoiceDunning.objects.filter(invoice__number="ACME-1").exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_communication_retry(actor=book["manager"], communication=failed)
    failed.refresh_from_db()
    assert failed.status == CommunicationStatus.SENT
    assert len(mail.outbox) == 1


def test_sending_twice_sends_once(book, django_capture_on_commit_callbacks):
    from dunning.sending import communication_send

    run = dunning.dunning_run_start(actor=book["manager"])
    with django_capture_on_commit_callbacks(execute=False):
        dunning.dunning_run_approve(actor=book["manager"], run=run)
    comm = run.communications.get(customer=book["acme"])
    assert communication_send(comm.pk) == "sent"
    assert communication_send(comm.pk) == "sent"
    assert len(mail.outbox) == 1


def test_a_nightly_run_is_built_once_per_day(book):
    first = dunning.dunning_run_start(actor=None, trigger=DunningRunTrigger.NIGHTLY)
    second = dunning.dunning_run_start(actor=None, trigger=DunningRunTrigger.NIGHTLY)
    assert first.pk == second.pk
    assert DunningRun.objects.count() == 1


def test_customers_in_an_unfinished_run_are_left_out_of_another(
    book, django_capture_on_commit_callbacks
):
    first = dunning.dunning_run_start(actor=book["manager"])
    with django_capture_on_commit_callbacks(execute=False):  # approved, not yet sent
        dunning.dunning_run_approve(actor=book["manager"], run=first)
    second = dunning.dunning_run_start(actor=book["manager"])
    assert second.communications.count() == 0
    assert set(second.skips.values_list("reason", flat=True)) >= {SkipReason.IN_OTHER_RUN}


def test_a_new_preview_supersedes_an_unapproved_one(book):
    stale = dunning.dunning_run_start(actor=book["manager"])
    fresh = dunning.dunning_run_start(actor=book["manager"])
    stale.refresh_from_db()
    assert stale.status == DunningRunStatus.CANCELLED
    assert set(stale.communications.values_list("status", flat=True)) == {"cancelled"}
    assert fresh.communications.count() == 2


def test_collectors_cannot_start_or_approve_runs(book):
    cora = user_in_role(roles.COLLECTOR, "cora2")
    with pytest.raises(ServiceError):
        dunning.dunning_run_start(actor=cora)
    assert DunningRun.objects.count() == 0

    run = dunning.dunning_run_start(actor=book["manager"])
    with pytest.raises(ServiceError):
        dunning.dunning_run_approve(actor=cora, run=run)

    run.refresh_from_db()
    assert (run.status, run.approved_at) == (DunningRunStatus.PREVIEW, None)
    assert set(run.communications.values_list("status", flat=True)) == {"planned"}
    assert not AuditEntry.objects.filter(action="dunning.run.approve").exists()


def test_dunning_stop_needs_a_reason_and_an_end_and_skips_the_customer(book):
    manager = book["manager"]
    with pytest.raises(ServiceError) as err:
        dunning.dunning_stop_customer(
            actor=manager, customer=book["acme"], reason="", until=today()
        )
    assert err.value.field == "reason"
    with pytest.raises(ServiceError) as err:
        dunning.dunning_stop_customer(
            actor=manager, customer=book["acme"], reason="legal", until=None
        )
    assert err.value.field == "until"
    assert not DunningProfile.objects.filter(customer=book["acme"]).exclude(stop_reason="").exists()
    assert not AuditEntry.objects.filter(action="dunning.stop").exists()
    dunning.dunning_stop_customer(
        actor=manager, customer=book["acme"], reason="in legal review", until=today()
    )
    run = dunning.dunning_run_start(actor=manager)
    assert run.skips.filter(customer=book["acme"], reason=SkipReason.CUSTOMER_STOP).exists()
    dunning.dunning_stop_lift(actor=manager, customer=book["acme"])
    dunning.dunning_run_cancel(actor=manager, run=run)
    later = dunning.dunning_run_start(actor=manager)
    assert later.communications.filter(customer=book["acme"]).exists()


def test_an_invoice_stop_leaves_that_invoice_out(book):
    manager = book["manager"]
    dunning.dunning_stop_invoice(
        actor=manager,
        invoice=book["inv"]["acme_2"],
        reason="credit note on its way",
        until=today() + datetime.timedelta(days=5),
    )
    run = dunning.dunning_run_start(actor=manager)
    comm = run.communications.get(customer=book["acme"])
    assert list(comm.lines.values_list("invoice__number", flat=True)) == ["ACME-1"]
    assert comm.level.number == 1
    assert run.skips.filter(reason=SkipReason.INVOICE_STOP).count() == 1


@contextlib.contextmanager
def _held_elsewhere(communication_id: int):
    """The communication's advisory lock, held by another session (a worker mid-send)."""
    from dunning.sending import advisory_lock

    held, release = threading.Event(), threading.Event()

    def holder():
        try:
            with advisory_lock(communication_id) as got:
                assert got
                held.set()
                release.wait(30)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        yield
    finally:
        release.set()
        thread.join(10)


def _queued_messages(broker, queue: str) -> list[tuple[str, list, dict]]:
    """(task name, args, kwargs) of each message waiting in a Redis queue, oldest first."""
    found = []
    for raw in reversed(broker.lrange(queue, 0, -1)):
        message = json.loads(raw)
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append((message["headers"]["task"], args, kwargs))
    return found


def test_a_send_that_finds_its_communication_busy_is_queued_again_and_sends_once(
    book, settings, django_capture_on_commit_callbacks
):
    """A duplicate delivery that finds another session holding the communication is not
    dropped (the holder may be a dying worker) and does not send: it goes back to the queue,
    and once the lock is free that message sends the communication, once."""
    from dunning.tasks import dunning_send

    settings.DUNNING_QUEUE = f"dunning-busy-test-{os.getpid()}"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(settings.DUNNING_QUEUE)
    run = dunning.dunning_run_start(actor=book["manager"])
    with django_capture_on_commit_callbacks(execute=False):  # no dispatcher: we deliver
        dunning.dunning_run_approve(actor=book["manager"], run=run)
    comm = run.communications.get(customer=book["acme"])
    try:
        with _held_elsewhere(comm.pk):
            outcome = dunning_send.apply(args=[comm.pk]).get()
            comm.refresh_from_db()
            (again,) = _queued_messages(broker, settings.DUNNING_QUEUE)

        assert (outcome, comm.status, comm.attempts, len(mail.outbox)) == (
            "busy",
            CommunicationStatus.QUEUED,
            0,
            0,
        )
        task, args, kwargs = again
        assert (task, args) == ("dunning.tasks.dunning_send", [comm.pk])

        # The lock is free: the message that was queued again sends; a further duplicate not.
        assert dunning_send.apply(args=args, kwargs=kwargs).get() == "sent"
        assert dunning_send.apply(args=args, kwargs=kwargs).get() == "sent"
        comm.refresh_from_db()
        assert (comm.status, comm.attempts) == (CommunicationStatus.SENT, 1)
        assert [m.to for m in mail.outbox] == [["ap@acme.example"]]
    finally:
        broker.delete(settings.DUNNING_QUEUE)
        broker.close()
