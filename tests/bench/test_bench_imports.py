"""CSV import speed: 10,000 customers, 50,000 invoices and 50,000 payments (each naming one
of the invoices), generated, imported by the same functions the upload page's task, the API
and the ``import_*`` commands call. Prints rows/s for each kind, and for importing the
invoices file again (everything unchanged). The target of issue 15 is 5,000 rows/s.

Unlike the other benchmarks it brings its own test database (migrated, then dropped), so it
runs anywhere:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h7_imports .venv/bin/pytest --create-db \\
        tests/bench/test_bench_imports.py -s --benchmarks -p no:randomly

IMPORT_BENCH_SCALE scales the three sizes (default 1; 0.1 = 1,000 / 5,000 / 5,000 rows).
"""

from __future__ import annotations

import datetime
import os
import random
import time
from pathlib import Path

import pytest

from accounts.imports import import_customers
from accounts.models import Customer
from invoices.imports import import_invoices, import_payments
from invoices.models import Invoice, Payment

pytestmark = pytest.mark.django_db

SCALE = float(os.environ.get("IMPORT_BENCH_SCALE", "1"))
CUSTOMERS = max(10, int(10_000 * SCALE))
INVOICES = max(10, int(50_000 * SCALE))
PAYMENTS = max(10, int(50_000 * SCALE))
DAY = datetime.date(2026, 1, 1)


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    """A migrated test database of its own (tests/bench/conftest.py uses the bench DB as is)."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, keepdb=False)
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _timed(label: str, rows: int, run) -> float:
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    rate = rows / seconds
    print(f"\n{label}: {rows:,} rows in {seconds:.1f} s = {rate:,.0f} rows/s ({result})")
    return rate


def test_import_speed(tmp_path):
    rng = random.Random(15)
    customers = _write(
        tmp_path / "customers.csv",
        "external_ref,name,currency,payment_terms,credit_limit,contact_name,contact_email",
        [
            f"C{n:06d},Customer {n} GmbH,{rng.choice(['USD', 'EUR'])},{rng.choice([30, 45, 60])},"
            f"{rng.randrange(0, 500) * 100},Buyer {n},ap{n}@example.com"
            for n in range(CUSTOMERS)
        ],
    )
    currency = {}
    invoice_rows = []
    for n in range(INVOICES):
        ref = f"C{rng.randrange(CUSTOMERS):06d}"
        issued = DAY + datetime.timedelta(days=rng.randrange(120))
        invoice_rows.append(
            f"INV-{n:07d},{ref},{issued},{issued + datetime.timedelta(days=30)},"
            f"{rng.randrange(100, 1_000_000) / 100:.2f},{{cur}},PO-{n}"
        )
        currency[n] = ref
    rates: dict[str, float] = {}
    with_currency = []
    # each customer's invoices in its own currency, read back from the customers file
    by_ref = {
        line.split(",")[0]: line.split(",")[2] for line in customers.read_text().splitlines()[1:]
    }
    for n, row in enumerate(invoice_rows):
        with_currency.append(row.replace("{cur}", by_ref[currency[n]]))
    invoices = _write(
        tmp_path / "invoices.csv",
        "invoice_number,customer_ref,issue_date,due_date,amount,currency,po_number",
        with_currency,
    )
    payments = _write(
        tmp_path / "payments.csv",
        "reference,customer_ref,received_date,amount,currency,invoice_number",
        [
            f"PAY-{n:07d},{currency[n % INVOICES]},2026-06-01,"
            f"{rng.randrange(100, 50_000) / 100:.2f},{by_ref[currency[n % INVOICES]]},"
            f"INV-{n % INVOICES:07d}"
            for n in range(PAYMENTS)
        ],
    )

    rates["customers"] = _timed("customers", CUSTOMERS, lambda: import_customers(customers))
    rates["invoices"] = _timed("invoices", INVOICES, lambda: import_invoices(invoices))
    rates["invoices again"] = _timed("invoices again", INVOICES, lambda: import_invoices(invoices))
    rates["payments"] = _timed("payments", PAYMENTS, lambda: import_payments(payments))

    assert Customer.objects.count() == CUSTOMERS
    assert Invoice.objects.count() == INVOICES
    assert Payment.objects.count() == PAYMENTS
    print("\nrows/s: " + ", ".join(f"{kind} {rate:,.0f}" for kind, rate in rates.items()))
