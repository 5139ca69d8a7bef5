"""The bulk loader behind ``manage.py generate_data``: the demo's shape at benchmark scale.

This bypasses the services on purpose. Writing two million invoices one service call at
a time would take hours, so rows are streamed with PostgreSQL ``COPY`` (batched
``bulk_create`` on other databases) from the same plans ``seed_demo`` writes through the
services (``shape.py``). What the services would otherwise guarantee is kept here by
construction: each invoice's ``open_amount`` and each payment's ``unapplied_amount`` are
computed from the very applications written beside them, applications are only ever
inserted, and the ledger is checked with ``ledger_discrepancies()`` before the load
commits. No audit entries are written: nobody did anything.

Generated rows carry the ``GEN-`` prefix (customer refs, invoice numbers, payment
references) so they never meet the demo's, and ``--truncate`` can find them again.
Removing them is the one place the append-only trigger on applications and adjustments
is suspended, inside the same transaction, for generated rows only.

Everything runs in one transaction. From 100,000 invoices on PostgreSQL the plain indexes
and foreign keys of invoices, payments and applications are dropped for the load and
rebuilt from their catalog definitions before the check and commit, so those tables are
locked against other sessions while it runs: a tool for a scratch or benchmark database.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts import roles
from accounts.models import Contact, Customer, PaymentTerms
from accounts.reference_data import NET_DAYS
from invoices.models import Adjustment, Application, CreditMemo, Invoice, Payment
from invoices.selectors import ledger_discrepancies

from . import DEMO_PASSWORD
from .derived import derived_state_refresh
from .seed import DEMO_SEED, exchange_rates_ensure
from .shape import LedgerPlanner, plan_customers
from .sinks import CopySink, Sink

PREFIX = "GEN-"
CUSTOMER_REF = PREFIX + "C{:07d}"
INVOICE_NUMBER = PREFIX + "I{:08d}"
PAYMENT_REF = PREFIX + "P{:08d}"
COLLECTOR_USERNAME = "gen_collector{:02d}"
CHUNK_ROWS = 100_000
DEFAULT_SEED = DEMO_SEED

LEDGER_TABLES = [Customer, Contact, Invoice, Payment, Application]
BULK_TABLES = ["invoices_invoice", "invoices_payment", "invoices_application"]
PURGED_BY_SQL = {Customer, Contact, Invoice, Payment, CreditMemo, Application, Adjustment}
REBUILD_FROM_INVOICES = 100_000


class GenerateError(Exception):
    pass


@dataclass
class TableStats:
    rows: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class GenerateResult:
    tables: dict[str, TableStats] = field(default_factory=dict)
    planning_seconds: float = 0.0
    analyze_seconds: float = 0.0
    rebuild_seconds: float = 0.0
    purge_seconds: float = 0.0
    derived_seconds: float = 0.0
    vacuum_seconds: float | None = None
    check_seconds: float | None = None
    purged: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    open_invoices: int = 0

    @property
    def rows(self) -> int:
        return sum(stats.rows for stats in self.tables.values())


def generated_customers():
    return Customer.objects.filter(external_ref__startswith=PREFIX)


def collectors_ensure(count: int) -> list:
    """gen_collector01..NN in the Collector group; existing ones are reused as they are."""
    roles.sync_role_groups(Group, Permission)
    group = Group.objects.get(name=roles.COLLECTOR)
    User = get_user_model()
    users = []
    password_hash = None
    for number in range(1, count + 1):
        username = COLLECTOR_USERNAME.format(number)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": "Generated",
                "last_name": f"Collector {number:02d}",
                "email": f"{username}@dunwell.example",
            },
        )
        if created:
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user.password = password_hash
            user.save(update_fields=["password"])
            user.groups.add(group)
        users.append(user)
    return users


def _append_only_suspended(tables: list[str]):
    """Lift the append-only triggers for the rest of the transaction; returns the undo."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} DISABLE TRIGGER USER")

    def restore():
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(
                    f"ALTER TABLE {connection.ops.quote_name(table)} ENABLE TRIGGER USER"
                )

    return restore


