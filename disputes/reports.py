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

from accounts.fx import RateBook, ReportError, reporting_currency
from accounts.selectors import customers_for

from .age_bands import AGE_BANDS
from .forms import ReportForm
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


# --- open disputes by reason, department and age ---------------------------------------------

OPEN_SQL = """
SELECT r.label, d.department, d.currency_id, (%s::date - (d.opened_at AT TIME ZONE %s)::date),
       d.amount
FROM disputes_dispute d JOIN disputes_disputereason r ON r.code = d.reason_id
WHERE d.id IN ({scope}) AND d.status IN ({active})
"""


@dataclass
class OpenRow:
    reason: str
    department: str
    disputes: int = 0
    amount: Decimal = Decimal("0.00")
    bands: list[int] | None = None
    oldest_days: int = 0


def open_by_age(user, *, today: datetime.date | None = None) -> list[OpenRow]:
    """The disputes open now, by reason and department: how many, how much (reporting
    currency at today's rates), how many in each age band (days since opened), the oldest."""
    today = today or timezone.localdate()
    scope_sql, scope_params = disputes_for(user).order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            OPEN_SQL.format(scope=scope_sql, active=_ACTIVE),
            [today, timezone.get_current_timezone_name(), *scope_params],
        )
        found = cursor.fetchall()
    book = RateBook.load(until=today) if found else None
    departments = dict(Department.choices)
    rows: dict[tuple[str, str], OpenRow] = {}
    for reason, department, currency, age, amount in found:
        row = rows.setdefault(
            (reason, department),
            OpenRow(reason, departments.get(department, department), bands=[0] * len(AGE_BANDS)),
        )
        row.disputes += 1
        row.amount += book.convert(amount, currency, today)
        row.oldest_days = max(row.oldest_days, age)
        for index, band in enumerate(AGE_BANDS):
            if band.holds(age):
                row.bands[index] += 1
    return sorted(rows.values(), key=lambda r: (-r.amount, r.reason, r.department))


# --- share of AR in dispute over time ----------------------------------------------------------

# Per point (a day, and the first instant after it): each invoice's open amount then (its
# amount less the movements effective by that day) and the disputed amount then (the lines
# of the disputes in dispute at the end of that day, capped at the open amount) — as aging
# reads them (docs/reporting.md), summed per currency.
SHARE_SQL = """
WITH points AS (SELECT * FROM unnest(%s::date[], %s::timestamptz[]) AS p(day, until)),
active AS (
    SELECT p.day, last.dispute_id
    FROM points p
    CROSS JOIN LATERAL (
        SELECT DISTINCT ON (e.dispute_id) e.dispute_id, e.status
        FROM disputes_disputeevent e
        WHERE e.at < p.until
        ORDER BY e.dispute_id, e.at DESC, e.id DESC
    ) last
    WHERE last.status IN ({active})
),
disputed AS (
    SELECT a.day, dl.invoice_id, SUM(dl.amount) AS amount
    FROM active a JOIN disputes_disputeline dl ON dl.dispute_id = a.dispute_id
    GROUP BY a.day, dl.invoice_id
),
items AS (
    SELECT p.day, i.id, i.currency_id,
           i.amount
           - (SELECT COALESCE(SUM(x.amount), 0) FROM invoices_application x
              WHERE x.invoice_id = i.id AND x.effective_date <= p.day)
           - (SELECT COALESCE(SUM(x.amount), 0) FROM invoices_adjustment x
              WHERE x.invoice_id = i.id AND x.effective_date <= p.day) AS open_then
    FROM points p JOIN invoices_invoice i ON i.issue_date <= p.day
    WHERE i.customer_id IN ({customers})
)
SELECT it.day, it.currency_id, SUM(it.open_then),
       SUM(LEAST(COALESCE(d.amount, 0), it.open_then))
FROM items it LEFT JOIN disputed d ON d.day = it.day AND d.invoice_id = it.id
WHERE it.open_then > 0
GROUP BY it.day, it.currency_id
"""
MAX_POINTS = 24


@dataclass
class SharePoint:
    day: datetime.date
    open_ar: Decimal
    in_dispute: Decimal

    @property
    def share_pct(self) -> Decimal:
        if not self.open_ar:
            return Decimal("0.00")
        return (100 * self.in_dispute / self.open_ar).quantize(CENT, rounding=ROUND_HALF_UP)


def share_points(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """Month ends within the period and its last day; at most ``MAX_POINTS`` (the latest)."""
    days, cursor = [], datetime.date(start.year, start.month, 1)
    while cursor <= end:
        following = (cursor + datetime.timedelta(days=32)).replace(day=1)
        month_end = following - datetime.timedelta(days=1)
        if start <= month_end < end:
            days.append(month_end)
        cursor = following
    days.append(end)
    return days[-MAX_POINTS:]


def ar_in_dispute(user, *, start: datetime.date, end: datetime.date) -> list[SharePoint]:
    """The open AR of the customers in reach and the part of it in dispute, at each month
    end of the period and its last day, in the reporting currency at each day's rates."""
    days = share_points(start, end)
    customers_sql, customers_params = (
        customers_for(user).order_by().values("id").query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            SHARE_SQL.format(active=_ACTIVE, customers=customers_sql),
            [days, [end_of_day(day) for day in days], *customers_params],
        )
        found = cursor.fetchall()
    book = RateBook.load(until=end) if found else None
    points = {day: SharePoint(day, Decimal("0.00"), Decimal("0.00")) for day in days}
    for day, currency, open_then, disputed in found:
        points[day].open_ar += book.convert(open_then, currency, day)
        points[day].in_dispute += book.convert(disputed, currency, day)
    return [points[day] for day in days]


def report_figures(user, query) -> dict:
    """The report page's, the API's and the workbook's figures for a query (start, end,
    by): root causes (with cycle times), open disputes by reason/department/age, the share
    of AR in dispute over time. ``error`` says why figures are missing (a rate, a form)."""
    form = ReportForm(query or None)
    end = timezone.localdate()
    start, by = end - datetime.timedelta(days=89), "reason"
    if form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
        by = form.cleaned_data["by"] or by
    causes, open_rows, share, error = [], [], [], ""
    if not form.errors:
        try:
            causes = root_causes(user, start=start, end=end, by=by)
            open_rows = open_by_age(user)
            share = ar_in_dispute(user, start=start, end=end)
        except ReportError as refusal:
            error = str(refusal)
    return {
        "form": form,
        "rows": causes,
        "open_rows": open_rows,
        "share": share,
        "start": start,
        "end": end,
        "by": by,
        "error": error,
        "currency": reporting_currency(),
        "age_bands": [band.heading for band in AGE_BANDS],
    }
