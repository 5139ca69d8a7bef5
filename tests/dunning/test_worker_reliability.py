"""A dunning run sent by a real Celery worker on Redis, killed with SIGKILL mid-run and
started again: afterwards every communication exists once and every e-mail went out once
(acks_late, reject_on_worker_lost, the Redis visibility timeout and the idempotency key)."""

from __future__ import annotations

import contextlib
import datetime
import email.parser
import os
import signal
import time
from collections import Counter
from decimal import Decimal

import pytest
import redis
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from accounts.models import AuditEntry, Contact, Currency, Customer, PaymentTerms
from collections_app.models import Activity, ActivityKind
from dunning import services as dunning
from dunning.delivery import message_id
from dunning.models import (
    CommunicationStatus,
    DunningCommunication,
    DunningRunStatus,
    InvoiceDunning,
)
from dunning.tasks import dunning_send
from invoices.models import Invoice
from tests.celery_worker import LOG_DIR, running_worker
from tests.collections_app.workflow import credit_manager

pytestmark = pytest.mark.django_db(transaction=True)

# A queue of this run's own, so no other run's worker on the same Redis takes our tasks.
QUEUE = f"dunning-reliability-test-{os.getpid()}"
CUSTOMERS = 500
VISIBILITY_TIMEOUT = 8  # seconds before a killed worker's unacknowledged tasks come back
RUN_TIMEOUT = 600  # seconds per worker; ~1 letter/s on 2 busy shared cores makes 500 take ~6 min


@pytest.fixture
def mail_dir(settings, monkeypatch, tmp_path):
    """Point this process and the worker at the same private queue, mail and media folders."""
    folders = {"EMAIL_FILE_PATH": tmp_path / "mail", "MEDIA_ROOT": tmp_path / "media"}
    worker_env = {
        "DUNNING_QUEUE": QUEUE,
        "EMAIL_BACKEND": "dunwell.mail_backends.KeyedFileBackend",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "DEBUG": "0",  # as in production
        **{name: str(path) for name, path in folders.items()},
    }
    for name, value in worker_env.items():
        monkeypatch.setenv(name, value)
    settings.DUNNING_QUEUE = QUEUE
    settings.EMAIL_BACKEND = worker_env["EMAIL_BACKEND"]
    settings.EMAIL_FILE_PATH = folders["EMAIL_FILE_PATH"]
    settings.MEDIA_ROOT = folders["MEDIA_ROOT"]
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(QUEUE)
    yield folders["EMAIL_FILE_PATH"]
    broker.delete(QUEUE)  # what a failed test left behind must not reach a later run
    broker.close()


def overdue_book(count: int) -> list[Customer]:
    """``count`` customers, each with an e-mail contact and one invoice five days overdue.

    Bulk inserts: a new invoice with nothing applied to it has open_amount == amount, which
    is all the ledger asks of it."""
    usd = Currency.objects.get(code="USD")
    net30 = PaymentTerms.objects.get(net_days=30)
    customers = Customer.objects.bulk_create(
        Customer(
            external_ref=f"REL{n:05d}",
            name=f"Reliable Customer {n:03d}",
            currency=usd,
            payment_terms=net30,
            billing_address=f"{n} Main St\nSpringfield",
        )
        for n in range(count)
    )
    Contact.objects.bulk_create(
        Contact(
            customer=customer,
            name="Accounts Payable",
            email=f"ap{n}@customer{n}.example",
            is_primary=True,
        )
        for n, customer in enumerate(customers)
    )
    due = timezone.localdate() - datetime.timedelta(days=5)
    Invoice.objects.bulk_create(
        Invoice(
            number=f"REL-{n:05d}",
            customer=customer,
            issue_date=due - datetime.timedelta(days=30),
            due_date=due,
            amount=Decimal("100.00") + n,
            open_amount=Decimal("100.00") + n,
            currency=usd,
        )
        for n, customer in enumerate(customers)
    )
    return customers


