"""Orders on real PostgreSQL under threads: one reference posted eight times at once makes one
order; two managers releasing two orders of one customer at once cannot together pass the
limit unseen (the customer's row lock, not luck)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import ServiceError
from credit import order_services
from credit import services as credit_services
from credit.exposure import exposure_for
from orders.models import Order, OrderDecision
from tests.factories import CustomerFactory, invoice
from tests.invoices.test_concurrency import THREADS, run_together

from .conftest import SHIP, receive

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_eight_threads_posting_one_reference_make_one_order(customer):
    def post(index: int):
        order, created = order_services.order_receive(
            actor=None,
            external_ref="SO-RACE",
            customer=customer,
            amount="1200.00",
            currency="USD",
            requested_ship_date=SHIP,
        )
        return order.pk, created

    outcome = run_together(post)

    assert (outcome.errors, outcome.unfinished) == ({}, [])
    assert len(outcome.results) == THREADS
    assert {pk for pk, _ in outcome.results.values()} == {Order.objects.get().pk}
    assert sorted(created for _, created in outcome.results.values()) == [False] * 7 + [True]
    assert OrderDecision.objects.count() == 1


def test_eight_threads_with_one_reference_and_different_bodies_store_one(customer):
    def post(index: int):
        return order_services.order_receive(
            actor=None,
            external_ref="SO-RACE",
            customer=customer,
            amount=f"{100 + index}.00",
            currency="USD",
            requested_ship_date=SHIP,
        )

    outcome = run_together(post)

    assert outcome.unfinished == []
    assert outcome.other_errors == {}
    assert len(outcome.results) == 1
    assert {e.code for e in outcome.service_errors.values()} == {"conflict"}
    assert Order.objects.count() == 1


def test_eight_threads_with_one_reference_for_eight_customers_store_one(customer, monkeypatch):
    """A reference is unique per customer in the table; across the customers one caller sees
    it is unique by the service, under a lock on the reference (not luck: each thread holds
    its transaction open a moment after its insert, so without the lock all would pass)."""
    judge = order_services.order_judge

    def slow_judge(**kwargs):
        time.sleep(0.2)
        return judge(**kwargs)

    monkeypatch.setattr(order_services, "order_judge", slow_judge)
    customers = [customer] + [
        CustomerFactory(external_ref=f"C{index}", credit_limit=Decimal("50000.00"))
        for index in range(1, THREADS)
    ]

    def post(index: int):
        return order_services.order_receive(
            actor=None,
            external_ref="SO-RACE",
            customer=customers[index],
            amount="100.00",
            currency="USD",
            requested_ship_date=SHIP,
        )

    outcome = run_together(post)

    assert (outcome.unfinished, outcome.other_errors) == ([], {})
    assert len(outcome.results) == 1
    assert {e.code for e in outcome.service_errors.values()} == {"conflict"}
    assert Order.objects.count() == 1


def test_two_managers_releasing_at_once_cannot_together_pass_the_limit(manager, senior, customer):
    invoice(customer, "20000.00", issue_date=timezone.localdate())
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="hold", reason="legal"
    )
    first = receive(customer, "20000.00", "SO-A")
    second = receive(customer, "20000.00", "SO-B")
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="good", reason="legal"
    )
    # each alone fits: 20,000 AR + 20,000 = 40,000 <= 50,000; together 60,000 do not
    people = [manager, senior]
    orders = [first, second]

    def release(index: int):
        return order_services.order_release(
            actor=people[index], order=orders[index], comment="customer called"
        )

    outcome = run_together(release, threads=2)

    assert outcome.unfinished == [] and outcome.other_errors == {}
    assert len(outcome.results) == 1
    (refusal,) = outcome.service_errors.values()
    assert refusal.code == "over_limit"
    assert refusal.field == "confirm_over_limit"
    assert "by 10,000.00 USD" in refusal.message
    assert sorted(Order.objects.values_list("status", flat=True)) == ["held", "released"]
    assert exposure_for(customer).committed == Decimal("40000.00")

    # the one told confirms; their authority covers the exposure after (60,000)
    loser = next(i for i in range(2) if i not in outcome.results)
    decision = order_services.order_release(
        actor=people[loser], order=orders[loser], comment="confirmed", confirm_over_limit=True
    )

    assert decision.over_limit_confirmed is True
    assert decision.exposure_after == Decimal("60000.00")
    assert exposure_for(customer).committed == Decimal("60000.00")


def test_a_confirmed_over_limit_release_needs_authority_for_the_exposure_after(collector, customer):
    invoice(customer, "49000.00", issue_date=timezone.localdate())
    order = receive(customer, "4000.00", "SO-C")  # held: 53,000 > 50,000

    with pytest.raises(ServiceError) as refused:
        order_services.order_release(
            actor=collector, order=order, comment="ok", confirm_over_limit=True
        )

    assert refused.value.code == "no_authority"
    assert Order.objects.get().status == "held"
