"""Daily AR snapshots: written once a day (and back-filled), read by the dashboard trends."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from accounts.buckets import BUCKETS
from accounts.fx import RateBook
from accounts.models import Customer
from invoices.models import Invoice, Payment

from .aging import AgingQuery, aging
from .kpis import (
    KpiInputs,
    countback_months,
    countback_start,
    daily_cash,
    daily_sales,
    monthly,
)
from .models import ARSnapshot, CollectorSnapshot

ZERO = Decimal("0.00")


def snapshot_take(
    *,
    day: datetime.date,
    book: RateBook | None = None,
    owners: dict[int, int | None] | None = None,
) -> ARSnapshot:
    """Write (or rewrite) the company-wide snapshot of ``day`` and its per-collector rows;
    safe to run twice. ``owners`` (customer id → collector id) lets a back-fill read the
    assignments once."""
    book = book or RateBook.load()
    owners = customer_owners() if owners is None else owners
    customers = Customer.objects.all()
    report = aging(AgingQuery(customers=customers, as_of=day, rates=book.on(day)))
    sales = daily_sales(customers, day, day, book).get(day, ZERO)
    cash = daily_cash(customers, day, day, book).get(day, ZERO)
    values = {ARSnapshot.BUCKET_FIELDS[b]: report.buckets[b] for b in BUCKETS}
    with transaction.atomic():
        snapshot, _ = ARSnapshot.objects.update_or_create(
            date=day,
            defaults={
                **values,
                "currency": report.currency,
                "total": report.total,
                "credit_sales": sales,
                "cash_collected": cash,
                "open_items": report.items,
                "top_overdue": _top_overdue(report),
            },
        )
        CollectorSnapshot.objects.filter(date=day).delete()
        CollectorSnapshot.objects.bulk_create(_collector_rows(day, report, owners, book))
    return snapshot


def customer_owners() -> dict[int, int | None]:
    """Each customer's assigned collector now; the snapshot records the portfolios as they
    are when it is taken (a back-fill of past days uses today's assignments)."""
    return dict(Customer.objects.values_list("id", "assigned_collector_id").order_by())


def _collector_rows(
    day: datetime.date, report, owners: dict[int, int | None], book: RateBook
) -> list[CollectorSnapshot]:
    """One row per collector with a customer (and one for the unassigned), from the
    per-customer rows of the company aging, so the rows add up to its total exactly."""
    rows: dict[int | None, CollectorSnapshot] = {}

    def row(collector_id: int | None) -> CollectorSnapshot:
        if collector_id not in rows:
            rows[collector_id] = CollectorSnapshot(
                date=day,
                collector_id=collector_id,
                currency=report.currency,
                total=ZERO,
                credit_sales=ZERO,
                cash_collected=ZERO,
                open_items=0,
                **dict.fromkeys(CollectorSnapshot.BUCKET_FIELDS.values(), ZERO),
            )
        return rows[collector_id]

    for collector_id in set(owners.values()):
        row(collector_id)
    for customer in report.rows:
        entry = row(owners.get(int(customer.key)))
        for bucket in BUCKETS:
            field = CollectorSnapshot.BUCKET_FIELDS[bucket]
            setattr(entry, field, getattr(entry, field) + customer.buckets[bucket])
        entry.total += customer.total
        entry.open_items += customer.items
    for model, date_field, target in (
        (Invoice, "issue_date", "credit_sales"),
        (Payment, "received_date", "cash_collected"),
    ):
        sums = (
            model.objects.filter(**{date_field: day})
            .values_list("customer__assigned_collector_id", "currency_id")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for collector_id, currency, total in sums:
            entry = row(collector_id)
            setattr(entry, target, getattr(entry, target) + book.convert(total, currency, day))
    return list(rows.values())


TOP = 10


def _top_overdue(report) -> list[dict]:
    ranked = sorted(
        ((row.total - row.buckets["current"], row) for row in report.rows),
        key=lambda pair: (-pair[0], pair[1].key),
    )
    return [
        {"id": int(row.key), "name": row.label, "overdue": str(overdue), "items": row.items}
        for overdue, row in ranked[:TOP]
        if overdue > 0
    ]


def snapshots_backfill(
    *, start: datetime.date, end: datetime.date, only_missing: bool = False
) -> int:
    book = RateBook.load()
    owners = customer_owners()
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
    day, written = start, 0
    while day <= end:
        if day not in have:
            snapshot_take(day=day, book=book, owners=owners)
            written += 1
        day += datetime.timedelta(days=1)
    return written


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
