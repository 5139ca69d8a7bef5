"""Dunning at generate_data scale: letters per second per worker process (a one-line letter
and a statement of 200 lines) with their peak RSS; a 10,000-communication run sent by two
worker processes, from approval to done, with its preview build time and peak RSS.

Unlike the other benches these write (customers of their own, a run and everything sending
it writes); each removes what it wrote, so the bench database stays as generate_data left it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dunwell_bench \\
        .venv/bin/pytest tests/bench/test_bench_dunning.py -s --benchmarks -p no:warnings

DUNNING_BENCH_RUN_SECONDS caps the 10,000 run (default 3 hours): a run stopped by the cap
prints what it sent and the rate, and is cleaned up like a finished one.

The printable file of 10,000 letters needs no generated data (it brings customers of its own),
so it runs on any migrated database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dunwell_bench \\
        .venv/bin/pytest tests/bench/test_bench_dunning.py -s --benchmarks -k printable
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
from tests.dunning.letters import sent_letters_bulk

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


PRINT_SCRIPT = """
import resource, sys, time, zipfile, django
django.setup()
from pypdf import PdfReader
from django.core.files.storage import default_storage
from dunning.printing import print_file_build

start = time.perf_counter()
name = print_file_build(int(sys.argv[1]))
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
with default_storage.open(name) as handle, zipfile.ZipFile(handle) as archive:
    parts = archive.namelist()
    pages = sum(len(PdfReader(archive.open(part)).pages) for part in parts)
