"""A promise for more than the account owes is a typo, not a promise: it is refused."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import ServiceError
from collections_app import services
from collections_app.models import Activity, Promise, QueueState
from tests.factories import CustomerFactory, collector, invoice

pytestmark = pytest.mark.django_db


def _customer():
    customer = CustomerFactory(assigned_collector=collector())
    issue = timezone.localdate() - datetime.timedelta(days=60)
    invoice(customer, "48200.00", number="INV-1", issue_date=issue, due_days=30)
    invoice(customer, "3100.00", number="INV-2", issue_date=issue, due_days=30)
    services.queue_state_refresh(customer_ids=[customer.pk])
    return customer


def test_a_promise_for_more_than_the_open_balance_is_refused_and_nothing_changes():
    customer = _customer()
    score = QueueState.objects.get(customer=customer).score
    activities = Activity.objects.count()

    with pytest.raises(ServiceError) as refusal:
        services.promise_record(
            actor=customer.assigned_collector,
            customer=customer,
            amount=Decimal("51300.01"),
            promised_date=timezone.localdate() + datetime.timedelta(days=5),
        )

    assert refusal.value.field == "amount"
    assert refusal.value.message == (
        "51,300.01 USD is more than the 51,300.00 USD open on the account"
    )
    assert Promise.objects.count() == 0
    assert Activity.objects.count() == activities
    assert QueueState.objects.get(customer=customer).score == score


def test_a_promise_of_the_whole_open_balance_is_recorded():
    customer = _customer()

    promise = services.promise_record(
        actor=customer.assigned_collector,
        customer=customer,
        amount=Decimal("51300.00"),
        promised_date=timezone.localdate() + datetime.timedelta(days=5),
    )

    assert Promise.objects.get().pk == promise.pk
    assert promise.amount == Decimal("51300.00")


def test_a_call_with_an_implausible_promise_is_refused_with_the_error_on_the_amount(client):
    customer = _customer()
    client.force_login(customer.assigned_collector)

    response = client.post(
        f"/customers/{customer.pk}/calls/",
        {
            "call-outcome": "promised",
            "call-promise_amount": "513000.00",
            "call-promise_date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    form = response.context["forms"]["call"]
    assert form.errors == {
        "promise_amount": ["513,000.00 USD is more than the 51,300.00 USD open on the account"]
    }
    assert Promise.objects.count() == 0
    assert Activity.objects.count() == 0
