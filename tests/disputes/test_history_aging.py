"""The history the services write is what aging reads as of a past date: an invoice is in
dispute on the days its dispute was active, whatever the dispute's status today."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Customer
from disputes.models import DisputeEvent
from disputes.services import dispute_move, dispute_open
from reporting.aging import AgingQuery, aging, detail_page
from tests.collections_app.workflow import account, collector
from tests.factories import invoice

pytestmark = pytest.mark.django_db


def _at(monkeypatch, day: int, month: int = 3):
    moment = datetime.datetime(2026, month, day, 10, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def _disputed_on(day: datetime.date) -> dict[str, Decimal]:
    query = AgingQuery(customers=Customer.objects.all(), as_of=day)
    _count, items = detail_page(query, offset=0, limit=10)
    return {item["number"]: item["disputed_amount"] for item in items}


def _in_dispute_total(day: datetime.date) -> Decimal:
    return aging(AgingQuery(customers=Customer.objects.all(), as_of=day, in_dispute=True)).total


def test_aging_as_of_each_day_follows_the_disputes_history(monkeypatch):
    alice = collector("alice")
    customer = account(alice)
    a = invoice(customer, "500.00", number="INV-A", issue_date=datetime.date(2026, 1, 1))
    invoice(customer, "300.00", number="INV-B", issue_date=datetime.date(2026, 1, 5))
    _at(monkeypatch, 2)
    dispute = dispute_open(
        actor=alice,
        customer=customer,
        invoice_ids=[a.pk],
        amounts={a.pk: Decimal("200.00")},
        reason_code="pricing",
    )
    _at(monkeypatch, 5)
    dispute_move(actor=alice, dispute=dispute, to_status="in_review")
    _at(monkeypatch, 10)
    dispute_move(
        actor=alice, dispute=dispute, to_status="resolved", outcome="no_credit", note="pays"
    )
    _at(monkeypatch, 20)
    dispute_move(actor=alice, dispute=dispute, to_status="open", note="new evidence")
    _at(monkeypatch, 25)

    days = [1, 2, 9, 10, 19, 20]
    disputed = [_disputed_on(datetime.date(2026, 3, d))["INV-A"] for d in days]
    in_dispute = [_in_dispute_total(datetime.date(2026, 3, d)) for d in days]

    out, inside = Decimal("0.00"), Decimal("200.00")
    assert disputed == [out, inside, inside, out, out, inside]
    whole = Decimal("500.00")  # in_dispute keeps the whole invoice, not its disputed part
    assert in_dispute == [out, whole, whole, out, out, whole]
    assert _disputed_on(datetime.date(2026, 3, 9))["INV-B"] == Decimal("0.00")
    assert list(
        DisputeEvent.objects.order_by("at", "id").values_list("at__day", "from_status", "status")
    ) == [
        (2, "", "open"),
        (5, "open", "in_review"),
        (10, "in_review", "resolved"),
        (20, "resolved", "open"),
    ]
