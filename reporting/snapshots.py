"""Daily AR snapshots: written once a day (and back-filled), read by the dashboard trends."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection, transaction

from accounts.buckets import BUCKET_DAYS, BUCKETS
from accounts.fx import RateBook, missing_rate, reporting_currency
from accounts.models import Customer

from .aging import REPORT_SESSION, AgingQuery, _items_cte
from .kpis import (
    KpiInputs,
    countback_months,
    countback_start,
    monthly,
)
from .models import ARSnapshot, CollectorSnapshot

ZERO = Decimal("0.00")


# One statement per day: the company aging (aging.py's items, each converted and rounded to
# the cent), summed per customer, then per collector (today's assignments), and the ten
# customers owing most past due; the rows it returns are the day's ARSnapshot and
# CollectorSnapshot rows (sales and cash for every day come from one more statement).
# Kinds: "all" (the company), "col" (one per collector with customers, null for the
# unassigned), "top" (up to ten, ranked).
_BUCKET_SUMS = ", ".join(
    f"SUM(it.amount) FILTER (WHERE {BUCKET_DAYS[b].format(days='it.days')}) AS b{n}"
    for n, b in enumerate(BUCKETS)
)
_SUM_B = ", ".join(f"SUM(b{n}) AS b{n}" for n in range(len(BUCKETS)))
_NULL_B = ", ".join("NULL::numeric" for _ in BUCKETS)
_DAY_SQL = """{cte},
per_customer AS (
    SELECT it.customer_id, {bucket_sums}, SUM(it.amount) AS total, COUNT(*) AS items
    FROM converted it GROUP BY 1
),
per_collector AS (
    SELECT c.assigned_collector_id AS collector_id, {sum_b}, SUM(pc.total) AS total,
           SUM(pc.items)::bigint AS items
    FROM per_customer pc JOIN accounts_customer c ON c.id = pc.customer_id GROUP BY 1
),
owners AS (SELECT DISTINCT assigned_collector_id AS collector_id FROM accounts_customer),
unrated AS (SELECT MIN(currency_id) AS currency_id FROM converted WHERE amount IS NULL)
SELECT 'all', NULL::bigint, (SELECT currency_id FROM unrated), {sum_b},
       SUM(total), SUM(items)::bigint
FROM per_customer
UNION ALL
SELECT 'col', o.collector_id, NULL, {pc_b}, pc.total, pc.items
FROM owners o
LEFT JOIN per_collector pc ON pc.collector_id IS NOT DISTINCT FROM o.collector_id
UNION ALL
SELECT * FROM (
    SELECT 'top', pc.customer_id, c.name, {null_b},
           pc.total - COALESCE(pc.b0, 0) AS overdue, pc.items
    FROM per_customer pc JOIN accounts_customer c ON c.id = pc.customer_id
    WHERE pc.total - COALESCE(pc.b0, 0) > 0
    ORDER BY overdue DESC, pc.customer_id::text
    LIMIT {top}
) ranked
"""


def _day_sql(day: datetime.date, rates: dict[str, Decimal]) -> tuple[str, list]:
    cte, params = _items_cte(AgingQuery(customers=Customer.objects.all(), as_of=day), rates)
    sql = _DAY_SQL.format(
        cte=cte,
        bucket_sums=_BUCKET_SUMS,
        sum_b=_SUM_B,
        pc_b=", ".join(f"pc.b{n}" for n in range(len(BUCKETS))),
        null_b=_NULL_B,
        top=TOP,
    )
    return sql, params


def _money(value) -> Decimal:
    return ZERO if value is None else value


def _moves(days: list[datetime.date], book: RateBook) -> dict:
    """Credit sales and cash of each day, company-wide and per collector (today's
    assignments), in one statement for all the days: summed per currency (per collector and
    currency for a portfolio), then converted at the day's rate, as daily_sales and
    daily_cash do. {(what, day, collector_id or "all"): amount}"""
    sql = """
        SELECT 'sales', i.issue_date, c.assigned_collector_id, i.currency_id, SUM(i.amount)
        FROM invoices_invoice i JOIN accounts_customer c ON c.id = i.customer_id
        WHERE i.issue_date = ANY(%s) GROUP BY 2, 3, 4
        UNION ALL
        SELECT 'cash', p.received_date, c.assigned_collector_id, p.currency_id, SUM(p.amount)
        FROM invoices_payment p JOIN accounts_customer c ON c.id = p.customer_id
        WHERE p.received_date BETWEEN %s AND %s GROUP BY 2, 3, 4
    """
    wanted = set(days)
    company: dict[tuple, Decimal] = {}
    out: dict[tuple, Decimal] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(days), min(days), max(days)])
        for what, day, collector_id, currency, amount in cursor.fetchall():
            if day not in wanted:
                continue
            key = (what, day, collector_id)
            out[key] = out.get(key, ZERO) + book.convert(amount, currency, day)
            company[(what, day, currency)] = company.get((what, day, currency), ZERO) + amount
    for (what, day, currency), amount in company.items():
        key = (what, day, "all")
        out[key] = out.get(key, ZERO) + book.convert(amount, currency, day)
    return out


def _day_rows(cursor, day: datetime.date, book: RateBook, moves: dict) -> tuple[ARSnapshot, list]:
    """The day's company snapshot and collector rows, unsaved, from one statement."""
    sql, params = _day_sql(day, book.on(day))
    cursor.execute(sql, params)
    currency = reporting_currency()
    snapshot, collectors, top = None, [], []
    for kind, key, text, *amounts, total, items in cursor.fetchall():
        buckets = {
            field: _money(amount)
            for field, amount in zip(ARSnapshot.BUCKET_FIELDS.values(), amounts, strict=True)
        }
        if kind == "top":
            top.append({"id": key, "name": text, "overdue": str(total), "items": items})
            continue
        if kind == "all" and text is not None:
            raise missing_rate(text, day)
        model = ARSnapshot if kind == "all" else CollectorSnapshot
        row = model(
            date=day,
            currency=currency,
            total=_money(total),
            credit_sales=moves.get(("sales", day, key if kind == "col" else "all"), ZERO),
            cash_collected=moves.get(("cash", day, key if kind == "col" else "all"), ZERO),
            open_items=items or 0,
            **buckets,
        )
        if kind == "all":
            snapshot = row
        else:
            row.collector_id = key
            collectors.append(row)
    snapshot.top_overdue = top
    return snapshot, collectors


