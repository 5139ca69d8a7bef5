"""The nightly risk score feeds the collector's queue: credit hands the classes down to
collections_app, which re-scores the accounts whose class changed."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app import services as queue_services
from collections_app.models import QueueRiskClass, QueueState
from collections_app.selectors import QueueFilters, queue_for, reason_lines
from collections_app.services.queue import RISK_POINTS
from credit import services
from credit.models import CustomerRisk
from invoices.services import payment_void
from invoices.services.allocations import Allocation
from tests.factories import CustomerFactory, invoice, payment

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def _late_payer(customer) -> None:
    """Settled invoices 40 days late and two payments returned by the bank: high risk.
    Nothing of it is open, so the queue's own figures do not move."""
    for n in range(3):
        item = invoice(customer, "100.00", issue_date=days_ago(130 + n), due_days=30)
        payment(
            customer,
            "100.00",
            received_date=days_ago(60 + n),
            allocations=[Allocation(invoice_id=item.pk, amount=Decimal("100.00"))],
        )
    for n in range(2):
        bounced = payment(customer, "10.00", received_date=days_ago(5 + n))
        payment_void(actor=None, payment=bounced, return_date=days_ago(2), reason="NSF")


def _state(customer) -> QueueState:
    return QueueState.objects.get(customer=customer)


def _queue(user) -> list[str]:
    return [s.customer.name for s in queue_for(user, QueueFilters())]


def test_the_nightly_risk_refresh_lifts_the_high_risk_account_in_the_queue(collector):
    steady = CustomerFactory(name="Steady", assigned_collector=collector)
    risky = CustomerFactory(name="Risky", assigned_collector=collector)
    _late_payer(risky)
    for customer in (steady, risky):
        invoice(customer, "5000.00", issue_date=days_ago(75), due_days=30)  # 45 days late
    queue_services.queue_state_refresh()
    assert _queue(collector) == ["Steady", "Risky"]  # equal scores: by customer id
    assert _state(steady).score == _state(risky).score

    services.risk_scores_refresh()

    classes = dict(CustomerRisk.objects.values_list("customer_id", "risk_class"))
    assert (classes[steady.pk], classes[risky.pk]) == ("low", "high")
    assert _queue(collector) == ["Risky", "Steady"]
    assert _state(risky).score - _state(steady).score == RISK_POINTS[QueueRiskClass.HIGH]
    assert "high credit risk" in reason_lines(_state(risky))

    # the next nightly queue refresh keeps the class and the order
    queue_services.queue_state_refresh()
    assert (_state(risky).risk_class, _state(steady).risk_class) == ("high", "low")
    assert _queue(collector) == ["Risky", "Steady"]


def test_the_risk_refresh_rescores_only_accounts_whose_class_changed(collector):
    steady = CustomerFactory(name="Steady", assigned_collector=collector)
    invoice(steady, "5000.00", issue_date=days_ago(75), due_days=30)
    services.risk_scores_refresh()
    first = _state(steady).refreshed_at

    services.risk_scores_refresh()  # safe to run twice: nothing changed, nothing rewritten

    assert _state(steady).refreshed_at == first
    assert _state(steady).risk_class == "low"