def statuses(run) -> Counter:
    return Counter(
        dict(run.communications.values_list("status").annotate(n=Count("pk")).order_by())
    )


@contextlib.contextmanager
def logged_worker(logs: list, **kwargs):
    """running_worker, remembering the path of its log for the failure message."""
    before = set(LOG_DIR.glob("celery-worker-*.log")) if LOG_DIR.exists() else set()
    with running_worker(**kwargs) as process:
        logs.extend(sorted(set(LOG_DIR.glob("celery-worker-*.log")) - before))
        print(f"worker {process.pid} logs to {logs[-1]}")
        yield process


def wait_until(done, *, timeout: float, every: float, what: str, logs: list, progress=None):
    started = time.monotonic()
    last_report = started
    while not done():
        now = time.monotonic()
        if now - started > timeout:
            pytest.fail(f"{what}: not after {timeout:.0f} s; worker logs: {logs}")
        if progress and now - last_report >= 10:
            print(f"  {now - started:5.0f} s  {progress()}")
            last_report = now
        time.sleep(every)
    return time.monotonic() - started


class ResumeIfStalled:
    """What the credit manager's "Resume sending" does (``dunning_run_resume``), done once
    when the run stands still with communications queued and none on its way.

    A SIGKILL can land between the Redis transport's BRPOP and its bookkeeping of the
    unacknowledged message: that message is then gone from the broker, and no visibility
    timeout brings it back (kombu's Redis transport is at-least-once only once the message
    is booked). The communication stays queued in the database, so nothing is lost for the
    product: resuming dispatches what is still queued, and the idempotent send keeps every
    e-mail to one. The assertions after it still count exactly one e-mail each."""

    STALL_SECONDS = 4 * VISIBILITY_TIMEOUT

    def __init__(self, manager, run):
        self.manager, self.run = manager, run
        self.seen, self.since, self.resumed = None, time.monotonic(), False

    def check(self) -> bool:
        now = statuses(self.run)
        if now != self.seen:
            self.seen, self.since = now, time.monotonic()
            return True
        stalled = time.monotonic() - self.since > self.STALL_SECONDS
        if (
            stalled
            and not self.resumed
            and now[CommunicationStatus.QUEUED]
            and not now[CommunicationStatus.SENDING]
        ):
            self.resumed = True
            count = dunning.dunning_run_resume(actor=self.manager, run=self.run)
            print(f"  resumed a stalled run: {count} queued, none on its way ({dict(now)})")
        return True


def delivered_message_ids(folder) -> Counter:
    parser = email.parser.BytesHeaderParser()
    ids = Counter()
    for path in folder.glob("*.eml"):
        with path.open("rb") as handle:
            ids[parser.parse(handle)["Message-ID"]] += 1
    return ids


