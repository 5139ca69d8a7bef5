"""Root causes: the disputes opened in a period, by reason, department or customer — how
many, how many still open, how much was disputed and credited (in the reporting currency,
each currency's sum at the rate in force on the period's last day) and how long the
resolved ones took (mean and median days, opened → resolved). Largest amount first, with
each row's cumulative share of the amount (a Pareto table). Scoped by ``disputes_for``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils import timezone

from accounts.fx import RateBook

from .models import ACTIVE_STATUSES, Department
from .selectors import disputes_for, end_of_day

GROUPINGS = {
    "reason": ("d.reason_id", "r.label", "JOIN disputes_disputereason r ON r.code = d.reason_id"),
    "department": ("d.department", "d.department", ""),
    "customer": (
        "d.customer_id::text",
        "c.name",
        "JOIN accounts_customer c ON c.id = d.customer_id",
    ),
}
CENT = Decimal("0.01")
_ACTIVE = ", ".join(f"'{s}'" for s in ACTIVE_STATUSES)

COUNTS_SQL = """
SELECT {key}, MIN({label}), COUNT(*),
       COUNT(*) FILTER (WHERE d.status IN ({active})),
       COUNT(*) FILTER (WHERE d.status = 'resolved'),
       AVG(EXTRACT(EPOCH FROM d.resolved_at - d.opened_at)) / 86400,
       PERCENTILE_CONT(0.5) WITHIN GROUP (
           ORDER BY EXTRACT(EPOCH FROM d.resolved_at - d.opened_at)) / 86400
FROM disputes_dispute d {join}
WHERE d.id IN ({scope}) AND d.opened_at >= %s AND d.opened_at < %s
GROUP BY {key}
"""
AMOUNTS_SQL = """
SELECT {key}, d.currency_id, SUM(d.amount),
       SUM((SELECT COALESCE(SUM(l.credited), 0) FROM disputes_disputeline l
            WHERE l.dispute_id = d.id))
FROM disputes_dispute d {join}
WHERE d.id IN ({scope}) AND d.opened_at >= %s AND d.opened_at < %s
GROUP BY {key}, d.currency_id
"""


@dataclass
class RootCauseRow:
    key: str
    label: str
    disputes: int
    still_open: int
    resolved: int
    amount: Decimal
    credited: Decimal
    mean_days: Decimal | None
    median_days: Decimal | None
    cumulative_pct: Decimal = Decimal("0.00")


def _days(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def root_causes(
    user, *, start: datetime.date, end: datetime.date, by: str = "reason"
) -> list[RootCauseRow]:
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {sorted(GROUPINGS)}")
    key, label, join = GROUPINGS[by]
    scope_sql, scope_params = disputes_for(user).order_by().values("id").query.sql_with_params()
    since = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    until = end_of_day(end)
    params = [*scope_params, since, until]
    fill = {"key": key, "label": label, "join": join, "scope": scope_sql, "active": _ACTIVE}
    with connection.cursor() as cursor:
        cursor.execute(COUNTS_SQL.format(**fill), params)
        counts = cursor.fetchall()
        cursor.execute(AMOUNTS_SQL.format(**fill), params)
        amounts = cursor.fetchall()
    book = RateBook.load(until=end) if amounts else None
    money: dict[str, tuple[Decimal, Decimal]] = {}
    for row_key, currency, amount, credited in amounts:
        before = money.get(row_key, (Decimal("0.00"), Decimal("0.00")))
        money[row_key] = (
            before[0] + book.convert(amount, currency, end),
            before[1] + book.convert(credited, currency, end),
        )
    departments = dict(Department.choices)
    rows = [
        RootCauseRow(
            key=row_key,
            label=departments.get(name, name) if by == "department" else name,
            disputes=count,
            still_open=still_open,
            resolved=resolved,
            amount=money.get(row_key, (Decimal("0.00"),) * 2)[0],
            credited=money.get(row_key, (Decimal("0.00"),) * 2)[1],
            mean_days=_days(mean),
            median_days=_days(median),
        )
        for row_key, name, count, still_open, resolved, mean, median in counts
    ]
    rows.sort(key=lambda r: (-r.amount, -r.disputes, r.label))
    total = sum((r.amount for r in rows), Decimal("0.00"))
    running = Decimal("0.00")
    for row in rows:
        running += row.amount
        row.cumulative_pct = (
            (100 * running / total).quantize(CENT, rounding=ROUND_HALF_UP) if total else CENT * 0
        )
    return rows
