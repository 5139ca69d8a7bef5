"""Customer import speed (issue 15: >= 5,000 rows/s through the same validations).

A generated file of 50,000 customers: contacts on most rows, collectors, parents (some
further down the file, some already in Dunwell), and 5,000 rows naming customers already in
Dunwell (a third of them with a new limit, collector or name). It is imported by the same
function the upload page's task, the API and ``import_customers`` call, then imported again
with 10% of the rows changed. Prints rows/s and the number of queries for each.

Like ``test_bench_imports.py`` it brings its own test database (migrated, then dropped):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> SECRET_KEY=... .venv/bin/pytest \\
        tests/bench/test_bench_customer_import.py -s --benchmarks -p no:randomly

CUSTOMER_IMPORT_BENCH_ROWS sets the file's size (default 50,000).
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from django.db import connection

from accounts import roles
from accounts.imports import import_customers
from accounts.models import AuditEntry, Contact, Customer
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db

ROWS = int(os.environ.get("CUSTOMER_IMPORT_BENCH_ROWS", "50000"))
EXISTING = ROWS // 10
HEADER = (
    "external_ref,name,currency,payment_terms,credit_limit,collector,parent_ref,"
    "contact_name,contact_email,contact_phone"
)
COLLECTORS = [f"collector{n:02d}" for n in range(20)]


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    """A migrated test database of its own (tests/bench/conftest.py uses the bench DB as is)."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, keepdb=False)
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)


def _row(n: int, rng: random.Random, *, parent: str = "", contact: bool = True) -> list[str]:
    return [
        f"C{n:06d}",
        f"Customer {n} GmbH",
        rng.choice(["USD", "EUR", "GBP"]),
        str(rng.choice([30, 45, 60])),
        str(rng.randrange(0, 500) * 100),
        rng.choice(COLLECTORS) if rng.random() < 0.8 else "",
        parent,
        f"Buyer {n}" if contact else "",
        f"ap{n}@example.com" if contact else "",
        f"+1 555 {n % 10000:04d}" if contact and rng.random() < 0.5 else "",
    ]


def _write(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join([HEADER, *(",".join(row) for row in rows)]) + "\n")
    return path


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The customers already in Dunwell; the file (the first EXISTING of its rows name them);
    the file again with 10% of its rows changed."""
    rng = random.Random(15)
    existing = [_row(n, rng, contact=n % 2 == 0) for n in range(EXISTING)]
    rows = []
    for n in range(ROWS):
        if n < EXISTING:
            row = list(existing[n])
            if n % 3 == 0:  # a third of the known customers change: limit, collector or name
                field = (n // 3) % 3
                if field == 0:
                    row[4] = str(int(row[4]) + 100)
                elif field == 1:
                    row[5] = COLLECTORS[(COLLECTORS.index(row[5]) + 1) % 20] if row[5] else ""
                else:
                    row[1] += " Ltd"
            row[7:10] = [f"Buyer {n}", f"ap{n}@example.com", ""]
        else:
            kind = rng.random()
            if kind < 0.1:  # a parent already in Dunwell
                parent = f"C{rng.randrange(EXISTING):06d}"
            elif kind < 0.2 and n + 10 < ROWS:  # a parent further down the file
                parent = f"C{rng.randrange(n + 1, min(ROWS, n + 3000)):06d}"
            elif kind < 0.3:  # a parent earlier in the file
                parent = f"C{rng.randrange(EXISTING, n):06d}" if n > EXISTING else ""
            else:
                parent = ""
            row = _row(n, rng, parent=parent, contact=rng.random() < 0.7)
        rows.append(row)
    _break_loops(rows)
    again = []
    for n, row in enumerate(rows):
        row = list(row)
        if n % 10 == 5:  # 10%: a new limit, a new collector, a new name, or another contact
            change = (n // 10) % 4
            if change == 0:
                row[4] = str(int(row[4]) + 500)
            elif change == 1:
                row[5] = COLLECTORS[(n // 10) % 20]
            elif change == 2:
                row[1] += " AG"
            else:
                row[7:10] = [f"Second Buyer {n}", f"second{n}@example.com", ""]
        again.append(row)
    return (
        _write(tmp_path / "existing.csv", existing),
        _write(tmp_path / "customers.csv", rows),
        _write(tmp_path / "customers-again.csv", again),
    )


def _break_loops(rows: list[list[str]]) -> None:
    parent_of = {row[0]: row[6] for row in rows}
    for row in rows:
        seen = {row[0]}
        current = parent_of[row[0]]
        while current:
            if current in seen:
                row[6] = ""
                parent_of[row[0]] = ""
                break
            seen.add(current)
            current = parent_of.get(current, "")


def _timed(label: str, path: Path, actor) -> None:
    """Rows/s by the clock, and the import's own CPU time (this process: parsing, checks,
    building rows) beside it, with the machine's load: on a shared machine the clock says
    how busy it was as much as how fast the import is."""
    queries = []

    def counted(execute, sql, params, many, context):
        queries.append(1)  # counted, not kept: a batch's statement carries megabytes of values
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        started, cpu = time.perf_counter(), time.process_time()
        result = import_customers(path, actor=actor)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"\n{label}: {ROWS:,} rows in {seconds:.1f} s = {ROWS / seconds:,.0f} rows/s "
        f"(Python CPU {cpu:.1f} s, load average {os.getloadavg()[0]:.1f}), "
        f"{len(queries):,} queries ({result})"
    )


def test_customer_import_speed(tmp_path, settings):
    settings.DEBUG = False
    for username in COLLECTORS:
        user_in_role(roles.COLLECTOR, username)
    actor = user_in_role(roles.FINANCE, "fiona")
    existing, customers, again = _files(tmp_path)
    import_customers(existing, actor=actor)
    assert Customer.objects.count() == EXISTING

    _timed("fresh import", customers, actor)
    assert Customer.objects.count() == ROWS
    created = AuditEntry.objects.filter(action="customer.create").count()
    assert created == ROWS
    contacts = Contact.objects.count()

    _timed("re-import with 10% changed", again, actor)
    assert Customer.objects.count() == ROWS
    second_contacts = sum(1 for n in range(5, ROWS, 10) if (n // 10) % 4 == 3)
    assert Contact.objects.count() == contacts + second_contacts
