"""The nightly risk score: figures from the customer's own records, points from the factor
table, the class, the factors in words, and the class history the hold rules read."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from collections_app.models import Promise
from credit import services
from credit.models import CustomerRisk
from credit.risk import risk_class_of
from invoices.services import payment_void
from invoices.services.allocations import Allocation
from tests.factories import CustomerFactory, dispute_record, invoice, payment

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def paid_invoice(customer, *, due_days_ago: int, paid_days_ago: int, amount: str = "100.00"):
    """An invoice due ``due_days_ago`` and settled in full ``paid_days_ago``."""
    issued = days_ago(due_days_ago + 30)
    item = invoice(customer, amount, issue_date=issued, due_days=30)
    payment(
        customer,
        amount,
        received_date=days_ago(paid_days_ago),
        allocations=[Allocation(invoice_id=item.pk, amount=Decimal(amount))],
    )
    return item


def test_a_customer_who_pays_on_time_is_low_with_nothing_against_it():
    customer = CustomerFactory()
    for n in range(4):
        paid_invoice(customer, due_days_ago=50 + n, paid_days_ago=52 + n)

    services.risk_scores_refresh()

    risk = CustomerRisk.objects.get(customer=customer)
    assert (risk.score, risk.risk_class, risk.invoices_paid) == (0, "low", 4)
    assert (risk.avg_days_late, risk.paid_late_pct) == (Decimal("0.0"), 0)
    assert risk.factors == []


def test_a_late_payer_getting_later_is_high_and_the_page_says_why():
    customer = CustomerFactory()
    # the year before the last 90 days: paid on the due date
    paid_invoice(customer, due_days_ago=200, paid_days_ago=200)
    paid_invoice(customer, due_days_ago=150, paid_days_ago=150)
    # the last 90 days: 40 days late
    paid_invoice(customer, due_days_ago=70, paid_days_ago=30)
    paid_invoice(customer, due_days_ago=60, paid_days_ago=20)

    services.risk_scores_refresh()

    risk = CustomerRisk.objects.get(customer=customer)
    assert risk.avg_days_late == Decimal("20.0")
    assert (risk.avg_days_late_recent, risk.avg_days_late_before) == (
        Decimal("40.0"),
        Decimal("0.0"),
    )
    assert risk.paid_late_pct == 50
    # 20 days late on average (20) + 40 days later than before (15) + half paid late (15)
    assert (risk.score, risk.risk_class) == (50, "high")
    assert risk.factors == [
        "pays on average 20 days late",
        "paying later: 40 more days late in the last 90 days than in the year before",
        "50% of invoices paid late",
    ]


def test_invoices_settled_outside_the_fifteen_months_or_still_open_do_not_count():
    customer = CustomerFactory()
    paid_invoice(customer, due_days_ago=600, paid_days_ago=500)  # 100 days late, too old
    invoice(customer, "100.00", issue_date=days_ago(200), due_days=30)  # open, not settled

    services.risk_scores_refresh()

    risk = CustomerRisk.objects.get(customer=customer)
    assert (risk.invoices_paid, risk.avg_days_late, risk.score) == (0, None, 0)


def test_returned_payments_broken_promises_disputes_and_limit_use_add_up():
    customer = CustomerFactory(credit_limit=Decimal("1000.00"))
    late = invoice(customer, "900.00", issue_date=days_ago(60), due_days=30)
    bounced = payment(customer, "50.00", received_date=days_ago(20))
    payment_void(actor=None, payment=bounced, return_date=days_ago(10), reason="NSF")
    Promise.objects.create(
        customer=customer,
        amount=Decimal("100.00"),
        currency_id=customer.currency_id,
        promised_date=days_ago(40),
        status="broken",
    )
    Promise.objects.create(  # broken more than 12 months ago: not counted
        customer=customer,
        amount=Decimal("100.00"),
        currency_id=customer.currency_id,
        promised_date=days_ago(400),
        status="broken",
    )
    dispute_record(customer, {late: "100.00"})

    services.risk_scores_refresh()

    risk = CustomerRisk.objects.get(customer=customer)
    assert (risk.returned_payments, risk.broken_promises, risk.disputes) == (1, 1, 1)
    assert risk.limit_use_pct == 90
    # returned (20) + broken promise (10) + limit use ≥ 80 % (10) + a dispute (4)
    assert (risk.score, risk.risk_class) == (44, "medium")
    assert risk.factors == [
        "a payment returned by the bank in 12 months",
        "a broken promise or plan in 12 months",
        "90% of its credit limit used",
        "1 dispute(s) opened in 12 months",
    ]


def test_the_class_history_is_kept_and_a_second_run_changes_nothing():
    customer = CustomerFactory(credit_limit=Decimal("100.00"))
    services.risk_scores_refresh()
    first = CustomerRisk.objects.get(customer=customer)
    assert (first.risk_class, first.previous_class, first.class_changed_at) == ("low", "", None)

    invoice(customer, "150.00", issue_date=days_ago(10), due_days=30)  # 150 % of the limit
    for n in range(2):
        bounced = payment(customer, "10.00", received_date=days_ago(5 + n))
        payment_void(actor=None, payment=bounced, return_date=days_ago(2), reason="NSF")
    services.risk_scores_refresh()
    changed = CustomerRisk.objects.get(customer=customer)
    assert (changed.risk_class, changed.previous_class) == ("high", "low")
    assert changed.class_changed_at == changed.computed_at

    services.risk_scores_refresh()
    again = CustomerRisk.objects.get(customer=customer)
    assert (again.risk_class, again.previous_class, again.class_changed_at) == (
        "high",
        "low",
        changed.class_changed_at,
    )
    assert again.score == changed.score == 50


def test_every_customer_is_scored_in_a_constant_number_of_statements():
    customers = [CustomerFactory(credit_limit=Decimal("100.00")) for _ in range(5)]
    with CaptureQueriesContext(connection) as few:
        services.risk_scores_refresh()
    for _ in range(20):
        customers.append(CustomerFactory(credit_limit=Decimal("100.00")))
    with CaptureQueriesContext(connection) as many:
        assert services.risk_scores_refresh() == 25
    assert len(many) == len(few)


def test_risk_class_of_reads_many_customers_in_one_query():
    high = CustomerFactory(credit_limit=Decimal("100.00"))
    low = CustomerFactory()
    unscored_id = 10**9
    invoice(high, "500.00", issue_date=days_ago(10), due_days=30)
    for n in range(2):
        bounced = payment(high, "10.00", received_date=days_ago(5 + n))
        payment_void(actor=None, payment=bounced, return_date=days_ago(2), reason="NSF")
    services.risk_scores_refresh()

    with CaptureQueriesContext(connection) as queries:
        classes = risk_class_of([high.pk, low.pk, unscored_id])

    assert classes == {high.pk: "high", low.pk: "low"}
    assert len(queries) == 1


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lateness=st.lists(st.integers(min_value=-20, max_value=80), min_size=1, max_size=6))
def test_average_days_late_and_share_match_a_plain_python_count(lateness):
    customer = CustomerFactory()
    for n, late in enumerate(lateness):
        due = 200 + 10 * n
        paid_invoice(customer, due_days_ago=due, paid_days_ago=due - late)

    services.risk_scores_refresh()

    risk = CustomerRisk.objects.get(customer=customer)
    days = [max(late, 0) for late in lateness]
    expected_avg = (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"), "ROUND_HALF_UP")
    assert risk.avg_days_late == expected_avg
    late_count = sum(1 for late in lateness if late > 0)
    expected_share = (
        int((Decimal(100 * late_count) / len(lateness)).quantize(Decimal("1"), "ROUND_HALF_UP"))
        if len(lateness) >= 3
        else None
    )
    assert risk.paid_late_pct == expected_share


def _late_and_over_limit(customer):
    """Over its limit and two payments returned: high."""
    invoice(customer, "60000.00", issue_date=days_ago(10), due_days=30)
    for n in range(2):
        bounced = payment(customer, "10.00", received_date=days_ago(5 + n))
        payment_void(actor=None, payment=bounced, return_date=days_ago(2), reason="NSF")
    services.risk_scores_refresh()


def test_the_credit_page_shows_the_class_and_the_factors(collector, customer):
    client = Client()
    client.force_login(collector)
    assert "Not scored yet" in client.get(f"/credit/customers/{customer.pk}/").content.decode()

    _late_and_over_limit(customer)
    page = client.get(f"/credit/customers/{customer.pk}/").content.decode()

    assert '<span class="risk-badge risk-high" id="risk-class">High</span>' in page
    assert "<li>2 payments returned by the bank in 12 months</li>" in page
    assert "<li>over its credit limit (120% used)</li>" in page


def test_the_api_returns_the_risk_with_its_figures(collector, customer):
    _late_and_over_limit(customer)
    api = APIClient()
    api.force_authenticate(collector)

    risk = api.get(f"/api/v1/customers/{customer.pk}/credit/").json()["risk"]

    stored = CustomerRisk.objects.get(customer=customer)
    assert risk["risk_class"] == "high"
    assert risk["score"] == 50
    assert risk["factors"] == [
        "2 payments returned by the bank in 12 months",
        "over its credit limit (120% used)",
    ]
    assert (risk["returned_payments"], risk["limit_use_pct"], risk["paid_late_pct"]) == (
        2,
        120,
        None,
    )
    assert risk["computed_at"] == stored.computed_at.isoformat().replace("+00:00", "Z")
