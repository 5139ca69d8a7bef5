"""Reporting at generate_data scale: aging as of today and a year back, a 200k-row XLSX
export, and /dashboard/ server time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dunwell_bench \\
        .venv/bin/pytest tests/bench/test_bench_reporting.py -s --benchmarks
"""

import datetime
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from accounts import roles
from accounts.fx import rates_on, rates_sql
from accounts.models import Customer
from reporting.aging import REPORT_SESSION, AgingQuery, aging
from reporting.models import ARSnapshot

from .conftest import count_queries, measure, report

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

# What a DBA would write by hand, one statement over the ledger as it stood before the
# movement-date bounds (invoices/0004), free to use any index there is. Two ways to get
# the balance as of a date: the textbook sum of every movement up to it (the covering
# effective-date indexes, invoices/0003), or the stored balance plus the movements after
# it (the open-invoice index). The faster of the two on the day is the bar, run with the
# report's own session settings.
BY_CUSTOMER = """
SELECT c.id, c.name, it.currency_id,
       SUM(amount) FILTER (WHERE days <= 0),
       SUM(amount) FILTER (WHERE days BETWEEN 1 AND 30),
       SUM(amount) FILTER (WHERE days BETWEEN 31 AND 60),
       SUM(amount) FILTER (WHERE days BETWEEN 61 AND 90),
       SUM(amount) FILTER (WHERE days BETWEEN 91 AND 120),
       SUM(amount) FILTER (WHERE days > 120)
FROM items it JOIN accounts_customer c ON c.id = it.customer_id
GROUP BY 1, 2, 3
"""
HAND_WRITTEN = {
    # amount less everything effective up to as_of
    "textbook": """
WITH rates AS ({rates}),
moved AS (
    SELECT invoice_id, SUM(amount) AS amount FROM (
        SELECT invoice_id, amount FROM invoices_application WHERE effective_date <= %s
        UNION ALL
        SELECT invoice_id, amount FROM invoices_adjustment WHERE effective_date <= %s
    ) m GROUP BY invoice_id
),
items AS (
    SELECT i.customer_id, i.currency_id, %s::date - i.due_date AS days,
           ROUND((i.amount - COALESCE(m.amount, 0)) * r.rate, 2) AS amount
    FROM invoices_invoice i
    LEFT JOIN moved m ON m.invoice_id = i.id
    JOIN rates r ON r.currency_id = i.currency_id
    WHERE i.issue_date <= %s AND i.amount - COALESCE(m.amount, 0) > 0
)""",
    # the stored balance plus everything effective after as_of
    "stored + later": """
WITH rates AS ({rates}),
later AS (
    SELECT invoice_id, SUM(amount) AS amount FROM (
        SELECT invoice_id, amount FROM invoices_application WHERE effective_date > %s
        UNION ALL
        SELECT invoice_id, amount FROM invoices_adjustment WHERE effective_date > %s
    ) m GROUP BY invoice_id
),
items AS (
    SELECT i.customer_id, i.currency_id, %s::date - i.due_date AS days,
           ROUND((i.open_amount + COALESCE(l.amount, 0)) * r.rate, 2) AS amount
    FROM invoices_invoice i
    LEFT JOIN later l ON l.invoice_id = i.id
    JOIN rates r ON r.currency_id = i.currency_id
    WHERE i.open_amount > 0 AND i.issue_date <= %s AND i.open_amount + COALESCE(l.amount, 0) > 0
    UNION ALL
    SELECT i.customer_id, i.currency_id, %s::date - i.due_date, ROUND(l.amount * r.rate, 2)
    FROM later l
    JOIN invoices_invoice i ON i.id = l.invoice_id
    JOIN rates r ON r.currency_id = i.currency_id
    WHERE i.open_amount = 0 AND i.issue_date <= %s AND l.amount > 0
)""",
}


