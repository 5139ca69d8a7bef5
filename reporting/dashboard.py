"""What the CFO dashboard shows, read from snapshots plus two small live queries."""

from __future__ import annotations

import calendar
import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.buckets import BUCKET_LABELS, BUCKETS
from accounts.fx import rates_on, rates_sql

from .aging import REPORT_SESSION
from .kpis import KPI_NAMES, inputs_live, kpis_from_inputs, previous_period, rounded
from .models import ARSnapshot, CashTarget
from .snapshots import inputs_from_snapshots, month_end_snapshots

KPI_LABELS = {
    "dso": "DSO",
    "countback_dso": "Countback DSO",
    "best_possible_dso": "Best possible DSO",
    "add": "ADD",
    "cei": "CEI",
    "over_90_pct": "Over 90 days",
}
# A rise is bad for every figure but CEI
HIGHER_IS_BETTER = {"cei"}


def period_inputs(customers: QuerySet, start: datetime.date, end: datetime.date):
    """Snapshots when every day they need is there (the common case), else the ledger."""
    return inputs_from_snapshots(start, end) or inputs_live(customers, start, end)


def kpi_tiles(customers: QuerySet, start: datetime.date, end: datetime.date) -> dict:
    now_inputs = period_inputs(customers, start, end)
    before_start, before_end = previous_period(start, end)
    then_inputs = period_inputs(customers, before_start, before_end)
    now, then = kpis_from_inputs(now_inputs), kpis_from_inputs(then_inputs)
    tiles = []
    for name in KPI_NAMES:
        value, previous = rounded(now[name]), rounded(then[name])
        change = None if value is None or previous is None else value - previous
        tiles.append(
            {
                "name": name,
                "label": KPI_LABELS[name],
                "value": value,
                "previous": previous,
                "change": change,
                "better": None if not change else (change > 0) == (name in HIGHER_IS_BETTER),
                "unit": "%" if name in ("cei", "over_90_pct") else "days",
            }
        )
    cash_change = now_inputs.cash_collected - then_inputs.cash_collected
    return {
        "tiles": tiles,
        "inputs": now_inputs,
        "previous_inputs": then_inputs,
        "cash_change": cash_change,
        "previous_period": (before_start, before_end),
    }


def default_period() -> tuple[datetime.date, datetime.date]:
    """The 30 days up to the last snapshot (yesterday's close), or up to today."""
    latest = ARSnapshot.objects.order_by("-date").values_list("date", flat=True).first()
    end = latest or timezone.localdate()
    return end - datetime.timedelta(days=29), end


def trend(end: datetime.date) -> dict:
    """13 months of month-end DSO and aged debt, from snapshots only (one query).

    A month whose last snapshot is not its last day (the current month) has no DSO point:
    a few days of sales against the whole balance is no month's DSO. Its aged debt, a
    balance on a day, is shown, labelled with the day it is as of."""
    labels, dso, stacks = [], [], {b: [] for b in BUCKETS}
    for snapshot in month_end_snapshots(end, 13):
        day = snapshot.date
        closed = day.day == calendar.monthrange(day.year, day.month)[1]
        labels.append(day.strftime("%b %Y") if closed else f"{day:%b %Y} (to {day:%b %d})")
        value = (
            rounded(snapshot.total / snapshot.month_sales * day.day)
            if snapshot.month_sales and closed
            else None
        )
        dso.append(None if value is None else float(value))
        for bucket in BUCKETS:
            stacks[bucket].append(float(snapshot.bucket(bucket)))
    return {
        "labels": labels,
        "dso": dso,
        "aged": [{"label": BUCKET_LABELS[b], "data": stacks[b]} for b in BUCKETS],
    }


TOP_OVERDUE_SQL = """
WITH rates AS ({rates})
SELECT c.id, c.name, c.external_ref,
       SUM(ROUND(i.open_amount * r.rate, 2)) AS overdue,
       MIN(i.due_date) AS oldest_due, COUNT(*) AS items, bool_or(r.rate IS NULL) AS missing
FROM invoices_invoice i
JOIN accounts_customer c ON c.id = i.customer_id
LEFT JOIN rates r ON r.currency_id = i.currency_id
WHERE i.open_amount > 0 AND i.due_date < %s {scope}
GROUP BY c.id, c.name, c.external_ref
ORDER BY overdue DESC NULLS FIRST, c.id
LIMIT 10
"""


def top_overdue_on(customers: QuerySet, end: datetime.date) -> tuple[datetime.date, list[dict]]:
    """From the snapshot of ``end`` when there is one (the company view), else live today."""
    if not customers.query.where:
        snapshot = ARSnapshot.objects.filter(date=end).only("date", "top_overdue").first()
        if snapshot is not None:
            return snapshot.date, [
                {**row, "overdue": Decimal(row["overdue"])} for row in snapshot.top_overdue
            ]
    today = timezone.localdate()
    return today, top_overdue(customers, today)


def top_overdue(customers: QuerySet, today: datetime.date | None = None) -> list[dict]:
    """The ten accounts owing most past due today, from the stored open balances."""
    today = today or timezone.localdate()
    rate_sql, rate_params = rates_sql(rates_on(today))
    scope_sql, scope_params = customers.order_by().values("id").query.sql_with_params()
    scope = f"AND i.customer_id IN ({scope_sql})" if customers.query.where else ""
    if not scope:
        scope_params = ()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REPORT_SESSION)
        cursor.execute(
            TOP_OVERDUE_SQL.format(rates=rate_sql, scope=scope),
            [*rate_params, today, *scope_params],
        )
        columns = ["id", "name", "external_ref", "overdue", "oldest_due", "items", "missing"]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["days"] = (today - row["oldest_due"]).days
        row["overdue"] = row["overdue"] or Decimal("0.00")
    return rows


def cash_target(start: datetime.date, end: datetime.date) -> Decimal | None:
    """The cash to collect in [start, end]: each month's target times the share of its days
    inside the period, rounded to the cent; None when no month of the period has one."""
    first = start.replace(day=1)
    targets = dict(
        CashTarget.objects.filter(month__range=(first, end)).values_list("month", "amount")
    )
    if not targets:
        return None
    total = Decimal(0)
    for month, amount in targets.items():
        month_days = calendar.monthrange(month.year, month.month)[1]
        month_end = month.replace(day=month_days)
        inside = (min(end, month_end) - max(start, month)).days + 1
        total += amount * inside / month_days
    return total.quantize(Decimal("0.01"), ROUND_HALF_UP)


def cash_progress(collected: Decimal, target: Decimal | None) -> Decimal | None:
    """Cash collected as a percentage of the target, two places."""
    if not target:
        return None
    return (collected / target * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
