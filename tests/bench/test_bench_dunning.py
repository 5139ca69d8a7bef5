"""Dunning at generate_data scale: letters per second per worker process (a one-line letter
and a statement of 200 lines) with their peak RSS; a 10,000-communication run sent by two
worker processes, from approval to done, with its preview build time and peak RSS.

Unlike the other benches these write (customers of their own, a run and everything sending
it writes); each removes what it wrote, so the bench database stays as generate_data left it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dunwell_bench \\
        .venv/bin/pytest tests/bench/test_bench_dunning.py -s --benchmarks -p no:warnings

DUNNING_BENCH_RUN_SECONDS caps the 10,000 run (default 3 hours): a run stopped by the cap
prints what it sent and the rate, and is cleaned up like a finished one.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from accounts.models import AuditEntry, Contact, Currency, Customer, PaymentTerms
from collections_app.models import Activity, Escalation, FollowUp, QueueState
from dunning import services as dunning
from dunning.models import (
    CommunicationStatus,
    DunningChannel,
    DunningCommunication,
    DunningLine,
    DunningRun,
    DunningRunStatus,
    DunningRunTrigger,
    DunningSkip,
    InvoiceDunning,
)
from dunning.preview import build_preview
from invoices.models import Invoice
from tests.celery_worker import LOG_DIR, running_worker

ROOT = Path(__file__).resolve().parents[2]
QUEUE = f"dunning-bench-{os.getpid()}"
RUN_SIZE = 10_000
RENDERS = {1: 20, 200: 4}  # per measurement, after one to warm fonts and templates
PREFIX = "BENCH-DUNNING-"
ADDRESS = "1 Bench Road\nSpringfield"

RENDER_SCRIPT = """
import io, resource, sys, time, django
django.setup()
from pypdf import PdfReader
from dunning.sending import render
from dunning.models import DunningCommunication

def letter():
    comm = DunningCommunication.objects.select_related("run", "customer", "level", "contact")
    return render(comm.get(pk=int(sys.argv[1]))).pdf