# Everything hanging off a generated customer, children before parents. One IN per
# statement: PostgreSQL turns it into a hashed semi-join (ORed INs it does not, and then
# rescans the subquery for each of millions of rows).
_PURGE = [
    (
        "applications",
        "DELETE FROM invoices_application WHERE invoice_id IN (SELECT id FROM invoices_invoice"
        " WHERE customer_id IN (SELECT id FROM accounts_customer WHERE external_ref LIKE %s))",
    ),
    (
        "applications",
        "DELETE FROM invoices_application WHERE payment_id IN (SELECT id FROM invoices_payment"
        " WHERE customer_id IN (SELECT id FROM accounts_customer WHERE external_ref LIKE %s))",
    ),
    (
        "applications",
        "DELETE FROM invoices_application WHERE credit_memo_id IN (SELECT id FROM"
        " invoices_creditmemo WHERE customer_id IN"
        " (SELECT id FROM accounts_customer WHERE external_ref LIKE %s))",
    ),
    (
        "adjustments",
        "DELETE FROM invoices_adjustment WHERE invoice_id IN (SELECT id FROM invoices_invoice"
        " WHERE customer_id IN (SELECT id FROM accounts_customer WHERE external_ref LIKE %s))",
    ),
    (
        "invoices",
        "DELETE FROM invoices_invoice WHERE customer_id IN"
        " (SELECT id FROM accounts_customer WHERE external_ref LIKE %s)",
    ),
    (
        "payments",
        "DELETE FROM invoices_payment WHERE customer_id IN"
        " (SELECT id FROM accounts_customer WHERE external_ref LIKE %s)",
    ),
    (
        "credit memos",
        "DELETE FROM invoices_creditmemo WHERE customer_id IN"
        " (SELECT id FROM accounts_customer WHERE external_ref LIKE %s)",
    ),
    (
        "contacts",
        "DELETE FROM accounts_contact WHERE customer_id IN"
        " (SELECT id FROM accounts_customer WHERE external_ref LIKE %s)",
    ),
    ("customers", "DELETE FROM accounts_customer WHERE external_ref LIKE %s"),
]


def _dependents_purge(counts: dict[str, int]) -> None:
    """Rows the rest of Dunwell keeps about generated customers or their documents (queue
    scores, promises, activities, disputes): deleted through the ORM, so their own cascades
    and protections apply. There are few, next to the ledger rows."""
    customers = generated_customers()
    owners = [
        (Customer, customers),
        (Invoice, Invoice.objects.filter(customer__in=customers)),
        (Payment, Payment.objects.filter(customer__in=customers)),
        (CreditMemo, CreditMemo.objects.filter(customer__in=customers)),
    ]
    for model, owned in owners:
        for relation in model._meta.related_objects:
            if relation.related_model in PURGED_BY_SQL:
                continue
            if relation.many_to_many:
                through = relation.through
                link = relation.field.m2m_reverse_field_name()
                dependents = through._base_manager.filter(**{f"{link}__in": owned})
            else:
                dependents = relation.related_model._base_manager.filter(
                    **{f"{relation.field.name}__in": owned}
                )
            try:
                _, deleted = dependents.delete()
            except ProtectedError as error:
                raise GenerateError(f"cannot remove generated data: {error}") from error
            for label, count in deleted.items():
                if count:
                    counts[label] = counts.get(label, 0) + count


def purge_generated() -> dict[str, int]:
    """Delete every row hanging off a generated customer, then the customers themselves."""
    counts: dict[str, int] = {}
    _dependents_purge(counts)
    restore = _append_only_suspended(["invoices_application", "invoices_adjustment"])
    with connection.cursor() as cursor:
        for label, sql in _PURGE:
            cursor.execute(sql, [PREFIX + "%"])
            counts[label] = counts.get(label, 0) + cursor.rowcount
    restore()
    return counts


