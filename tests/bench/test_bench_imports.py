"""CSV import speed: 10,000 customers, 50,000 invoices and 50,000 payments (nine in ten
naming one of the invoices, some invoices named by several, some paid in full or over-paid),
generated, imported by the same functions the upload page's task, the API and the
``import_*`` commands call. The target of issue 15 is 5,000 rows/s.

For each kind it prints rows/s, this process's CPU time, the statements sent and the time
spent waiting on PostgreSQL (the slowest kinds named). For invoices and payments it prints
a hand-written lower bound: the same rows written with COPY (ids reserved up front) and
one UPDATE of the invoices, run after the import in a savepoint that is rolled back (the
payments' against fresh copies of the invoices), and our time as a multiple of it. A
sample of the payments (1,000) is also posted one by one through ``payment_post``, on
fresh copies of the invoices, rolled back: the import's path before issue 15. On a shared
machine wall time follows the load; the CPU time, the lower bound and the one-by-one rate
of the same run say how much of it is ours.

Unlike the other benchmarks it brings its own test database (migrated, then dropped), so it
runs anywhere:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h7_imports .venv/bin/pytest --create-db \\
        tests/bench/test_bench_imports.py -s --benchmarks -p no:randomly

IMPORT_BENCH_SCALE scales the three sizes (default 1; 0.1 = 1,000 / 5,000 / 5,000 rows).
"""

from __future__ import annotations

import datetime
import gc
import json
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, transaction

from accounts.imports import import_customers
from accounts.models import AuditEntry, Customer
from demo.sinks import CopySink
from invoices import services
from invoices.imports import import_invoices, import_payments
from invoices.models import Application, Invoice, Payment
from invoices.selectors import ledger_discrepancies

pytestmark = pytest.mark.django_db

SCALE = float(os.environ.get("IMPORT_BENCH_SCALE", "1"))
CUSTOMERS = max(10, int(10_000 * SCALE))
INVOICES = max(10, int(50_000 * SCALE))
PAYMENTS = max(10, int(50_000 * SCALE))
ONE_BY_ONE = min(PAYMENTS, 1_000)  # payment_post is slow: a sample says its rate
DAY = datetime.date(2026, 1, 1)
RECEIVED = datetime.date(2026, 6, 1)


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    """A migrated test database of its own (tests/bench/conftest.py uses the bench DB as is)."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, keepdb=False)
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)


class Statements:
    """Counts and times every statement sent while installed (``execute_wrapper``), by kind
    (its first words: ``INSERT INTO "invoices_payment"``)."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0
        self.kinds: dict[str, list] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - started
            self.count += 1
            self.seconds += seconds
            kind = self.kinds.setdefault(" ".join(sql.split()[:3])[:50], [0, 0.0])
            kind[0] += 1
            kind[1] += seconds

    def slowest(self, count: int = 6) -> str:
        ranked = sorted(self.kinds.items(), key=lambda item: -item[1][1])[:count]
        return "; ".join(f"{kind}... {n} times {seconds:.1f} s" for kind, (n, seconds) in ranked)


@dataclass
class Measured:
    rows: int
    seconds: float
    statements: int

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


class Collections:
    """Time spent in Python's garbage collector while installed (``gc.callbacks``)."""

    def __init__(self):
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started
        self.full += info["generation"] == 2


def _timed(label: str, rows: int, run) -> Measured:
    statements, collections = Statements(), Collections()
    gc.callbacks.append(collections)
    try:
        with connection.execute_wrapper(statements):
            started, cpu = time.perf_counter(), time.process_time()
            result = run()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        gc.callbacks.remove(collections)
    measured = Measured(rows, seconds, statements.count)
    print(
        f"\n{label}: {rows:,} rows in {seconds:.1f} s = {measured.rate:,.0f} rows/s ({result})"
        f"\n  this process's CPU {cpu:.1f} s ({collections.seconds:.1f} s of it collecting "
        f"garbage, {collections.full} full collections of {len(gc.get_objects()):,} objects); "
        f"{statements.count:,} statements, "
        f"{statements.seconds:.1f} s waiting on PostgreSQL; slowest: {statements.slowest()}"
    )
    return measured