pdf = letter()
start, cpu = time.perf_counter(), time.process_time()
for _ in range(int(sys.argv[2])):
    letter()
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
pages = len(PdfReader(io.BytesIO(pdf)).pages)
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(elapsed, cpu, peak_mb, pages, len(pdf))
"""


def _worker_env(monkeypatch, settings, folder: Path) -> None:
    """This process and the workers share a private queue, and mail and media under folder."""
    settings.DUNNING_QUEUE = QUEUE
    for name, value in {
        "DUNNING_QUEUE": QUEUE,
        "EMAIL_BACKEND": "dunwell.mail_backends.KeyedFileBackend",
        "EMAIL_FILE_PATH": str(folder / "mail"),
        "MEDIA_ROOT": str(folder / "media"),
        "DEBUG": "0",  # as in production: no query log growing in the worker
    }.items():
        monkeypatch.setenv(name, value)


def _overdue_customer(ref: str, invoices: int) -> Customer:
    usd = Currency.objects.get(code="USD")
    customer = Customer.objects.create(
        external_ref=ref,
        name=f"Bench Dunning {invoices} Ltd",
        currency=usd,
        payment_terms=PaymentTerms.objects.get(net_days=30),
        billing_address=ADDRESS,
    )
    Contact.objects.create(
        customer=customer, name="Accounts Payable", email="ap@bench.example", is_primary=True
    )
    today = timezone.localdate()
    Invoice.objects.bulk_create(
        Invoice(
            number=f"{ref}-{n:03d}",
            customer=customer,
            issue_date=today - datetime.timedelta(days=35 + n % 20),
            due_date=today - datetime.timedelta(days=5 + n % 20),
            amount=Decimal("100.00") + n,
            open_amount=Decimal("100.00") + n,
            currency=usd,
        )
        for n in range(invoices)
    )
    return customer


@pytest.fixture
def letters(bench_db):
    """Two communications of a run of their own: one line, and 200 lines."""
    customers = {lines: _overdue_customer(f"{PREFIX}{lines}", lines) for lines in (1, 200)}
    run = DunningRun.objects.create(as_of=timezone.localdate(), trigger=DunningRunTrigger.MANUAL)
    try:
        build_preview(run, customer_ids=[c.pk for c in customers.values()])
        yield {lines: run.communications.get(customer=c) for lines, c in customers.items()}
    finally:
        run.communications.all().delete()
        run.delete()
        for customer in customers.values():
            customer.invoices.all().delete()
            customer.contacts.all().delete()
            customer.delete()


@pytest.mark.parametrize("lines", [1, 200])
def test_bench_letters_per_second_per_worker_process(letters, lines):
    """render(): the letter and the customer's statement, as a worker renders them to send.
    Wall time depends on what else runs on the machine; CPU time per letter is what one
    process with a core to itself would take."""
    comm, renders = letters[lines], RENDERS[lines]
    assert comm.lines.count() == lines
    output = subprocess.run(
        [sys.executable, "-c", RENDER_SCRIPT, str(comm.pk), str(renders)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "dunwell.settings", "DEBUG": "0"},
    ).stdout.split()
    seconds, cpu = float(output[-5]), float(output[-4])
    peak_mb, pages, size = map(int, output[-3:])
    print(
        f"{f'render(), {lines} line(s): {pages} page(s), {size // 1024} KB':<48} "
        f"{renders / seconds:5.2f} letters/s wall, {renders / cpu:5.2f} letters/s CPU "
        f"({1000 * cpu / renders:5.0f} ms CPU each) per process, peak RSS {peak_mb} MB"
    )


@dataclass
class Before:
    """The high-water marks and rows to put back, taken before the run is built."""

    activity: int
    audit: int
    escalation: int
    follow_up: int
    levels: list = field(default_factory=list)
    queue: list = field(default_factory=list)


def _high_water(model) -> int:
    return model.objects.aggregate(top=Max("pk"))["top"] or 0


def _preview_rolled_back(as_of: datetime.date, size: int) -> tuple[list[int], list[int], str]:
    """Who a run could write to, from previews that are rolled back.

    Generated customers have no billing address, so most of those whose invoices are old
    enough for a letter are skipped ("no address"). The run takes the customers a full run
    writes to, then as many of those as it needs, given an address while it lasts."""
    with transaction.atomic():
        probe = DunningRun.objects.create(as_of=as_of, trigger=DunningRunTrigger.MANUAL)
        start = time.perf_counter()
        counts = build_preview(probe)
        figure = (
            f"preview of a full run: {counts['communications']:,} communications, "
            f"{counts['skips']:,} skips, in {time.perf_counter() - start:.1f} s"
        )
        unaddressed = set(Customer.objects.filter(billing_address="").values_list("pk", flat=True))
        Customer.objects.filter(pk__in=unaddressed).update(billing_address=ADDRESS)
        probe = DunningRun.objects.create(as_of=as_of, trigger=DunningRunTrigger.MANUAL)
        build_preview(probe)
        chosen = list(
            probe.communications.order_by("customer_id").values_list("customer_id", flat=True)[
                :size
            ]
        )
        transaction.set_rollback(True)
    return chosen, sorted(unaddressed.intersection(chosen)), figure


TOUCHED = [
    InvoiceDunning,
    DunningCommunication,
    DunningLine,
    DunningSkip,
    DunningRun,
    FollowUp,
    Escalation,
    Activity,
    AuditEntry,
    QueueState,
]


def _remove(run: DunningRun, customer_ids: list[int], before: Before) -> None:
    """Everything building and sending the run wrote, and the invoice levels as they were."""
    with transaction.atomic():
        InvoiceDunning.objects.filter(invoice__customer_id__in=customer_ids).delete()
        InvoiceDunning.objects.bulk_create(before.levels)
        run.communications.all().delete()  # and their lines
        FollowUp.objects.filter(pk__gt=before.follow_up, customer_id__in=customer_ids).delete()
        Escalation.objects.filter(pk__gt=before.escalation, customer_id__in=customer_ids).delete()
        Activity.objects.filter(pk__gt=before.activity, customer_id__in=customer_ids).delete()
        AuditEntry.objects.filter(
            pk__gt=before.audit, action__regex=r"^(dunning|escalation)\."
        ).delete()
        run.delete()  # and its skips
        QueueState.objects.filter(customer_id__in=customer_ids).delete()
        QueueState.objects.bulk_create(before.queue)
    with connection.cursor() as cursor:  # the visibility map the other benches rely on
        for model in TOUCHED:
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def _peak_rss_mb(pid: int) -> dict[int, int]:
    """VmHWM of a process and its children (the pool processes of a prefork worker)."""
    pids = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(stat.parent.name))
    peaks = {}
    for each in pids:
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{each}/status").read_text()
            peaks[each] = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) // 1024
    return peaks


def _wait_ready(log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while b" ready." not in log.read_bytes():
        if time.monotonic() > deadline:
            pytest.fail(f"the worker did not start; see {log}")
        time.sleep(0.5)


def test_bench_a_run_of_ten_thousand_communications_with_two_worker_processes(
    bench_db, settings, monkeypatch, tmp_path
):
    cap = float(os.environ.get("DUNNING_BENCH_RUN_SECONDS", 3 * 3600))
    as_of = timezone.localdate()
    assert not DunningRun.objects.filter(status__in=["preview", "sending"]).exists(), (
        "an unfinished run on the bench database would skip its customers"
    )
    customer_ids, unaddressed, figure = _preview_rolled_back(as_of, RUN_SIZE)
    print(figure)
    assert len(customer_ids) == RUN_SIZE

    before = Before(
        activity=_high_water(Activity),
        audit=_high_water(AuditEntry),
        escalation=_high_water(Escalation),
        follow_up=_high_water(FollowUp),
        levels=list(InvoiceDunning.objects.filter(invoice__customer_id__in=customer_ids)),
        queue=list(QueueState.objects.filter(customer_id__in=customer_ids)),
    )
    _worker_env(monkeypatch, settings, tmp_path)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    run = DunningRun.objects.create(as_of=as_of, trigger=DunningRunTrigger.MANUAL)
    try:
        Customer.objects.filter(pk__in=unaddressed).update(billing_address=ADDRESS)
        start = time.perf_counter()
        with transaction.atomic():
            counts = build_preview(run, customer_ids=customer_ids)
        preview_seconds = time.perf_counter() - start
        mix = Counter(
            dict(
                run.communications.values_list("channel")
                .annotate(n=Count("pk"))
                .order_by()
                .values_list("channel", "n")
            )
        )
        print(
            f"preview of {counts['communications']:,} communications "
            f"({counts['lines']:,} lines, {counts['skips']:,} skips): {preview_seconds:.1f} s; "
            f"channels {dict(mix)}; {len(unaddressed):,} customers given an address for it"
        )
        assert counts["communications"] == RUN_SIZE

        logs_before = set(LOG_DIR.glob("celery-worker-*.log")) if LOG_DIR.exists() else set()
        with running_worker(concurrency=2, queues=QUEUE) as worker:
            (log,) = set(LOG_DIR.glob("celery-worker-*.log")) - logs_before
            print(f"worker {worker.pid} logs to {log}")
            _wait_ready(log)
            started = time.monotonic()
            dunning.dunning_run_approve(actor=None, run=run)
            sent, reported = 0, started
            while True:
                time.sleep(2)
                run.refresh_from_db()
                done = run.status == DunningRunStatus.DONE
                elapsed = time.monotonic() - started
                if done or elapsed > cap or time.monotonic() - reported >= 60:
                    sent = run.communications.filter(status=CommunicationStatus.SENT).count()
                    reported = time.monotonic()
                    rate = sent / elapsed
                    eta = (RUN_SIZE - sent) / rate if rate else float("inf")
                    print(f"  {elapsed:6.0f} s  {sent:,} sent  {rate:5.2f}/s  ETA {eta:5.0f} s")
                if done or elapsed > cap:
                    break
            print_seconds = None
            if done and mix[DunningChannel.LETTER]:
                while not run.print_file and time.monotonic() - started - elapsed < 600:
                    time.sleep(1)
                    run.refresh_from_db()
                print_seconds = time.monotonic() - started - elapsed if run.print_file else None
            peaks = _peak_rss_mb(worker.pid)
        statuses = dict(
            run.communications.values_list("status")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("status", "n")
        )
        verdict = "done" if done else f"STOPPED by DUNNING_BENCH_RUN_SECONDS={cap:.0f}"
        print(
            f"{RUN_SIZE:,}-communication run, 2 worker processes: {verdict} after "
            f"{elapsed:.0f} s from approval ({sent / elapsed:.2f} communications/s, "
            f"{sent / elapsed / 2:.2f} per process); statuses {statuses}"
        )
        if print_seconds is not None:
            print(f"  printable PDF of the run's letters built {print_seconds:.0f} s after done")
        print(
            f"  peak RSS: worker {peaks.pop(worker.pid, '?')} MB, "
            f"pool processes {sorted(peaks.values())} MB"
        )
    finally:
        broker.delete(QUEUE)
        broker.close()
        _remove(run, customer_ids, before)
        Customer.objects.filter(pk__in=unaddressed).update(billing_address="")
        shutil.rmtree(tmp_path, ignore_errors=True)
    assert not DunningCommunication.objects.filter(customer_id__in=customer_ids).exists()
