"""The other dispute reports: open disputes by reason, department and age; the share of AR
in dispute over time (from the history, as aging reads it); the page's Pareto chart, the
XLSX workbook and the API — within the reader's reach."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from disputes.models import DepartmentMember, Dispute
from disputes.reports import ar_in_dispute, open_by_age, share_points
from tests.collections_app.workflow import account, collector, pay
from tests.factories import dispute_record, invoice, user_in_role

pytestmark = pytest.mark.django_db


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def _ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def open_book():
    alice = collector("alice")
    acme = account(alice, "Acme")
    theirs = account(collector("bob"), "Theirs")

    def dispute(customer, amount, reason, days_ago, status="open"):
        item = invoice(customer, "1000.00")
        return dispute_record(
            customer, {item: amount}, reason=reason, status=status, opened_at=_ago(days_ago)
        )

    dispute(acme, "100.00", "pricing", 3)
    dispute(acme, "50.00", "pricing", 20)
    dispute(acme, "70.00", "pricing", 90)
    dispute(acme, "40.00", "damaged", 40)
    dispute(acme, "999.00", "pricing", 10, status="resolved")  # closed: not open
    dispute(theirs, "500.00", "pricing", 5)  # not in reach
    return alice


def test_open_disputes_by_reason_department_and_age(open_book):
    rows = open_by_age(open_book)
    assert [
        (r.reason, r.department, r.disputes, r.amount, r.bands, r.oldest_days) for r in rows
    ] == [
        ("Pricing error", "Sales", 3, Decimal("220.00"), [1, 1, 0, 1, 0], 90),
        ("Damaged goods", "Shipping / logistics", 1, Decimal("40.00"), [0, 0, 1, 0, 0], 40),
    ]


def test_share_points_are_the_month_ends_and_the_last_day():
    assert share_points(datetime.date(2026, 1, 15), datetime.date(2026, 3, 20)) == [
        datetime.date(2026, 1, 31),
        datetime.date(2026, 2, 28),
        datetime.date(2026, 3, 20),
    ]
    assert share_points(datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)) == [
        datetime.date(2026, 1, 31)
    ]


@pytest.fixture
def share_book():
    """1,000 issued Jan 10; 200 disputed Feb 5; 500 paid Feb 20; resolved Mar 10; and
    another 400 issued Mar 1, 400 of it disputed Mar 2 and paid down to 100 Mar 5 (the
    disputed amount is capped at the open amount)."""
    alice = collector("alice")
    acme = account(alice, "Acme")
    first = invoice(acme, "1000.00", issue_date=datetime.date(2026, 1, 10))
    dispute_record(
        acme,
        {first: "200.00"},
        status="resolved",
        opened_at=_at(datetime.date(2026, 2, 5)),
        closed_at=_at(datetime.date(2026, 3, 10)),
    )
    pay(acme, "500.00", on=datetime.date(2026, 2, 20), invoices=[first])
    second = invoice(acme, "400.00", issue_date=datetime.date(2026, 3, 1))
    dispute_record(acme, {second: "400.00"}, opened_at=_at(datetime.date(2026, 3, 2)))
    pay(acme, "300.00", on=datetime.date(2026, 3, 5), invoices=[second])
    # not in alice's reach
    theirs = account(collector("bob"), "Theirs")
    other = invoice(theirs, "800.00", issue_date=datetime.date(2026, 1, 10))
    dispute_record(theirs, {other: "800.00"}, opened_at=_at(datetime.date(2026, 1, 11)))
    return alice


def test_the_share_of_ar_in_dispute_reads_the_history(share_book):
    points = ar_in_dispute(
        share_book, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31)
    )
    assert [(p.day, p.open_ar, p.in_dispute, p.share_pct) for p in points] == [
        (datetime.date(2026, 1, 31), Decimal("1000.00"), Decimal("0.00"), Decimal("0.00")),
        (datetime.date(2026, 2, 28), Decimal("500.00"), Decimal("200.00"), Decimal("40.00")),
        # the first dispute resolved; the second's 400 capped at its open 100
        (datetime.date(2026, 3, 31), Decimal("600.00"), Decimal("100.00"), Decimal("16.67")),
    ]


def test_the_page_draws_the_pareto_chart_and_offers_the_workbook(client, share_book):
    client.force_login(share_book)
    query = {"start": "2026-01-01", "end": "2026-03-31"}
    response = client.get(reverse("dispute_report"), query)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="pareto-chart"' in html
    assert "chart.umd.js" in html
    data = json.loads(json.dumps(response.context["chart_data"]))
    assert data["pareto"]["labels"] == ["Pricing error"]
    assert data["pareto"]["cumulative"] == [100.0]
    assert data["share"]["share"] == [0.0, 40.0, 16.67]

    workbook = client.get(reverse("dispute_report"), {**query, "format": "xlsx"})
    assert workbook.status_code == 200
    assert workbook["Content-Disposition"] == (
        'attachment; filename="disputes-20260101-20260331.xlsx"'
    )
    sheets = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert sheets.sheetnames == ["Root causes", "Open by age", "AR in dispute"]
    causes = list(sheets["Root causes"].iter_rows(min_row=4, values_only=True))
    assert causes[0][:5] == ("Pricing error", 2, 1, 1, 600)
    share = list(sheets["AR in dispute"].iter_rows(min_row=2, values_only=True))
    assert share[1] == ("2026-02-28", 500, 200, 40)


def test_a_bad_period_is_a_400_and_no_workbook(client, share_book):
    client.force_login(share_book)
    bad = {"start": "2026-03-31", "end": "2026-01-01"}
    assert client.get(reverse("dispute_report"), bad).status_code == 400
    response = client.get(reverse("dispute_report"), {**bad, "format": "xlsx"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_the_api_reports_within_reach(share_book):
    api = APIClient()
    api.force_authenticate(share_book)
    body = api.get("/api/v1/disputes/reports/", {"start": "2026-01-01", "end": "2026-03-31"}).json()
    assert body["currency"] == "USD"
    assert [(r["label"], r["disputes"], r["amount"]) for r in body["root_causes"]] == [
        ("Pricing error", 2, "600.00")
    ]
    assert body["ar_in_dispute"][1] == {
        "day": "2026-02-28",
        "open_ar": "500.00",
        "in_dispute": "200.00",
        "share_pct": "40.00",
    }
    assert api.get("/api/v1/disputes/reports/", {"by": "mood"}).status_code == 400

    # a resolver: their routed disputes, none of the ledger
    sid = user_in_role(roles.RESOLVER, "sid")
    DepartmentMember.objects.create(user=sid, department="sales")
    api.force_authenticate(sid)
    body = api.get("/api/v1/disputes/reports/", {"start": "2026-01-01", "end": "2026-03-31"}).json()
    assert sum(r["disputes"] for r in body["root_causes"]) == Dispute.objects.count()
    assert {p["open_ar"] for p in body["ar_in_dispute"]} == {"0.00"}