@contextmanager
def _rolled_back() -> Iterator[None]:
    """A savepoint undone at the end: what a lower bound or the one-by-one sample wrote."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _seconds(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _against(label: str, ours: Measured, lower_bound: float) -> None:
    print(
        f"{label}: COPY lower bound {lower_bound:.1f} s "
        f"({ours.rows / lower_bound:,.0f} rows/s); ours {ours.seconds / lower_bound:.1f}x"
    )


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _audit(action: str, object_type: str, object_id: int, before, after) -> tuple:
    return (
        action,
        object_type,
        str(object_id),
        json.dumps(before) if before is not None else r"\N",
        json.dumps(after),
    )


AUDIT_COLUMNS = ("action", "object_type", "object_id", "before", "after")
INVOICE_COLUMNS = (
    "id",
    "number",
    "customer_id",
    "issue_date",
    "due_date",
    "amount",
    "currency_id",
    "open_amount",
    "po_number",
)


def _copy_invoices(
    sink: CopySink, invoice_rows: list[tuple[str, ...]], customer_ids: dict[str, int], prefix: str
) -> tuple[dict[str, list], list[tuple]]:
    """The file's invoices as new rows numbered ``prefix`` + number, with COPY: by the
    file's number, [id, number, open amount]; and their ``invoice.create`` entries."""
    first = sink.reserve(Invoice, len(invoice_rows))
    rows, audits, copied = [], [], {}
    for offset, (number, ref, issued, due, amount, currency, po_number) in enumerate(invoice_rows):
        pk, copy = first + offset, f"{prefix}{number}"
        rows.append((pk, copy, customer_ids[ref], issued, due, amount, currency, amount, po_number))
        copied[number] = [pk, copy, Decimal(amount)]
        after = {
            "number": copy,
            "customer": customer_ids[ref],
            "issue_date": issued,
            "due_date": due,
            "amount": amount,
            "currency": currency,
            "po_number": po_number,
        }
        audits.append(_audit("invoice.create", "invoices.invoice", pk, None, after))
    sink.write(Invoice, INVOICE_COLUMNS, rows)
    return copied, audits


def _invoices_lower_bound(
    invoice_rows: list[tuple[str, ...]], customer_ids: dict[str, int]
) -> None:
    """The invoices and their ``invoice.create`` entries, written with COPY."""
    sink = CopySink()
    _, audits = _copy_invoices(sink, invoice_rows, customer_ids, "LB-")
    sink.write(AuditEntry, AUDIT_COLUMNS, audits)


def _payments_lower_bound(
    sink: CopySink, payment_rows: list[tuple[str, ...]], invoices: dict[str, list]
) -> None:
    """The payments, applications, invoice balances and audit entries the import writes,
    with COPY and one UPDATE, against fresh copies of the file's invoices."""
    customer_ids = dict(Customer.objects.values_list("external_ref", "pk"))
    first_payment = sink.reserve(Payment, len(payment_rows))
    first_application = sink.reserve(Application, len(payment_rows))
    payments, applications, audits, moved = [], [], [], {}
    for offset, (reference, ref, received, amount, currency, number) in enumerate(payment_rows):
        pk, reference, cash = first_payment + offset, f"LB-{reference}", Decimal(amount)
        invoice = invoices.get(number)
        share = min(cash, invoice[2]) if invoice else Decimal(0)
        payments.append(
            (pk, reference, customer_ids[ref], received, amount, currency, cash - share)
        )
        after = {
            "reference": reference,
            "customer": customer_ids[ref],
            "received_date": received,
            "amount": amount,
            "currency": currency,
            "method": "",
        }
        audits.append(_audit("payment.post", "invoices.payment", pk, None, after))
        if share > 0:
            application_pk = first_application + len(applications)
            applications.append((application_pk, invoice[0], pk, share, currency, received))
            before = {"invoice_open_amount": str(invoice[2])}
            invoice[2] -= share
            after = {
                "invoice": invoice[1],
                "payment": reference,
                "amount": str(share),
                "effective_date": received,
                "invoice_open_amount": str(invoice[2]),
            }
            audits.append(
                _audit("application.create", "invoices.application", application_pk, before, after)
            )
            moved[invoice[0]] = moved.get(invoice[0], Decimal(0)) + share
    sink.write(
        Payment,
        (
            "id",
            "reference",
            "customer_id",
            "received_date",
            "amount",
            "currency_id",
            "unapplied_amount",
        ),
        payments,
    )
    sink.write(
        Application,
        ("id", "invoice_id", "payment_id", "amount", "currency_id", "effective_date"),
        applications,
    )
    ids = sorted(moved)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE invoices_invoice AS i
            SET open_amount = i.open_amount - m.amount,
                first_movement_date = LEAST(COALESCE(i.first_movement_date, %s), %s),
                last_movement_date = GREATEST(COALESCE(i.last_movement_date, %s), %s)
            FROM unnest(%s::bigint[], %s::numeric[]) AS m(id, amount)
            WHERE i.id = m.id
            """,
            [RECEIVED, RECEIVED, RECEIVED, RECEIVED, ids, [moved[pk] for pk in ids]],
        )
    sink.write(AuditEntry, AUDIT_COLUMNS, audits)


def _one_by_one(payment_rows: list[tuple[str, ...]], invoices: dict[str, list]) -> None:
    """``payment_post`` a row at a time, with the share the import computes, against fresh
    copies of the file's invoices."""
    customers = {c.external_ref: c for c in Customer.objects.all()}
    for reference, ref, received, amount, currency, number in payment_rows:
        invoice, cash = invoices.get(number), Decimal(amount)
        share = min(cash, invoice[2]) if invoice else Decimal(0)
        services.payment_post(
            actor=None,
            customer=customers[ref],
            reference=f"ONE-{reference}",
            received_date=datetime.date.fromisoformat(received),
            amount=cash,
            currency=currency,
            allocations=[services.Allocation(invoice_id=invoice[0], amount=share)]
            if share > 0
            else [],
        )
        if share > 0:
            invoice[2] -= share


