"""Figures from the collectors' workflow: promises kept in a period, open disputes by reason,
the dispute cycle time, calls logged.

Read-only over ``collections_app`` and ``disputes``, scoped like every report to the
customers in the reader's reach.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from accounts.fx import RateBook
from collections_app.models import Activity, ActivityKind, Promise, PromiseStatus
from disputes.models import ACTIVE_STATUSES, Dispute, DisputeReason

JUDGED = (PromiseStatus.KEPT, PromiseStatus.PARTIALLY_KEPT, PromiseStatus.BROKEN)


@dataclass(frozen=True)
class PromiseRate:
    kept: int = 0
    partially_kept: int = 0
    broken: int = 0

    @property
    def judged(self) -> int:
        return self.kept + self.partially_kept + self.broken

    @property
    def rate(self) -> Decimal | None:
        """Kept / (kept + partially kept + broken) * 100; a partial payment is not kept."""
        return Decimal(self.kept) / self.judged * 100 if self.judged else None


@dataclass(frozen=True)
class CollectorPromises:
    collector_id: int | None
    name: str
    figures: PromiseRate


def _person(username: str | None, first: str | None, last: str | None) -> str:
    if username is None:
        return "Nobody"
    return f"{first or ''} {last or ''}".strip() or username


def promise_kept(
    customers: QuerySet, start: datetime.date, end: datetime.date
) -> tuple[PromiseRate, list[CollectorPromises]]:
    """Promises due in [start, end] and already judged, overall and per collector (the
    person who took the promise, as on the team page). Open and cancelled ones don't count."""
    rows = (
        Promise.objects.filter(
            customer__in=customers.order_by().values("id"),
            promised_date__range=(start, end),
            status__in=JUDGED,
        )
        .values(
            "created_by_id",
            "created_by__username",
            "created_by__first_name",
            "created_by__last_name",
            "status",
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    people: dict[int | None, tuple[str, dict[str, int]]] = {}
    total = dict.fromkeys(JUDGED, 0)
    for row in rows:
        name = _person(
            row["created_by__username"], row["created_by__first_name"], row["created_by__last_name"]
        )
        counts = people.setdefault(row["created_by_id"], (name, dict.fromkeys(JUDGED, 0)))[1]
        counts[row["status"]] += row["n"]
        total[row["status"]] += row["n"]
    by_collector = sorted(
        (
            CollectorPromises(collector_id=pk, name=name, figures=_rate(counts))
            for pk, (name, counts) in people.items()
        ),
        key=lambda entry: (entry.name.lower(), entry.collector_id or 0),
    )
    return _rate(total), by_collector


def _rate(counts: dict[str, int]) -> PromiseRate:
    return PromiseRate(
        kept=counts[PromiseStatus.KEPT],
        partially_kept=counts[PromiseStatus.PARTIALLY_KEPT],
        broken=counts[PromiseStatus.BROKEN],
    )


@dataclass(frozen=True)
class DisputeReasonRow:
    reason_code: str
    label: str
    count: int
    amount: Decimal  # in the reporting currency


def open_disputes_by_reason(
    customers: QuerySet, today: datetime.date | None = None
) -> list[DisputeReasonRow]:
    """Open disputes per reason: how many and how much, each reason's sum per currency
    converted at today's rate and rounded to the cent; largest amount first."""
    today = today or timezone.localdate()
    rows = (
        Dispute.objects.filter(
            customer__in=customers.order_by().values("id"), status__in=ACTIVE_STATUSES
        )
        .values_list("reason_id", "currency_id")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    book = None
    found: dict[str, tuple[int, Decimal]] = {}
    for reason, currency, count, amount in rows:
        book = book or RateBook.load(until=today)
        before_count, before_amount = found.get(reason, (0, Decimal("0.00")))
        found[reason] = (
            before_count + count,
            before_amount + book.convert(amount, currency, today),
        )
    labels = dict(DisputeReason.objects.values_list("code", "label"))
    return sorted(
        (
            DisputeReasonRow(reason_code=code, label=labels.get(code, code), count=n, amount=amount)
            for code, (n, amount) in found.items()
        ),
        key=lambda row: (-row.amount, row.reason_code),
    )


def day_bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """[start 00:00, end + 1 00:00) in the company's time zone: the moments of the period."""
    since = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    until = timezone.make_aware(
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)
    )
    return since, until


@dataclass(frozen=True)
class DisputeCycle:
    resolved: int = 0
    mean_days: Decimal | None = None
    median_days: Decimal | None = None


DISPUTE_CYCLE_SQL = """
SELECT {group} COUNT(*),
       AVG(EXTRACT(EPOCH FROM d.resolved_at - d.opened_at)) / 86400,
       PERCENTILE_CONT(0.5) WITHIN GROUP (
           ORDER BY EXTRACT(EPOCH FROM d.resolved_at - d.opened_at)
       ) / 86400
FROM disputes_dispute d
{join}
WHERE d.resolved_at >= %s AND d.resolved_at < %s AND d.customer_id IN ({scope})
{group_by}
"""


def _cycle(count, mean, median) -> DisputeCycle:
    def days(value) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    return DisputeCycle(resolved=count, mean_days=days(mean), median_days=days(median))


def dispute_cycle(customers: QuerySet, start: datetime.date, end: datetime.date) -> DisputeCycle:
    """Disputes resolved in [start, end] (company days): how many, and the mean and median
    days from opened to resolved, fractions of a day included."""
    rows = _dispute_cycle_rows(customers, start, end, by_collector=False)
    return _cycle(*rows[0]) if rows else DisputeCycle()


def dispute_cycle_by_collector(
    customers: QuerySet, start: datetime.date, end: datetime.date
) -> dict[int | None, DisputeCycle]:
    """The same per collector: the customer's assigned collector (whose portfolio it is)."""
    rows = _dispute_cycle_rows(customers, start, end, by_collector=True)
    return {row[0]: _cycle(*row[1:]) for row in rows}


def _dispute_cycle_rows(customers, start, end, *, by_collector: bool) -> list[tuple]:
    since, until = day_bounds(start, end)
    try:
        scope_sql, scope_params = customers.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:  # nobody's reach: nothing to read
        return []
    sql = DISPUTE_CYCLE_SQL.format(
        group="c.assigned_collector_id," if by_collector else "",
        join="JOIN accounts_customer c ON c.id = d.customer_id" if by_collector else "",
        scope=scope_sql,
        group_by="GROUP BY c.assigned_collector_id" if by_collector else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [since, until, *scope_params])
        return cursor.fetchall()


def calls_by_collector(
    customers: QuerySet, start: datetime.date, end: datetime.date
) -> dict[int | None, int]:
    """Calls logged in [start, end] on the customers in reach, per person who logged them
    (the activity's actor)."""
    since, until = day_bounds(start, end)
    rows = Activity.objects.filter(
        kind=ActivityKind.CALL, occurred_at__gte=since, occurred_at__lt=until
    )
    if customers.query.where:
        rows = rows.filter(customer__in=customers.order_by().values("id"))
    return dict(rows.values_list("actor_id").annotate(n=Count("id")).order_by())
