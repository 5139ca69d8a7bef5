"""The credit risk class in the queue priority: stored on the queue row by
``queue_risk_classes_set``, kept by every refresh, weighed only when something is overdue."""

import itertools
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.errors import ServiceError
from collections_app import services
from collections_app.models import QueueRiskClass, QueueState
from collections_app.selectors import QueueFilters, queue_for, reason_lines
from collections_app.services.queue import RISK_POINTS, queue_risk_classes_set

from .workflow import account, collector, overdue_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return collector("alice")


def _state(customer) -> QueueState:
    return QueueState.objects.get(customer=customer)


def _queue(user) -> list[str]:
    return [s.customer.name for s in queue_for(user, QueueFilters())]


def _twins(owner, *, days_late: int = 45):
    """Two accounts alike in every figure; the second has the higher id, so it comes
    second on a tie."""
    first = account(owner, "First")
    second = account(owner, "Second")
    for customer in (first, second):
        overdue_invoice(customer, "5000.00", days_late=days_late)
    services.queue_state_refresh()
    return first, second


def test_a_high_risk_account_ranks_above_an_otherwise_equal_low_risk_one(alice):
    low, high = _twins(alice)
    assert _queue(alice) == ["First", "Second"]
    assert _state(low).score == _state(high).score

    queue_risk_classes_set({low.pk: "low", high.pk: "high"})

    assert _queue(alice) == ["Second", "First"]
    assert _state(high).score - _state(low).score == RISK_POINTS[QueueRiskClass.HIGH]
    assert (_state(low).risk_class, _state(high).risk_class) == ("low", "high")


def test_medium_risk_adds_its_smaller_weight(alice):
    low, medium = _twins(alice)

    queue_risk_classes_set({low.pk: "low", medium.pk: "medium"})

    assert _state(medium).score - _state(low).score == RISK_POINTS[QueueRiskClass.MEDIUM]
    assert 0 < RISK_POINTS[QueueRiskClass.MEDIUM] < RISK_POINTS[QueueRiskClass.HIGH]


def test_the_why_line_says_high_credit_risk(alice):
    low, high = _twins(alice)

    queue_risk_classes_set({low.pk: "low", high.pk: "high"})

    assert "high credit risk" in reason_lines(_state(high))
    assert not any("credit risk" in line for line in reason_lines(_state(low)))


def test_the_class_survives_every_kind_of_queue_refresh(alice):
    low, high = _twins(alice)
    queue_risk_classes_set({high.pk: "high"})
    lifted = _state(high).score

    services.queue_state_refresh()  # the nightly run, every customer
    assert (_state(high).risk_class, _state(high).score) == ("high", lifted)

    services.queue_state_refresh(customer_ids=[high.pk])  # one customer's event
    assert (_state(high).risk_class, _state(high).score) == ("high", lifted)

    for customer in (low, high):  # an event refreshes each one's row in its transaction
        services.call_log(actor=alice, customer=customer, outcome="no_answer", note="rang")
    state = _state(high)
    assert state.risk_class == "high"
    assert state.last_contact_at is not None and state.score < lifted  # the row was rewritten
    assert state.score - _state(low).score == RISK_POINTS[QueueRiskClass.HIGH]


def test_an_account_with_nothing_overdue_is_not_lifted(alice):
    calm = account(alice, "Calm")
    twin = account(alice, "Twin")
    for customer in (calm, twin):
        overdue_invoice(customer, "5000.00", days_late=-10)  # due in 10 days

    queue_risk_classes_set({calm.pk: "high", twin.pk: "low"})

    assert _state(calm).score == _state(twin).score
    assert _state(calm).risk_class == "high"
    assert _state(calm).in_queue is False
    assert not any("credit risk" in line for line in reason_lines(_state(calm)))


def test_a_customer_without_a_queue_row_gets_one_with_its_class(alice):
    fresh = account(alice, "Fresh")
    QueueState.objects.filter(customer=fresh).delete()

    assert queue_risk_classes_set({fresh.pk: "medium"}).rows == 1

    assert _state(fresh).risk_class == "medium"


def test_only_changed_classes_are_rescored_and_twice_changes_nothing(alice):
    low, high = _twins(alice)
    assert queue_risk_classes_set({low.pk: "low", high.pk: "high"}).rows == 2
    before = {s.pk: (s.score, s.refreshed_at) for s in QueueState.objects.all()}

    assert queue_risk_classes_set({low.pk: "low", high.pk: "high"}).rows == 0
    assert queue_risk_classes_set({low.pk: "low", high.pk: "low"}).rows == 1

    after = {s.pk: (s.score, s.refreshed_at) for s in QueueState.objects.all()}
    assert after[low.pk] == before[low.pk]
    assert after[high.pk] != before[high.pk]
    assert after[high.pk][0] == after[low.pk][0]


def test_an_unknown_class_is_refused_naming_the_customer_and_nothing_is_written(alice):
    low, high = _twins(alice)

    with pytest.raises(ServiceError) as refused:
        queue_risk_classes_set({low.pk: "high", high.pk: "severe"})

    assert str(high.pk) in refused.value.message and "severe" in refused.value.message
    assert refused.value.field == "risk_class"
    assert (_state(low).risk_class, _state(high).risk_class) == ("", "")


def test_the_database_refuses_an_unknown_class(alice):
    low, _ = _twins(alice)

    with pytest.raises(IntegrityError), transaction.atomic():
        QueueState.objects.filter(customer=low).update(risk_class="severe")


def _accounts(owner, n: int) -> dict[int, str]:
    classes = ("low", "medium", "high")
    out = {}
    for i in range(n):
        customer = account(owner, f"Account {i}")
        overdue_invoice(customer, "1000.00", days_late=20 + i)
        out[customer.pk] = classes[i % 3]
    return out


def test_the_cost_does_not_grow_with_the_number_of_customers(alice):
    few = _accounts(alice, 3)
    with CaptureQueriesContext(connection) as few_queries:
        assert queue_risk_classes_set(few).rows == 3
    many = _accounts(collector("bob"), 30)
    with CaptureQueriesContext(connection) as many_queries:
        assert queue_risk_classes_set(many).rows == 30

    assert len(many_queries) == len(few_queries)
    stored = dict(
        QueueState.objects.filter(customer_id__in=many).values_list("customer_id", "risk_class")
    )
    assert stored == many


_owners = itertools.count()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    risk_class=st.sampled_from(QueueRiskClass.values),
    days_late=st.integers(min_value=-30, max_value=200),
)
def test_the_lift_is_the_weight_when_overdue_and_nothing_otherwise(risk_class, days_late):
    owner = collector(f"owner{next(_owners)}")
    plain, scored = _twins(owner, days_late=days_late)

    queue_risk_classes_set({plain.pk: "", scored.pk: risk_class})

    lift = _state(scored).score - _state(plain).score
    expected = RISK_POINTS.get(risk_class, 0) if days_late > 0 else 0
    assert lift == Decimal(expected)
