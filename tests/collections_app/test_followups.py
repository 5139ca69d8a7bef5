"""Follow-ups and escalations: scheduled, completed once, refused when they make no sense."""

import pytest

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from collections_app import services
from collections_app.models import Escalation, FollowUp, FollowUpStatus
from collections_app.services.follow_ups import follow_ups_close_on_contact
from tests.factories import UserFactory

from .workflow import account, collector, credit_manager, days, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return collector("alice")


def test_a_follow_up_defaults_to_the_person_scheduling_it(alice):
    customer = account(alice)

    follow_up = services.follow_up_schedule(actor=alice, customer=customer, due_date=today())

    assert (follow_up.assigned_to, follow_up.status) == (alice, FollowUpStatus.OPEN)


def test_a_follow_up_cannot_be_due_in_the_past(alice):
    with pytest.raises(ServiceError) as refusal:
        services.follow_up_schedule(
            actor=alice, customer=account(alice), due_date=today() - days(1)
        )
    assert refusal.value.field == "due_date"
    assert FollowUp.objects.count() == 0


def test_a_follow_up_cannot_go_to_someone_outside_collections(alice):
    with pytest.raises(ServiceError) as refusal:
        services.follow_up_schedule(
            actor=alice, customer=account(alice), due_date=today(), assigned_to=UserFactory()
        )
    assert refusal.value.field == "assigned_to"
    assert FollowUp.objects.count() == 0
    assert not AuditEntry.objects.filter(action="follow_up.schedule").exists()


def test_a_done_follow_up_cannot_be_done_again(alice):
    follow_up = services.follow_up_schedule(actor=alice, customer=account(alice), due_date=today())
    services.follow_up_complete(actor=alice, follow_up=follow_up)
    done = FollowUp.objects.values().get(pk=follow_up.pk)

    with pytest.raises(ServiceError) as refusal:
        services.follow_up_complete(actor=alice, follow_up=follow_up)
    assert refusal.value.code == "invalid_transition"
    assert FollowUp.objects.values().get(pk=follow_up.pk) == done
    assert AuditEntry.objects.filter(action="follow_up.complete").count() == 1


def test_contact_today_closes_the_follow_ups_due_for_that_collector(alice):
    customer = account(alice)
    services.follow_up_schedule(actor=alice, customer=customer, due_date=today())
    later = services.follow_up_schedule(actor=alice, customer=customer, due_date=today() + days(3))

    assert follow_ups_close_on_contact(actor=alice, customer=customer) == 1
    assert list(FollowUp.objects.filter(status="open")) == [later]


def test_an_account_is_escalated_once_until_resolved(alice):
    credit_manager("carla")
    customer = account(alice)
    services.escalation_raise(actor=alice, customer=customer, reason="asks for a manager")

    with pytest.raises(ServiceError) as refusal:
        services.escalation_raise(actor=alice, customer=customer, reason="again, please")
    assert refusal.value.code == "duplicate"
    assert list(Escalation.objects.values_list("customer", "reason")) == [
        (customer.pk, "asks for a manager")
    ]
    assert AuditEntry.objects.filter(action="escalation.raise").count() == 1


def test_an_escalation_needs_a_reason(alice):
    with pytest.raises(ServiceError) as refusal:
        services.escalation_raise(actor=alice, customer=account(alice), reason=" ")
    assert refusal.value.field == "reason"
    assert Escalation.objects.count() == 0
    assert not AuditEntry.objects.filter(action="escalation.raise").exists()


def test_a_call_that_reaches_the_customer_settles_todays_follow_up_and_no_answer_does_not(alice):
    customer = account(alice)
    services.follow_up_schedule(actor=alice, customer=customer, due_date=today())

    services.call_log(actor=alice, customer=customer, outcome="no_answer")
    assert FollowUp.objects.get().status == "open"

    services.call_log(actor=alice, customer=customer, outcome="spoke_to_ap")
    assert FollowUp.objects.get().status == "done"


def test_the_nightly_tasks_sweep_promises_and_refresh_every_score(alice):
    from collections_app import tasks
    from collections_app.models import QueueState

    account(alice, "One")
    account(alice, "Two")

    assert tasks.promise_sweep() == 0
    assert tasks.queue_refresh_all() == 2
    assert QueueState.objects.count() == 2


def test_an_escalation_is_the_credit_managers_work_not_a_follow_up_in_the_collectors_queue(alice):
    """Issue 12: escalations are decided in the credit inbox; the follow-up the escalation
    leaves for the manager does not put the account on the collector's list of follow-ups
    due, while a follow-up the collector scheduled still does."""
    from collections_app.models import QueueState

    credit_manager("carla")
    escalated, scheduled = account(alice, "Escalated Ltd"), account(alice, "Scheduled Ltd")
    services.escalation_raise(actor=alice, customer=escalated, reason="asks for a manager")
    services.follow_up_schedule(actor=alice, customer=scheduled, due_date=today())

    due = dict(QueueState.objects.values_list("customer__name", "follow_up_due_date"))
    assert due == {"Escalated Ltd": None, "Scheduled Ltd": today()}
    assert FollowUp.objects.get(customer=escalated).escalation is not None
