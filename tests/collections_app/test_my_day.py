"""/queue/my-day/: the collector's follow-ups due, promises due today and promises broken,
reachable from the queue; resolving an escalation closes its follow-up."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEntry
from collections_app import services
from collections_app.models import FollowUp, Promise

from .workflow import account, collector, credit_manager, days, overdue_invoice, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return collector("alice")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _promise(owner, customer, *, due, status="open", amount="500.00"):
    promise = services.promise_record(
        actor=owner, customer=customer, amount=Decimal(amount), promised_date=today() + days(1)
    )
    Promise.objects.filter(pk=promise.pk).update(promised_date=due, status=status)
    return promise


def _book(alice, n: int = 1):
    bob = collector("bob")
    for i in range(n):
        mine = account(alice, f"Mine {i:02}")
        overdue_invoice(mine, "5000.00", days_late=40)
        services.follow_up_schedule(actor=alice, customer=mine, due_date=today(), note=f"call {i}")
        _promise(alice, mine, due=today())
        _promise(alice, mine, due=today() - days(3), status="broken")
    theirs = account(bob, "Theirs")
    overdue_invoice(theirs, "5000.00", days_late=40)
    services.follow_up_schedule(actor=bob, customer=theirs, due_date=today())
    _promise(bob, theirs, due=today())
    _promise(bob, theirs, due=today() - days(3), status="broken")


def test_my_day_lists_my_follow_ups_promises_due_today_and_broken_promises(alice):
    _book(alice)
    late = account(alice, "Late Co")
    overdue_invoice(late, "900.00", days_late=40)
    services.follow_up_schedule(actor=alice, customer=late, due_date=today(), note="ring back")
    FollowUp.objects.filter(note="ring back").update(due_date=today() - days(2))
    later = account(alice, "Later Co")
    overdue_invoice(later, "900.00", days_late=40)
    services.follow_up_schedule(actor=alice, customer=later, due_date=today() + days(2))
    old = account(alice, "Long Ago Co")
    overdue_invoice(old, "900.00", days_late=90)
    _promise(alice, old, due=today() - days(31), status="broken")

    response = _client(alice).get("/queue/my-day/")

    day = response.context["day"]
    assert [(f.customer.name, f.note) for f in day.follow_ups] == [
        ("Late Co", "ring back"),
        ("Mine 00", "call 0"),
    ]
    assert [p.customer.name for p in day.promises_due] == ["Mine 00"]
    assert [p.customer.name for p in day.broken_promises] == ["Mine 00"]
    html = response.content.decode()
    assert "Theirs" not in html
    assert "Later Co" not in html


def test_my_day_is_reached_from_the_queue_with_its_count(alice):
    _book(alice)

    html = _client(alice).get("/queue/").content.decode()

    assert '<a class="button my-day-link" href="/queue/my-day/">My day ' in html
    assert '<span class="badge">3</span>' in html


def test_my_day_runs_the_same_queries_for_1_and_20_accounts(alice):
    _book(alice, 1)
    client = _client(alice)
    client.get("/queue/my-day/")
    with CaptureQueriesContext(connection) as one:
        client.get("/queue/my-day/")
    _book(collector("carol"), 0)
    for i in range(1, 20):
        mine = account(alice, f"More {i:02}")
        overdue_invoice(mine, "100.00", days_late=40)
        services.follow_up_schedule(actor=alice, customer=mine, due_date=today())
        _promise(alice, mine, due=today(), amount="50.00")
        _promise(alice, mine, due=today() - days(2), status="broken", amount="50.00")

    with CaptureQueriesContext(connection) as twenty:
        response = client.get("/queue/my-day/")

    assert len(response.context["day"].follow_ups) == 20
    assert len(twenty) == len(one)


def test_resolving_an_escalation_closes_its_follow_up(alice):
    carla = credit_manager("carla")
    customer = account(alice)
    overdue_invoice(customer, "5000.00", days_late=95)
    escalation = services.escalation_raise(actor=alice, customer=customer, reason="needs terms")
    follow_up = FollowUp.objects.get(assigned_to=carla)
    assert (follow_up.escalation, follow_up.status) == (escalation, "open")
    assert [f.customer for f in _client(carla).get("/queue/my-day/").context["day"].follow_ups] == [
        customer
    ]

    services.escalation_resolve(actor=carla, escalation=escalation, resolution="terms agreed")

    follow_up.refresh_from_db()
    assert follow_up.status == "done"
    assert AuditEntry.objects.filter(action="follow_up.complete", actor=carla).count() == 1
    assert _client(carla).get("/queue/my-day/").context["day"].follow_ups == []