@pytest.mark.slow
def test_a_run_whose_worker_is_killed_mid_run_sends_every_email_exactly_once(mail_dir):
    logs: list = []
    manager = credit_manager("carla")
    customers = overdue_book(CUSTOMERS)
    run = dunning.dunning_run_start(actor=manager)
    assert run.communications.count() == CUSTOMERS

    started = time.monotonic()
    with logged_worker(logs, concurrency=2, queues=QUEUE) as first:
        dunning.dunning_run_approve(actor=manager, run=run)  # dispatched on commit
        wait_until(
            lambda: (
                run.communications.filter(status=CommunicationStatus.SENT).count() >= CUSTOMERS // 5
            ),
            timeout=RUN_TIMEOUT,
            every=0.2,
            what="the first worker sending a fifth of the run",
            logs=logs,
            progress=lambda: dict(statuses(run)),
        )
        # Kill while an e-mail is being handed over, if one is caught at it within 5 s.
        with contextlib.suppress(pytest.fail.Exception):
            wait_until(
                lambda: run.communications.filter(status=CommunicationStatus.SENDING).exists(),
                timeout=5,
                every=0.01,
                what="",
                logs=logs,
            )
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = statuses(run)
    first_worker_seconds = time.monotonic() - started
    print(f"killed the first worker after {first_worker_seconds:.1f} s: {dict(at_kill)}")
    assert 0 < at_kill[CommunicationStatus.SENT] < CUSTOMERS

    resumed = ResumeIfStalled(manager, run)
    with logged_worker(logs, concurrency=2, queues=QUEUE):
        second_worker_seconds = wait_until(
            lambda: (
                resumed.check()
                and statuses(run)[CommunicationStatus.SENT] == CUSTOMERS
                and type(run).objects.get(pk=run.pk).status == DunningRunStatus.DONE
            ),
            timeout=RUN_TIMEOUT,
            every=0.5,
            what="the second worker finishing the run",
            logs=logs,
            progress=lambda: dict(statuses(run)),
        )
    print(f"the second worker finished the run in {second_worker_seconds:.1f} s")

    run.refresh_from_db()
    assert (run.status, run.finished_at is not None) == (DunningRunStatus.DONE, True)
    comms = list(DunningCommunication.objects.values("pk", "customer_id", "key", "activity_id"))
    assert len(comms) == CUSTOMERS
    assert sorted(c["customer_id"] for c in comms) == sorted(c.pk for c in customers)
    assert statuses(run) == Counter({CommunicationStatus.SENT: CUSTOMERS})
    retried = run.communications.filter(attempts__gt=1).count()
    print(f"e-mails handed over again after the kill (none had gone out): {retried}")

    # One file per delivery: a second send of the same communication would be a second file.
    delivered = delivered_message_ids(mail_dir)
    assert sum(delivered.values()) == CUSTOMERS
    assert delivered == Counter(message_id(c["key"]) for c in comms)

    activities = Activity.objects.filter(kind=ActivityKind.EMAIL)
    assert activities.count() == CUSTOMERS
    assert set(activities.values_list("pk", flat=True)) == {c["activity_id"] for c in comms}
    assert Counter(activities.values_list("customer_id", flat=True)) == Counter(
        {c.pk: 1 for c in customers}
    )
    sent_records = AuditEntry.objects.filter(action="dunning.sent")
    assert Counter(sent_records.values_list("object_id", flat=True)) == Counter(
        {str(c["pk"]): 1 for c in comms}
    )

    by_customer = {c["customer_id"]: c["pk"] for c in comms}
    levels = InvoiceDunning.objects.values_list(
        "invoice__customer_id", "level_number", "last_dunned_on", "last_communication_id"
    )
    assert sorted(levels) == sorted(
        (customer.pk, 1, run.as_of, by_customer[customer.pk]) for customer in customers
    )


def test_one_send_delivered_six_times_to_two_worker_processes_sends_one_email(mail_dir):
    logs: list = []
    manager = credit_manager("carla")
    (customer,) = overdue_book(1)
    run = dunning.dunning_run_start(actor=manager)
    dunning.dunning_run_approve(actor=manager, run=run)  # its dispatch waits on our queue
    comm = run.communications.get()
    duplicates = [dunning_send.apply_async(args=[comm.pk], queue=QUEUE) for _ in range(5)]
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    with logged_worker(logs, concurrency=2, queues=QUEUE):
        outcomes = [result.get(timeout=60) for result in duplicates]
        # The dispatcher's own send is behind ours; leaving the block waits for it (a warm
        # shutdown finishes the tasks it has started).
        wait_until(lambda: broker.llen(QUEUE) == 0, timeout=60, every=0.2, what="queue", logs=logs)
    broker.close()

    print(f"outcomes of the five duplicates: {outcomes}")
    assert "sent" in outcomes
    assert set(outcomes) <= {"sent", "busy"}
    comm.refresh_from_db()
    assert (comm.status, comm.attempts) == (CommunicationStatus.SENT, 1)
    assert delivered_message_ids(mail_dir) == Counter({message_id(comm.key): 1})
    assert Activity.objects.filter(customer=customer).count() == 1
    assert AuditEntry.objects.filter(action="dunning.sent").count() == 1
    assert InvoiceDunning.objects.get(invoice__customer=customer).level_number == 1