def generate(
    *,
    customers: int,
    invoices: int,
    collectors: int = 50,
    seed: int = DEFAULT_SEED,
    truncate: bool = False,
    check: bool = True,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[str], None] = lambda message: None,
) -> GenerateResult:
    started = time.monotonic()
    today = timezone.localdate()
    result = GenerateResult()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small plan objects, no cycles: the collector only costs time
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Check foreign keys per statement, not millions of deferred checks at
                # commit (and none pending when the purge lifts the append-only trigger).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            if not truncate and generated_customers().exists():
                raise GenerateError(
                    "generated data is already present; run with --truncate to replace it"
                )
            # Past this many rows (loaded or removed), working without the ledger's secondary
            # indexes and foreign keys and rebuilding them once is several times faster than
            # keeping them up to date row by row.
            replaced = (
                Invoice.objects.filter(customer__in=generated_customers()).count()
                if truncate
                else 0
            )
            bulky = max(invoices, replaced) >= REBUILD_FROM_INVOICES
            rebuild = _indexes_and_foreign_keys_dropped(BULK_TABLES) if bulky else (lambda: None)
            if truncate:
                step = time.monotonic()
                result.purged = purge_generated()
                result.purge_seconds = time.monotonic() - step
                progress(
                    f"removed earlier generated rows in {result.purge_seconds:.1f} s: "
                    + ", ".join(f"{label} {count:,}" for label, count in result.purged.items())
                )
            users = collectors_ensure(collectors)
            exchange_rates_ensure(seed=seed, today=today)
            sink = CopySink()
            loader = _Loader(sink=sink, result=result, progress=progress, started=started)
            loader.load(
                seed=seed,
                today=today,
                customers=customers,
                invoices=invoices,
                collectors=users,
                chunk_rows=chunk_rows,
            )
            step = time.monotonic()
            rebuild()
            result.rebuild_seconds = time.monotonic() - step
            if bulky:
                progress(f"indexes and foreign keys rebuilt in {result.rebuild_seconds:.1f} s")
            step = time.monotonic()
            analyze()
            result.analyze_seconds = time.monotonic() - step
            progress(f"analyzed in {result.analyze_seconds:.1f} s")
            if check:
                step = time.monotonic()
                problems = ledger_discrepancies()
                result.check_seconds = time.monotonic() - step
                if problems:
                    raise GenerateError(f"the generated ledger does not reconcile: {problems[:5]}")
                progress(f"ledger reconciles (checked in {result.check_seconds:.1f} s)")
        # The workflow's derived state (queue scores, promises) as if the cash had gone
        # through the services; after the commit, so a failure there keeps the load.
        step = time.monotonic()
        derived_state_refresh(generated_customers().values_list("pk", flat=True))
        result.derived_seconds = time.monotonic() - step
        progress(f"queue scores and promises refreshed in {result.derived_seconds:.1f} s")
        if not connection.in_atomic_block:
            # Committed. Set the visibility map (index-only scans in benchmarks) and reclaim
            # what --truncate deleted; VACUUM cannot run inside a transaction.
            step = time.monotonic()
            vacuum()
            result.vacuum_seconds = time.monotonic() - step
            progress(f"vacuumed in {result.vacuum_seconds:.1f} s")
    finally:
        if gc_was_enabled:
            gc.enable()
    result.seconds = time.monotonic() - started
    return result


