"""Figures from the collectors' workflow: promises kept in a period, open disputes by reason.

Read-only over ``collections_app`` and ``disputes``, scoped like every report to the
customers in the reader's reach.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from collections_app.models import Promise, PromiseStatus
from disputes.models import Dispute, DisputeReason, DisputeStatus

from .fx import RateBook

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
            customer__in=customers.order_by().values("id"), status=DisputeStatus.OPEN
        )
        .values_list("reason_code", "currency_id")
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
    labels = dict(DisputeReason.choices)
    return sorted(
        (
            DisputeReasonRow(reason_code=code, label=labels.get(code, code), count=n, amount=amount)
            for code, (n, amount) in found.items()
        ),
        key=lambda row: (-row.amount, row.reason_code),
    )
