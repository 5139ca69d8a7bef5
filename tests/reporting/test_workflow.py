"""Promise-kept rate, open disputes by reason and the dispute cycle, in the reader's reach."""

import datetime
from decimal import Decimal

import pytest

from accounts import roles
from accounts.models import Customer
from collections_app.models import PromiseStatus
from disputes.models import DisputeStatus
from reporting.selectors import customers_in_reach
from reporting.workflow import (
    DisputeCycle,
    PromiseRate,
    dispute_cycle,
    dispute_cycle_by_collector,
    open_disputes_by_reason,
    promise_kept,
)
from tests.factories import CustomerFactory, user_in_role
from tests.reporting.workflow_records import dispute, promise

pytestmark = pytest.mark.django_db

START, END = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)


def test_promise_kept_rate_counts_judged_promises_due_in_the_period_per_collector():
    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob", first_name="Bob", last_name="Stone")
    customer = CustomerFactory()
    promise(customer, PromiseStatus.KEPT, datetime.date(2026, 3, 1), alice)
    promise(customer, PromiseStatus.KEPT, datetime.date(2026, 3, 31), alice)
    promise(customer, PromiseStatus.BROKEN, datetime.date(2026, 3, 10), alice)
    promise(customer, PromiseStatus.PARTIALLY_KEPT, datetime.date(2026, 3, 12), bob)
    promise(customer, PromiseStatus.KEPT, datetime.date(2026, 3, 13), bob)
    # not counted: due outside the period, still open, cancelled
    promise(customer, PromiseStatus.KEPT, datetime.date(2026, 2, 28), alice)
    promise(customer, PromiseStatus.BROKEN, datetime.date(2026, 4, 1), alice)
    promise(customer, PromiseStatus.OPEN, datetime.date(2026, 3, 20), alice)
    promise(customer, PromiseStatus.CANCELLED, datetime.date(2026, 3, 20), bob)

    overall, by_collector = promise_kept(Customer.objects.all(), START, END)

    assert overall == PromiseRate(kept=3, partially_kept=1, broken=1)
    assert overall.rate == Decimal(60)
    assert [(e.name, e.figures, e.figures.rate) for e in by_collector] == [
        ("alice", PromiseRate(kept=2, partially_kept=0, broken=1), Decimal(200) / 3),
        ("Bob Stone", PromiseRate(kept=1, partially_kept=1, broken=0), Decimal(50)),
    ]


def test_no_promise_due_gives_no_rate_rather_than_zero():
    overall, by_collector = promise_kept(Customer.objects.all(), START, END)

    assert (overall.judged, overall.rate, by_collector) == (0, None, [])


def test_a_collector_sees_the_promises_of_their_own_portfolio_only():
    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob")
    promise(CustomerFactory(assigned_collector=alice), PromiseStatus.KEPT, START, alice)
    promise(CustomerFactory(assigned_collector=bob), PromiseStatus.BROKEN, START, bob)

    overall, _ = promise_kept(customers_in_reach(alice), START, END)

    assert overall == PromiseRate(kept=1)


def test_open_disputes_by_reason_count_and_sum_in_the_reporting_currency(eur_rates):
    customer = CustomerFactory()
    dispute(customer, "pricing", "100.00")
    dispute(customer, "pricing", "250.50")
    dispute(customer, "pricing", "1000.00", currency="EUR")  # 1,200.00 USD today
    dispute(customer, "damaged", "40.00")
    dispute(customer, "tax", "999.00", status=DisputeStatus.RESOLVED)

    rows = open_disputes_by_reason(Customer.objects.all(), datetime.date(2026, 4, 1))

    assert [(r.reason_code, r.label, r.count, r.amount) for r in rows] == [
        ("pricing", "Pricing error", 3, Decimal("1550.50")),
        ("damaged", "Damaged goods", 1, Decimal("40.00")),
    ]


def test_a_collector_sees_disputes_of_their_own_portfolio_only():
    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob")
    dispute(CustomerFactory(assigned_collector=alice), "quantity", "70.00")
    dispute(CustomerFactory(assigned_collector=bob), "quantity", "30.00")

    rows = open_disputes_by_reason(customers_in_reach(alice), datetime.date(2026, 4, 1))

    assert [(r.reason_code, r.count, r.amount) for r in rows] == [("quantity", 1, Decimal("70.00"))]


def test_no_reach_means_no_dispute_cycle_rather_than_an_error():
    dispute(CustomerFactory(), "tax", "10.00", status=DisputeStatus.RESOLVED)

    assert dispute_cycle(Customer.objects.none(), START, END) == DisputeCycle()
    assert dispute_cycle_by_collector(Customer.objects.none(), START, END) == {}


def test_the_dispute_cycle_counts_a_company_day_from_midnight_to_midnight():
    customer = CustomerFactory()
    opened = datetime.datetime(2026, 2, 27, 0, 0, tzinfo=datetime.UTC)
    for resolved in [
        datetime.datetime(2026, 3, 1, 0, 0, tzinfo=datetime.UTC),  # the first moment: in
        datetime.datetime(2026, 4, 1, 0, 0, tzinfo=datetime.UTC),  # the day after: out
    ]:
        dispute(
            customer,
            "tax",
            "10.00",
            status=DisputeStatus.RESOLVED,
            opened_at=opened,
            resolved_at=resolved,
        )

    assert dispute_cycle(Customer.objects.all(), START, END) == DisputeCycle(
        resolved=1, mean_days=Decimal("2"), median_days=Decimal("2")
    )