def test_import_speed(tmp_path):
    rng = random.Random(15)
    customer_rows = [
        f"C{n:06d},Customer {n} GmbH,{rng.choice(['USD', 'EUR'])},{rng.choice([30, 45, 60])},"
        f"{rng.randrange(0, 500) * 100},Buyer {n},ap{n}@example.com"
        for n in range(CUSTOMERS)
    ]
    currency_of = {row.split(",")[0]: row.split(",")[2] for row in customer_rows}
    customers = _write(
        tmp_path / "customers.csv",
        "external_ref,name,currency,payment_terms,credit_limit,contact_name,contact_email",
        customer_rows,
    )
    invoice_rows = []
    for n in range(INVOICES):
        ref = f"C{rng.randrange(CUSTOMERS):06d}"
        issued = DAY + datetime.timedelta(days=rng.randrange(120))
        invoice_rows.append(
            (  # tuples of text: the collector soon stops tracking them
                f"INV-{n:07d}",
                ref,
                issued.isoformat(),
                (issued + datetime.timedelta(days=30)).isoformat(),
                f"{rng.randrange(100, 1_000_000) / 100:.2f}",
                currency_of[ref],  # each customer's invoices in its own currency
                f"PO-{n}",
            )
        )
    invoices = _write(
        tmp_path / "invoices.csv",
        "invoice_number,customer_ref,issue_date,due_date,amount,currency,po_number",
        [",".join(row) for row in invoice_rows],
    )
    payment_rows = []
    for n in range(PAYMENTS):
        # nine in ten name an invoice (a few invoices get several payments, some are paid
        # in full and some over-paid); the rest stay unapplied
        named = invoice_rows[rng.randrange(INVOICES)] if rng.random() < 0.9 else None
        ref = named[1] if named else f"C{rng.randrange(CUSTOMERS):06d}"
        payment_rows.append(
            (
                f"PAY-{n:07d}",
                ref,
                RECEIVED.isoformat(),
                f"{rng.randrange(100, 800_000) / 100:.2f}",
                currency_of[ref],
                named[0] if named else "",
            )
        )
    payments = _write(
        tmp_path / "payments.csv",
        "reference,customer_ref,received_date,amount,currency,invoice_number",
        [",".join(row) for row in payment_rows],
    )

    rates = {}
    rates["customers"] = _timed("customers", CUSTOMERS, lambda: import_customers(customers))
    customer_ids = dict(Customer.objects.values_list("external_ref", "pk"))
    rates["invoices"] = _timed("invoices", INVOICES, lambda: import_invoices(invoices))
    with _rolled_back():
        invoices_floor = _seconds(lambda: _invoices_lower_bound(invoice_rows, customer_ids))
    _against("invoices", rates["invoices"], invoices_floor)
    rates["invoices again"] = _timed("invoices again", INVOICES, lambda: import_invoices(invoices))
    rates["payments"] = _timed("payments", PAYMENTS, lambda: import_payments(payments))
    # the lower bound and the sample after the import, each on fresh copies of the invoices
    # in a savepoint rolled back, so that neither leaves dead rows in the import's way
    with _rolled_back():
        sink = CopySink()
        fresh, _ = _copy_invoices(sink, invoice_rows, customer_ids, "LB-")
        payments_floor = _seconds(lambda: _payments_lower_bound(sink, payment_rows, fresh))
    _against("payments", rates["payments"], payments_floor)
    with _rolled_back():
        fresh, _ = _copy_invoices(CopySink(), invoice_rows, customer_ids, "ONE-")
        one_by_one = _timed(
            "payments one by one (payment_post a row, the import's path before; rolled back)",
            ONE_BY_ONE,
            lambda: _one_by_one(payment_rows[:ONE_BY_ONE], fresh),
        )

    assert Customer.objects.count() == CUSTOMERS
    assert Invoice.objects.count() == INVOICES
    assert Payment.objects.count() == PAYMENTS
    assert ledger_discrepancies() == []
    print(
        "\nrows/s: "
        + ", ".join(f"{kind} {measured.rate:,.0f}" for kind, measured in rates.items())
        + f"; payment_post one by one {one_by_one.rate:,.0f}"
    )
