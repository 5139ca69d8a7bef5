"""Permission-scoped entry points to the reports: every page, API call and export starts here."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from accounts.selectors import customers_for, sees_all_portfolios

from .aging import BASES, GROUPINGS, AgingQuery
from .kpis import dso, rounded
from .models import CollectorSnapshot, ExportJob, ExportStatus
from .workflow import (
    DisputeCycle,
    PromiseRate,
    calls_by_collector,
    dispute_cycle_by_collector,
    promise_kept,
)


@dataclass(frozen=True)
class AgingFilters:
    as_of: datetime.date
    basis: str = "due"
    grouping: str = "customer"
    collector: int | None = None
    currency: str | None = None
    customer: int | None = None
    in_dispute: bool | None = None  # True: only items an open dispute names; False: none


def customers_in_reach(user, filters: AgingFilters | None = None) -> QuerySet:
    customers = customers_for(user)
    if filters is not None:
        if filters.collector is not None:
            customers = customers.filter(assigned_collector_id=filters.collector)
        if filters.customer is not None:
            customers = customers.filter(pk=filters.customer)
    return customers


def aging_query_for(user, filters: AgingFilters) -> AgingQuery:
    if filters.basis not in BASES or filters.grouping not in GROUPINGS:
        raise ValueError("unknown basis or grouping")
    return AgingQuery(
        customers=customers_in_reach(user, filters),
        as_of=filters.as_of,
        basis=filters.basis,
        currency=filters.currency,
        in_dispute=filters.in_dispute,
    )


def export_jobs_for(user) -> QuerySet[ExportJob]:
    """A user sees only the exports they asked for."""
    if not (user and user.is_authenticated):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user=user)


def export_keep_cutoff() -> datetime.datetime:
    """Exports finished before this are no longer offered (the sweep deletes their files)."""
    return timezone.now() - datetime.timedelta(days=settings.REPORTING_EXPORT_KEEP_DAYS)


def export_downloads_for(user) -> QuerySet[ExportJob]:
    """The user's exports whose file may still be downloaded: done, within the keeping
    period — even before the nightly sweep has deleted an older one's file."""
    return export_jobs_for(user).filter(
        status=ExportStatus.DONE, finished_at__gte=export_keep_cutoff()
    )


EXPORT_HISTORY_SIZE = 20


def export_history_for(user) -> list[ExportJob]:
    """The user's latest exports, newest first, each with ``description`` (basis and
    filters in words), for the panel on the aging page; three queries whatever the count."""
    from .exports.describe import describe, names_for

    jobs = list(export_jobs_for(user)[:EXPORT_HISTORY_SIZE])
    names = names_for(user, [job.parameters for job in jobs])
    for job in jobs:
        job.description = describe(job.parameters, *names)
    return jobs


# --- the dashboard's per-collector table ------------------------------------------------


@dataclass(frozen=True)
class CollectorFigures:
    """One collector's row. The AR figures are their portfolio's (customers assigned to
    them) from the daily snapshots, None when the period's snapshots are incomplete;
    promises are the ones they took, calls the ones they logged, disputes their portfolio's.
    Percentages and days are rounded half up to two places, as the KPI tiles are."""

    collector_id: int | None  # None: the unassigned customers
    name: str
    open_ar: Decimal | None = None
    overdue_ar: Decimal | None = None
    over_90_pct: Decimal | None = None
    dso: Decimal | None = None
    cash_collected: Decimal | None = None
    promises: PromiseRate = field(default_factory=PromiseRate)
    disputes: DisputeCycle = field(default_factory=DisputeCycle)
    calls: int = 0

    @property
    def promise_kept_rate(self) -> Decimal | None:
        return rounded(self.promises.rate)

    @property
    def dispute_cycle_days(self) -> Decimal | None:
        return rounded(self.disputes.mean_days)


@dataclass(frozen=True)
class CollectorTable:
    rows: list[CollectorFigures]
    # every day of the period has collector snapshots; otherwise the AR columns are empty
    complete: bool


def collector_table(
    user, start: datetime.date, end: datetime.date, *, promises: list | None = None
) -> CollectorTable:
    """The per-collector figures for [start, end]: every collector for the team view, only
    their own row for a collector. A constant number of queries whatever the team's size;
    ``promises``: ``promise_kept``'s per-collector list when the caller already has it."""
    if not (user and user.is_authenticated and user.is_active):
        return CollectorTable(rows=[], complete=False)
    team = sees_all_portfolios(user)
    customers = customers_in_reach(user)
    days = (end - start).days + 1
    in_period = CollectorSnapshot.objects.filter(date__range=(start, end))
    complete = in_period.values("date").distinct().count() == days
    snapshots = {} if not complete else _snapshot_figures(in_period, user, team, end, days)
    if promises is None:
        _, promises = promise_kept(customers, start, end)
    # promises and calls belong to a person: none of them is the unassigned portfolio's
    promises_by = {e.collector_id: e.figures for e in promises if e.collector_id is not None}
    disputes_by = dispute_cycle_by_collector(customers, start, end)
    calls_by = calls_by_collector(customers, start, end)
    calls_by.pop(None, None)
    if team:
        people = set(snapshots) | set(promises_by) | set(disputes_by) | set(calls_by)
    else:
        people = {user.pk}
    names = _names(people - {None})
    rows = [
        CollectorFigures(
            collector_id=pk,
            name=names.get(pk, "Unassigned") if pk is not None else "Unassigned",
            **snapshots.get(pk, {}),
            promises=promises_by.get(pk, PromiseRate()),
            disputes=disputes_by.get(pk, DisputeCycle()),
            calls=calls_by.get(pk, 0),
        )
        for pk in people
    ]
    rows.sort(key=lambda row: (row.collector_id is None, row.name.lower(), row.collector_id or 0))
    return CollectorTable(rows=rows, complete=complete)


def _snapshot_figures(in_period, user, team: bool, end: datetime.date, days: int) -> dict:
    if not team:
        in_period = in_period.filter(collector=user)
    on_end = Q(date=end)
    rows = (
        in_period.values("collector_id")
        .annotate(
            sales=Sum("credit_sales"),
            cash=Sum("cash_collected"),
            ar=Sum("total", filter=on_end),
            current=Sum("current", filter=on_end),
            over_90=Sum(F("days_91_120") + F("over_120"), filter=on_end),
        )
        .order_by()
    )
    zero = Decimal("0.00")
    figures = {}
    for row in rows:
        ar = row["ar"] or zero
        figures[row["collector_id"]] = {
            "open_ar": ar,
            "overdue_ar": ar - (row["current"] or zero),
            "over_90_pct": rounded((row["over_90"] or zero) / ar * 100) if ar else None,
            "dso": rounded(dso(ar, row["sales"], days)),
            "cash_collected": row["cash"],
        }
    return figures


def _names(ids: set[int]) -> dict[int, str]:
    users = get_user_model().objects.filter(pk__in=ids).order_by()
    return {
        pk: f"{first} {last}".strip() or username
        for pk, username, first, last in users.values_list(
            "pk", "username", "first_name", "last_name"
        )
    }
