"""The DSO trend plots closed months only: a month-to-date point (two days of sales against
the whole balance) would read as a jump; its aged debt is shown, labelled as of its day."""

import datetime
from decimal import Decimal

import pytest

from reporting.dashboard import trend
from reporting.models import ARSnapshot

pytestmark = pytest.mark.django_db


def _snapshot(day: datetime.date, *, total: str, sales: str) -> None:
    amount = Decimal(total)
    ARSnapshot.objects.create(
        date=day,
        currency="USD",
        current=amount,
        days_1_30=0,
        days_31_60=0,
        days_61_90=0,
        days_91_120=0,
        over_120=0,
        total=amount,
        credit_sales=Decimal(sales),
        cash_collected=0,
        open_items=1,
    )


def test_the_current_month_has_no_dso_point_and_says_how_far_it_goes():
    november = [datetime.date(2026, 11, 1) + datetime.timedelta(days=n) for n in range(30)]
    for day in november:
        _snapshot(day, total="73000.00", sales="1000.00")
    _snapshot(datetime.date(2026, 12, 1), total="74000.00", sales="400.00")
    _snapshot(datetime.date(2026, 12, 2), total="74700.00", sales="400.00")

    data = trend(datetime.date(2026, 12, 2))

    assert data["labels"] == ["Nov 2026", "Dec 2026 (to Dec 02)"]
    # November: 73,000 of AR against 30,000 of sales over 30 days
    assert data["dso"] == [73.0, None]
    assert data["aged"][0]["data"] == [73000.0, 74700.0]


def test_a_month_closed_on_its_last_day_has_its_point():
    for n in range(31):
        _snapshot(
            datetime.date(2026, 10, 1) + datetime.timedelta(days=n),
            total="62000.00",
            sales="2000.00",
        )

    data = trend(datetime.date(2026, 10, 31))

    assert (data["labels"], data["dso"]) == (["Oct 2026"], [31.0])