SNAPSHOT_FIELDS = [
    *ARSnapshot.BUCKET_FIELDS.values(),
    "currency",
    "total",
    "credit_sales",
    "cash_collected",
    "open_items",
    "top_overdue",
    "taken_at",
]


def snapshots_write(days: list[datetime.date], *, book: RateBook | None = None) -> int:
    """Write (or rewrite) the company snapshot and per-collector rows of each day, in one
    transaction: one statement per day to compute, a few to write them all."""
    if not days:
        return 0
    book = book or RateBook.load()
    snapshots, collectors = [], []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REPORT_SESSION)
        moves = _moves(days, book)
        for day in days:
            snapshot, rows = _day_rows(cursor, day, book, moves)
            snapshots.append(snapshot)
            collectors.extend(rows)
        ARSnapshot.objects.bulk_create(
            snapshots, update_conflicts=True, unique_fields=["date"], update_fields=SNAPSHOT_FIELDS
        )
        CollectorSnapshot.objects.filter(date__in=days).delete()
        CollectorSnapshot.objects.bulk_create(collectors, batch_size=2000)
    return len(days)


def snapshot_take(*, day: datetime.date, book: RateBook | None = None) -> ARSnapshot:
    """Write (or rewrite) the company-wide snapshot of ``day`` and its per-collector rows;
    safe to run twice. The portfolios are the assignments when it is taken."""
    snapshots_write([day], book=book)
    return ARSnapshot.objects.get(date=day)


TOP = 10
# days written per transaction by a back-fill: a month's rows at a time
BACKFILL_CHUNK = 31


def snapshots_backfill(
    *, start: datetime.date, end: datetime.date, only_missing: bool = False
) -> int:
    """Every day from ``start`` to ``end`` (or those missing), a month per transaction; a
    back-fill of past days uses today's assignments."""
    book = RateBook.load()
    # a day written before collector snapshots existed counts as missing
    have = (
        set(ARSnapshot.objects.filter(date__range=(start, end)).values_list("date", flat=True))
        & set(
            CollectorSnapshot.objects.filter(date__range=(start, end))
            .values_list("date", flat=True)
            .distinct()
        )
        if only_missing
        else set()
    )
    days = [
        start + datetime.timedelta(days=n)
        for n in range((end - start).days + 1)
        if start + datetime.timedelta(days=n) not in have
    ]
    for first in range(0, len(days), BACKFILL_CHUNK):
        snapshots_write(days[first : first + BACKFILL_CHUNK], book=book)
    return len(days)


def inputs_from_snapshots(start: datetime.date, end: datetime.date) -> KpiInputs | None:
    """The company's KPI inputs read from snapshots; None when a needed day is missing."""
    before = start - datetime.timedelta(days=1)
    first = min(start, countback_start(end))
    rows = list(
        ARSnapshot.objects.filter(date__range=(min(first, before), end)).values_list(
            "date", "total", "current", "days_91_120", "over_120", "credit_sales", "cash_collected"
        )
    )
    by_day = {row[0]: row for row in rows}
    if end not in by_day or before not in by_day:
        return None
    if any(start + datetime.timedelta(days=n) not in by_day for n in range((end - start).days + 1)):
        return None
    sales_by_day = {day: row[5] for day, row in by_day.items() if day >= first}
    end_row = by_day[end]
    return KpiInputs(
        start=start,
        end=end,
        ar_before=by_day[before][1],
        ar_end=end_row[1],
        current_end=end_row[2],
        over_90_end=end_row[3] + end_row[4],
        sales=sum((v for d, v in sales_by_day.items() if start <= d <= end), ZERO),
        months=countback_months(end, monthly(sales_by_day)),
        cash_collected=sum((by_day[d][6] for d in by_day if start <= d <= end), ZERO),
    )


def month_end_snapshots(end: datetime.date, months: int = 13) -> list[ARSnapshot]:
    """The last snapshot of each of the ``months`` months up to ``end`` (one query)."""
    first = countback_start(end)
    while (end.year - first.year) * 12 + end.month - first.month >= months:
        first = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    snapshots = ARSnapshot.objects.filter(date__range=(first, end)).order_by("date")
    last: dict[tuple[int, int], ARSnapshot] = {}
    sales: dict[tuple[int, int], Decimal] = {}
    for snapshot in snapshots.only(
        "date", "total", "credit_sales", *ARSnapshot.BUCKET_FIELDS.values()
    ):
        key = (snapshot.date.year, snapshot.date.month)
        last[key] = snapshot
        sales[key] = sales.get(key, ZERO) + snapshot.credit_sales
    for key, snapshot in last.items():
        snapshot.month_sales = sales[key]
    return list(last.values())