def _hand_written(form, as_of):
    rate_sql, rate_params = rates_sql(rates_on(as_of))
    sql = HAND_WRITTEN[form].format(rates=rate_sql) + BY_CUSTOMER
    params = [*rate_params, *[as_of] * HAND_WRITTEN[form].count("%s")]

    def run():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(REPORT_SESSION)
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def _interleaved(*fns, repeat: int) -> list[dict]:
    """Median and p95 of each, run in turns: on a shared machine the load moves meanwhile."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, taken in zip(fns, samples, strict=True):
            start = time.perf_counter()
            fn()
            taken.append((time.perf_counter() - start) * 1000)
    return [
        {
            "median_ms": statistics.median(taken),
            "p95_ms": sorted(taken)[max(0, round(0.95 * len(taken)) - 1)],
        }
        for taken in samples
    ]


@pytest.mark.parametrize("years_back", [0, 1])
def test_bench_aging_as_of_today_and_a_year_back(bench_db, years_back):
    as_of = timezone.localdate() - datetime.timedelta(days=365 * years_back)
    customers = Customer.objects.all()

    def ours():
        return aging(AgingQuery(customers=customers, as_of=as_of))

    result = ours()
    forms = {form: _hand_written(form, as_of) for form in HAND_WRITTEN}
    for form, run in forms.items():  # same figures, to the cent
        assert sum(sum(v or 0 for v in row[3:]) for row in run()) == result.total, form
    first_pass = dict(zip(forms, _interleaved(*forms.values(), repeat=2), strict=True))
    best = min(first_pass, key=lambda form: first_pass[form]["median_ms"])
    for form, timing in first_pass.items():
        print(f"  hand-written, {form}, as of {as_of}: {timing['median_ms']:.0f} ms")
    mine, bar = _interleaved(ours, forms[best], repeat=7)
    report(
        f"aging by customer as of {as_of} ({len(result.rows)} rows) vs {best}",
        mine,
        bar,
        count_queries(ours),
    )


EXPORT_SCRIPT = """
import itertools, resource, sys, time, django
django.setup()
from pathlib import Path
from accounts.models import Customer
from django.utils import timezone
from reporting.aging import AgingQuery
from reporting.exports.tables import detail_columns, detail_rows
from reporting.exports.writers import write_xlsx
query = AgingQuery(customers=Customer.objects.all(), as_of=timezone.localdate())
start = time.perf_counter()
rows = itertools.islice(detail_rows(query), 200_000)
write_xlsx(Path(sys.argv[1]), "Aging detail", detail_columns("USD"), rows, None, lambda n: None)
elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_bench_xlsx_export_of_200k_detail_rows(bench_db, tmp_path):
    target = tmp_path / "aging.xlsx"
    output = subprocess.run(
        [sys.executable, "-c", EXPORT_SCRIPT, str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "dunwell.settings",
        },
    ).stdout.split()
    seconds, peak_mb = float(output[-2]), int(output[-1])
    print(
        f"XLSX export, 200,000 detail rows: {seconds:6.1f} s, peak RSS {peak_mb} MB, "
        f"file {target.stat().st_size // 1024} KB"
    )
    assert peak_mb < 300


def test_bench_dashboard_server_time(bench_db):
    if not ARSnapshot.objects.exists():
        pytest.skip("no snapshots: run manage.py backfill_snapshots on the bench database")
    user, _ = get_user_model().objects.get_or_create(username="bench-cfo")
    user.groups.add(Group.objects.get(name=roles.CFO))
    client = Client()
    client.force_login(user)

    def ours():
        response = client.get("/dashboard/")
        assert response.status_code == 200

    timings = measure(ours, repeat=20, warmup=2)
    print(
        f"{'GET /dashboard/ (CFO, from snapshots)':<48} median {timings['median_ms']:8.1f} ms  "
        f"p95 {timings['p95_ms']:8.1f} ms  queries {count_queries(ours)}"
    )


def test_bench_collector_dashboard_server_time(bench_db):
    """A collector's own row of the per-collector table (CollectorSnapshot plus live counts)."""
    if not ARSnapshot.objects.exists():
        pytest.skip("no snapshots: run manage.py backfill_snapshots on the bench database")
    owner = (
        Customer.objects.exclude(assigned_collector=None)
        .values_list("assigned_collector", flat=True)
        .first()
    )
    user = get_user_model().objects.get(pk=owner)
    user.groups.add(Group.objects.get(name=roles.COLLECTOR))
    client = Client()
    client.force_login(user)

    def ours():
        response = client.get("/dashboard/")
        assert response.status_code == 200

    timings = measure(ours, repeat=20, warmup=2)
    print(
        f"{'GET /dashboard/ (collector, own row)':<48} median {timings['median_ms']:8.1f} ms  "
        f"p95 {timings['p95_ms']:8.1f} ms  queries {count_queries(ours)}"
    )