def _indexes_and_foreign_keys_dropped(tables: list[str]):
    """PostgreSQL: drop the plain indexes and foreign keys of ``tables``; returns the rebuild.

    Primary keys, unique indexes, CHECK constraints and triggers stay. The definitions are
    read back from the catalog, so the rebuild restores exactly what the migrations made.
    Everything happens inside the load's transaction: a failure restores them untouched.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])"
            " ORDER BY conrelid, conname",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary AND NOT indisunique"
            " ORDER BY indexrelid",
            [tables],
        )
        indexes = cursor.fetchall()
        quote = connection.ops.quote_name
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")

    def rebuild():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    return rebuild


def vacuum() -> None:
    with connection.cursor() as cursor:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in LEDGER_TABLES)
        cursor.execute(f"VACUUM {tables}")


def analyze() -> None:
    with connection.cursor() as cursor:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in LEDGER_TABLES)
        cursor.execute(f"ANALYZE {tables}")


class _Loader:
    def __init__(self, *, sink: Sink, result: GenerateResult, progress, started: float):
        self.sink = sink
        self.result = result
        self.progress = progress
        self.started = started
        for model in LEDGER_TABLES:
            result.tables[model._meta.db_table] = TableStats()

    def _write(self, model, columns: tuple[str, ...], rows: Iterable[tuple], since: float):
        rows = list(rows)
        self.sink.write(model, columns, rows)
        stats = self.result.tables[model._meta.db_table]
        stats.rows += len(rows)
        stats.seconds += time.monotonic() - since

    def load(self, *, seed, today, customers, invoices, collectors, chunk_rows):
        sink, money, null, now = self.sink, self.sink.money, self.sink.null, self.sink.now
        step = time.monotonic()
        plans = plan_customers(
            seed=seed, count=customers, ref_format=CUSTOMER_REF, collectors=len(collectors)
        )
        self.result.planning_seconds += time.monotonic() - step

        step = time.monotonic()
        terms = dict(
            PaymentTerms.objects.filter(net_days__in=NET_DAYS).values_list("net_days", "id")
        )
        first = sink.reserve(Customer, len(plans))
        ids = [first + plan.index for plan in plans]
        collector_ids = [user.pk for user in collectors]
        self._write(
            Customer,
            (
                "id",
                "external_ref",
                "name",
                "parent_id",
                "currency_id",
                "payment_terms_id",
                "credit_limit",
                "credit_status",
                "assigned_collector_id",
                "do_not_contact",
                "created_at",
                "updated_at",
            ),
            (
                (
                    ids[plan.index],
                    plan.external_ref,
                    plan.name,
                    null if plan.parent is None else ids[plan.parent],
                    plan.currency,
                    terms[plan.net_days],
                    money(plan.credit_limit * 100),
                    plan.credit_status,
                    null if plan.collector is None else collector_ids[plan.collector],
                    plan.do_not_contact,
                    now,
                    now,
                )
                for plan in plans
            ),
            step,
        )
        step = time.monotonic()
        self._write(
            Contact,
            ("customer_id", "name", "role", "email", "phone", "is_primary"),
            (
                (ids[plan.index], c.name, c.role, c.email, c.phone, c.is_primary)
                for plan in plans
                for c in plan.contacts
            ),
            step,
        )
        self.report("customers")

        planner = LedgerPlanner(
            seed=seed,
            today=today,
            customers=plans,
            invoice_format=INVOICE_NUMBER,
            payment_format=PAYMENT_REF,
        )
        currency = [plan.currency for plan in plans]
        chunks = planner.chunks(invoices, chunk_rows)
        while True:
            step = time.monotonic()
            chunk = next(chunks, None)
            self.result.planning_seconds += time.monotonic() - step
            if chunk is None:
                break
            step = time.monotonic()
            first = sink.reserve(Invoice, len(chunk.invoices))
            for offset, invoice in enumerate(chunk.invoices):
                invoice.id = first + offset
            self.result.open_invoices += sum(1 for i in chunk.invoices if i.paid < i.amount)
            # The movement-date bounds the services keep (Invoice.first/last_movement_date):
            # a chunk's payments settle only that chunk's invoices.
            moved: dict[int, list] = {}
            for p in chunk.payments:
                if p.applied:
                    for invoice, _cents in p.allocations:
                        dates = moved.setdefault(id(invoice), [p.received_date, p.received_date])
                        dates[0] = min(dates[0], p.received_date)
                        dates[1] = max(dates[1], p.received_date)
            self._write(
                Invoice,
                (
                    "id",
                    "number",
                    "customer_id",
                    "issue_date",
                    "due_date",
                    "amount",
                    "currency_id",
                    "open_amount",
                    "first_movement_date",
                    "last_movement_date",
                    "po_number",
                    "created_at",
                ),
                (
                    (
                        i.id,
                        i.number,
                        ids[i.customer],
                        i.issue_date,
                        i.due_date,
                        money(i.amount),
                        currency[i.customer],
                        money(i.amount - i.paid),
                        *moved.get(id(i), (null, null)),
                        i.po_number,
                        now,
                    )
                    for i in chunk.invoices
                ),
                step,
            )
            step = time.monotonic()
            first = sink.reserve(Payment, len(chunk.payments))
            for offset, payment in enumerate(chunk.payments):
                payment.id = first + offset
            self._write(
                Payment,
                (
                    "id",
                    "reference",
                    "customer_id",
                    "received_date",
                    "amount",
                    "currency_id",
                    "unapplied_amount",
                    "method",
                    "created_by_id",
                    "created_at",
                ),
                (
                    (
                        p.id,
                        p.reference,
                        ids[p.customer],
                        p.received_date,
                        money(p.amount),
                        currency[p.customer],
                        money(p.amount - p.applied_amount),
                        p.method,
                        null,
                        now,
                    )
                    for p in chunk.payments
                ),
                step,
            )
            step = time.monotonic()
            self._write(
                Application,
                (
                    "invoice_id",
                    "payment_id",
                    "credit_memo_id",
                    "amount",
                    "currency_id",
                    "effective_date",
                    "reverses_id",
                    "note",
                    "created_by_id",
                    "created_at",
                ),
                (
                    (
                        invoice.id,
                        p.id,
                        null,
                        money(cents),
                        currency[p.customer],
                        p.received_date,
                        null,
                        "",
                        null,
                        now,
                    )
                    for p in chunk.payments
                    if p.applied
                    for invoice, cents in p.allocations
                ),
                step,
            )
            self.report(f"invoices up to {chunk.invoices[-1].issue_date}")

    def report(self, label: str) -> None:
        elapsed = time.monotonic() - self.started
        parts = [
            f"{table.split('_', 1)[1]} {stats.rows:,} ({stats.rate:,.0f}/s)"
            for table, stats in self.result.tables.items()
            if stats.rows
        ]
        overall = self.result.rows / elapsed if elapsed else 0
        self.progress(
            f"[{elapsed:6.1f} s] {label}: " + ", ".join(parts) + f"; overall {overall:,.0f} rows/s"
        )
