"""DSO, countback DSO, best-possible DSO, ADD, CEI and the over-90 share.

The formulas are plain functions of a few totals (``KpiInputs``) so the published examples
can be checked directly; the totals come either live from the ledger (``inputs_live``) or
from the daily snapshots (``reporting.snapshots.inputs_from_snapshots``), and both feed
the same ``kpis_from_inputs``.

Currency: AR as of a day is converted at the rates in force that day (as the aging is);
a sale at the rate in force on its issue date, cash at the rate on its received date.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet, Sum

from accounts.fx import RateBook
from invoices.models import Invoice, Payment

from .aging import AgingQuery, aging

TWO_PLACES = Decimal("0.01")
MAX_COUNTBACK_MONTHS = 24


def months_in(days: int) -> int:
    """N of the CEI: the period's length in months, at least one."""
    return max(1, int((Decimal(days) / Decimal("30.4")).quantize(Decimal(1), ROUND_HALF_UP)))


def dso(ar: Decimal, sales: Decimal, days: int) -> Decimal | None:
    return ar / sales * days if sales else None


def best_possible_dso(current_ar: Decimal, sales: Decimal, days: int) -> Decimal | None:
    return current_ar / sales * days if sales else None


def cei(
    beginning_ar: Decimal, sales: Decimal, ending_ar: Decimal, ending_current: Decimal, n: int
) -> Decimal | None:
    collectible = beginning_ar + sales / n
    denominator = collectible - ending_current
    if not denominator:
        return None
    return (collectible - ending_ar) / denominator * 100


def countback_dso(ar: Decimal, months: Sequence[tuple[Decimal, int]]) -> Decimal | None:
    """``months``: (credit sales, days) from the month of ``end`` backwards."""
    remaining, days = ar, Decimal(0)
    for sales, month_days in months[:MAX_COUNTBACK_MONTHS]:
        if not sales:
            return days
        if remaining > sales:
            remaining -= sales
            days += month_days
        else:
            return days + remaining / sales * month_days
    return days


@dataclass(frozen=True)
class KpiInputs:
    start: datetime.date
    end: datetime.date
    ar_before: Decimal  # AR(start - 1)
    ar_end: Decimal
    current_end: Decimal  # not yet due as of end
    over_90_end: Decimal  # more than 90 days past due as of end
    sales: Decimal  # credit sales in [start, end]
    months: tuple[tuple[Decimal, int], ...]  # countback months, newest first
    cash_collected: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


KPI_NAMES = ("dso", "countback_dso", "best_possible_dso", "add", "cei", "over_90_pct")


def kpis_from_inputs(inputs: KpiInputs) -> dict[str, Decimal | None]:
    days = inputs.days
    figures = {
        "dso": dso(inputs.ar_end, inputs.sales, days),
        "countback_dso": countback_dso(inputs.ar_end, inputs.months),
        "best_possible_dso": best_possible_dso(inputs.current_end, inputs.sales, days),
        "cei": cei(
            inputs.ar_before, inputs.sales, inputs.ar_end, inputs.current_end, months_in(days)
        ),
        "over_90_pct": inputs.over_90_end / inputs.ar_end * 100 if inputs.ar_end else None,
    }
    figures["add"] = (
        figures["dso"] - figures["best_possible_dso"]
        if figures["dso"] is not None and figures["best_possible_dso"] is not None
        else None
    )
    return {name: figures[name] for name in KPI_NAMES}


def rounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(TWO_PLACES, ROUND_HALF_UP)


def countback_months(
    end: datetime.date, monthly_sales: dict[tuple[int, int], Decimal]
) -> tuple[tuple[Decimal, int], ...]:
    """The month of ``end`` counts its days up to ``end``; earlier months count in full."""
    months = []
    year, month = end.year, end.month
    for index in range(MAX_COUNTBACK_MONTHS):
        days = end.day if index == 0 else calendar.monthrange(year, month)[1]
        months.append((monthly_sales.get((year, month), Decimal("0.00")), days))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return tuple(months)


def countback_start(end: datetime.date) -> datetime.date:
    year, month = end.year, end.month - (MAX_COUNTBACK_MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return datetime.date(year, month, 1)


def _converted_by_day(rows, book: RateBook) -> dict[datetime.date, Decimal]:
    by_day: dict[datetime.date, Decimal] = {}
    for day, currency, total in rows:
        by_day[day] = by_day.get(day, Decimal("0.00")) + book.convert(total, currency, day)
    return by_day


def daily_sales(
    customers: QuerySet, start: datetime.date, end: datetime.date, book: RateBook
) -> dict[datetime.date, Decimal]:
    """Credit sales (invoices issued) per day, summed per day and currency in SQL."""
    rows = (
        Invoice.objects.filter(customer__in=customers.order_by().values("id"))
        .filter(issue_date__range=(start, end))
        .values_list("issue_date", "currency_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return _converted_by_day(rows, book)


def daily_cash(
    customers: QuerySet, start: datetime.date, end: datetime.date, book: RateBook
) -> dict[datetime.date, Decimal]:
    rows = (
        Payment.objects.filter(customer__in=customers.order_by().values("id"))
        .filter(received_date__range=(start, end))
        .values_list("received_date", "currency_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return _converted_by_day(rows, book)


def monthly(by_day: dict[datetime.date, Decimal]) -> dict[tuple[int, int], Decimal]:
    months: dict[tuple[int, int], Decimal] = {}
    for day, amount in by_day.items():
        key = (day.year, day.month)
        months[key] = months.get(key, Decimal("0.00")) + amount
    return months


def inputs_live(customers: QuerySet, start: datetime.date, end: datetime.date) -> KpiInputs:
    """KPI inputs rebuilt from the ledger for the customers in reach."""
    if end < start:
        raise ValueError("end is before start")
    book = RateBook.load()
    at_end = aging(AgingQuery(customers=customers, as_of=end, rates=book.on(end)))
    before = start - datetime.timedelta(days=1)
    at_start = aging(AgingQuery(customers=customers, as_of=before, rates=book.on(before)))
    first = min(start, countback_start(end))
    sales_by_day = daily_sales(customers, first, end, book)
    cash_by_day = daily_cash(customers, start, end, book)
    return KpiInputs(
        start=start,
        end=end,
        ar_before=at_start.total,
        ar_end=at_end.total,
        current_end=at_end.buckets["current"],
        over_90_end=at_end.buckets["91_120"] + at_end.buckets["over_120"],
        sales=sum((v for d, v in sales_by_day.items() if start <= d <= end), Decimal("0.00")),
        months=countback_months(end, monthly(sales_by_day)),
        cash_collected=sum(cash_by_day.values(), Decimal("0.00")),
    )


def previous_period(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.date, datetime.date]:
    length = end - start
    previous_end = start - datetime.timedelta(days=1)
    return previous_end - length, previous_end
