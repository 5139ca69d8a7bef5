"""The root-cause report: disputes opened in a period by reason, department or customer,
with counts, amounts in the reporting currency and cycle times, within the reader's reach."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from accounts.models import ExchangeRate
from disputes.models import DisputeLine
from disputes.reports import root_causes
from tests.collections_app.workflow import account, collector, overdue_invoice
from tests.factories import dispute_record, invoice

pytestmark = pytest.mark.django_db

START, END = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)


def at(day: int, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, 0, tzinfo=datetime.UTC)


@pytest.fixture
def book():
    alice = collector("alice")
    acme, bolt = account(alice, "Acme"), account(alice, "Bolt")
    ExchangeRate.objects.create(
        currency_id="EUR", quote_currency_id="USD", valid_from=START, rate=Decimal("1.10")
    )

    def dispute(customer, amount, reason, opened, closed=None, currency=None):
        item = (
            invoice(customer, "1000.00", currency=currency)
            if currency
            else overdue_invoice(customer, "1000.00", days_late=5)
        )
        return dispute_record(
            customer,
            {item: amount},
            reason=reason,
            status="resolved" if closed else "open",
            opened_at=opened,
            closed_at=closed,
        )

    credited = dispute(acme, "100.00", "pricing", at(2), at(4))  # 2 days
    DisputeLine.objects.filter(dispute=credited).update(credited=Decimal("60.00"))
    dispute(acme, "50.00", "pricing", at(3), at(9, 21))  # 6.5 days
    dispute(bolt, "200.00", "damaged", at(10), currency="EUR")  # 220 USD, still open
    dispute(bolt, "40.00", "tax", at(20))
    dispute(bolt, "999.00", "tax", datetime.datetime(2026, 4, 2, tzinfo=datetime.UTC))  # later
    dispute(account(collector("bob"), "Theirs"), "500.00", "tax", at(5))  # not in reach
    return alice


def test_root_causes_by_reason(book):
    rows = root_causes(book, start=START, end=END, by="reason")

    assert [(r.key, r.disputes, r.still_open, r.resolved, r.amount, r.credited) for r in rows] == [
        ("damaged", 1, 1, 0, Decimal("220.00"), Decimal("0.00")),
        ("pricing", 2, 0, 2, Decimal("150.00"), Decimal("60.00")),
        ("tax", 1, 1, 0, Decimal("40.00"), Decimal("0.00")),
    ]
    pricing = rows[1]
    assert (pricing.mean_days, pricing.median_days) == (Decimal("4.25"), Decimal("4.25"))
    assert rows[0].mean_days is None
    assert [r.cumulative_pct for r in rows] == [
        Decimal("53.66"),
        Decimal("90.24"),
        Decimal("100.00"),
    ]


def test_root_causes_by_department_and_customer(book):
    by_department = root_causes(book, start=START, end=END, by="department")
    by_customer = root_causes(book, start=START, end=END, by="customer")

    assert [(r.label, r.disputes, r.amount) for r in by_department] == [
        ("Shipping / logistics", 1, Decimal("220.00")),
        ("Sales", 2, Decimal("150.00")),
        ("Billing", 1, Decimal("40.00")),
    ]
    assert [(r.label, r.disputes, r.amount) for r in by_customer] == [
        ("Bolt", 2, Decimal("260.00")),
        ("Acme", 2, Decimal("150.00")),
    ]


def test_the_report_page_shows_the_table(client, book):
    client.force_login(book)

    response = client.get(
        "/disputes/reports/", {"start": "2026-03-01", "end": "2026-03-31", "by": "reason"}
    )

    assert response.status_code == 200
    assert [r.key for r in response.context["rows"]] == ["damaged", "pricing", "tax"]
    assert "Quantity" not in response.content.decode()