print(seconds, peak_mb, len(parts), pages, default_storage.size(name))
"""

PRINTED_LETTER = """
<style>@page {{ size: A4; margin: 2cm }} body {{ font-family: DejaVu Sans; font-size: 10pt }}
td {{ padding: 2pt 6pt }} .amount {{ text-align: right; font-family: DejaVu Serif }}</style>
<p><b>Bench Collections Ltd</b><br>1 Bench Road<br>Springfield</p>
<p>Customer {n}<br>1 Bench Road<br>Springfield</p>
<h1>Final demand</h1>
<p>{paragraph}</p>
<table>{rows}</table>
<p style="page-break-before: always"><b>Statement of account</b></p><table>{rows}</table>
"""


def _printed_letter() -> bytes:
    """A two-page letter from WeasyPrint, with the fonts it embeds in a real one."""
    from weasyprint import HTML

    rows = "".join(
        f"<tr><td>INV-{n:05d}</td><td>2026-0{1 + n % 9}-1{n % 10}</td>"
        f"<td class=amount>{100 + n * 7}.50 USD</td></tr>"
        for n in range(25)
    )
    paragraph = "Our records show the invoices below overdue; please pay them now. " * 8
    return HTML(string=PRINTED_LETTER.format(n=1, paragraph=paragraph, rows=rows)).write_pdf()


def test_bench_the_printable_file_of_ten_thousand_letters_in_bounded_memory(
    django_db_blocker, settings, tmp_path
):
    """print_file_build() for a run of 10,000 sent letters (one WeasyPrint letter stored once
    and read 10,000 times), in a process of its own: its peak RSS, time, parts and pages."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    letter = media / "dunning" / "documents" / "bench-letter.pdf"
    letter.parent.mkdir(parents=True)
    letter_kb = letter.write_bytes(_printed_letter()) // 1024
    with django_db_blocker.unblock():
        usd, _ = Currency.objects.get_or_create(code="USD", defaults={"name": "US dollar"})
        terms, _ = PaymentTerms.objects.get_or_create(
            net_days=30, defaults={"code": "NET30", "name": "Net 30"}
        )
        customers = Customer.objects.bulk_create(
            (
                Customer(
                    external_ref=f"{PREFIX}PRINT-{n:05d}",
                    name=f"Bench Print {n:05d} Ltd",
                    currency=usd,
                    payment_terms=terms,
                    billing_address=ADDRESS,
                )
                for n in range(RUN_SIZE)
            ),
            batch_size=2000,
        )
        now = timezone.now()
        run = DunningRun.objects.create(
            as_of=timezone.localdate(),
            trigger=DunningRunTrigger.MANUAL,
            status=DunningRunStatus.DONE,
            approved_at=now,
            finished_at=now,
        )
        try:
            sent_letters_bulk(run, customers, "dunning/documents/bench-letter.pdf")
            output = subprocess.run(
                [sys.executable, "-c", PRINT_SCRIPT, str(run.pk)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                env={
                    **os.environ,
                    "DJANGO_SETTINGS_MODULE": "dunwell.settings",
                    "DEBUG": "0",
                    "MEDIA_ROOT": str(media),
                },
            ).stdout.split()
            seconds, peak_mb = float(output[-5]), int(output[-4])
            parts, pages, size = map(int, output[-3:])
            print(
                f"{'printable file of ' + f'{RUN_SIZE:,}' + ' letters':<48} {seconds:6.1f} s, "
                f"peak RSS {peak_mb} MB, {parts} part(s), {pages:,} pages, {size // 2**20} MB "
                f"(letters of {letter_kb} KB)"
            )
        finally:
            run.communications.all().delete()
            run.delete()
            Customer.objects.filter(pk__in=[c.pk for c in customers]).delete()
            shutil.rmtree(tmp_path, ignore_errors=True)
    assert pages == 2 * RUN_SIZE


RATE_SCRIPT = """
import sys, time, django
django.setup()
from weasyprint import HTML
from accounts.pdf import _font_config
from dunning.models import DunningCommunication
from dunning.sending import render

ROWS = "".join(
    f"<tr><td>INV-{n}</td><td>2026-11-0{n}</td><td>{n}00.00 USD</td></tr>" for n in (1, 2, 3)
)
BARE = (
    "<style>@page {{ size: A4; margin: 2cm }} body {{ font-family: DejaVu Sans; font-size: 10pt }}"
    "</style><h1>Reminder</h1><p>Please pay the invoices below.</p><table>{rows}</table>"
    "<h1 style='break-before: page'>Statement of account</h1><table>{rows}</table>"
).format(rows=ROWS)

def letter():
    comm = DunningCommunication.objects.select_related(
        "run", "customer__assigned_collector", "level", "contact"
    ).get(pk=int(sys.argv[1]))
    return render(comm).pdf

def bare():
    return HTML(string=BARE).write_pdf(font_config=_font_config())

def rate(make, n):
    make()  # fonts, templates and stylesheets loaded once per process, as in a worker
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        make()
    return n / (time.perf_counter() - wall), n / (time.process_time() - cpu)

n = int(sys.argv[2])
print(*rate(letter, n), *rate(bare, n))
"""
RATE_LETTERS = 50


def test_bench_one_invoice_letters_per_second_beside_a_bare_document(django_db_blocker):
    """render() of a one-invoice letter with its two-page statement, 50 times in a process of
    its own, beside a bare two-page document with three table rows a page rendered in the
    same process: what our letters cost above what WeasyPrint needs for any two pages.
    Needs only a migrated database (it brings its customer and removes it)."""
    with django_db_blocker.unblock():
        customer = _overdue_customer(f"{PREFIX}RATE", 1)
        run = None
        try:
            run = DunningRun.objects.create(
                as_of=timezone.localdate(), trigger=DunningRunTrigger.MANUAL
            )
            build_preview(run, customer_ids=[customer.pk])
            comm = run.communications.get()
            output = subprocess.run(
                [sys.executable, "-c", RATE_SCRIPT, str(comm.pk), str(RATE_LETTERS)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "dunwell.settings", "DEBUG": "0"},
            ).stdout.split()
        finally:
            if run is not None:
                run.communications.all().delete()
                run.delete()
            customer.invoices.all().delete()
            customer.contacts.all().delete()
            customer.delete()
    letter_wall, letter_cpu, bare_wall, bare_cpu = map(float, output[-4:])
    print(
        f"{'one-invoice letter + statement, render()':<48} {letter_cpu:5.2f} letters/s CPU "
        f"({1000 / letter_cpu:4.0f} ms each), {letter_wall:5.2f}/s wall per process\n"
        f"{'bare two-page document, 3 rows a page':<48} {bare_cpu:5.2f} documents/s CPU "
        f"({1000 / bare_cpu:4.0f} ms each), {bare_wall:5.2f}/s wall"
    )
