"""The demo's orders: authorities for the demo logins, and held and released orders so the
release queue is not empty after ``make run``; written again, nothing new."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import roles
from credit.models import CreditAuthority
from credit.order_selectors import release_queue
from demo.orders import HELD, RELEASED, demo_orders_write
from orders.models import Order, OrderDecision
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db


def test_the_demo_leaves_held_and_released_orders_and_a_second_run_adds_nothing():
    users = {
        "finance": user_in_role(roles.FINANCE, "finance"),
        "credit_manager": user_in_role(roles.CREDIT_MANAGER, "credit_manager"),
        "admin": user_in_role(roles.ADMIN, "admin"),
    }
    collectors = [user_in_role(roles.COLLECTOR, "maria")]
    customers = [
        CustomerFactory(credit_limit=Decimal("20000.00"), assigned_collector=collectors[0])
        for _ in range(HELD + RELEASED)
    ]
    invoice(customers[0], "15000.00", issue_date=timezone.localdate())
    today = timezone.localdate()

    orders = demo_orders_write(users=users, collectors=collectors, customers=customers, today=today)
    decisions = OrderDecision.objects.count()
    again = demo_orders_write(users=users, collectors=collectors, customers=customers, today=today)

    statuses = [order.status for order in orders]
    assert statuses.count("held") == HELD
    assert statuses.count("released") == RELEASED
    assert all(o.reasons[0]["code"] == "over_limit" for o in orders if o.status == "held")
    assert again == []
    assert (Order.objects.count(), OrderDecision.objects.count()) == (len(orders), decisions)
    assert CreditAuthority.objects.get(user=users["credit_manager"]).amount == Decimal("100000.00")
    assert len(release_queue(users["credit_manager"])) == HELD
    assert len(release_queue(collectors[0])) == HELD  # their portfolio
