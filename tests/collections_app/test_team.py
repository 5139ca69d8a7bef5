"""/team/: each collector's load and results, and bulk reassignment."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEntry, Customer
from collections_app import services
from collections_app.models import FollowUp

from .workflow import account, collector, credit_manager, days, overdue_invoice, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def carla():
    return credit_manager("carla")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_team_page_shows_each_collectors_load_and_results(carla, settings):
    settings.COLLECTOR_DAILY_CALL_TARGET = 30
    alice = collector("alice")
    bob = collector("bob")
    a1 = account(alice, "A1")
    overdue_invoice(a1, "1000.00", days_late=40)
    overdue_invoice(account(alice, "A2"), "500.00", days_late=-5)
    overdue_invoice(account(bob, "B1"), "250.00", days_late=10)
    services.call_log(actor=alice, customer=a1, outcome="spoke_to_ap")
    services.promise_record(
        actor=alice, customer=a1, amount=Decimal("100.00"), promised_date=today() + days(2)
    )
    services.queue_state_refresh()

    response = _client(carla).get("/team/")

    rows = {r["user"].username: r for r in response.context["rows"]}
    assert {
        name: (r["user"].accounts, r["user"].queue_size, r["user"].overdue, r["user"].calls)
        for name, r in rows.items()
    } == {
        "alice": (2, 1, Decimal("1000.00"), 1),
        "bob": (1, 1, Decimal("250.00"), 0),
    }
    assert rows["alice"]["promises"]["made"] == 1
    assert rows["alice"]["target"] == 30


def test_bulk_reassignment_moves_accounts_and_their_open_follow_ups(carla):
    alice = collector("alice")
    bob = collector("bob")
    a1 = account(alice, "A1")
    a2 = account(alice, "A2")
    a3 = account(alice, "A3")
    services.follow_up_schedule(actor=alice, customer=a1, due_date=today())

    response = _client(carla).post(
        "/team/reassign/",
        {"from_collector": alice.pk, "to_collector": bob.pk, "customers": [a1.pk, a2.pk]},
    )

    assert (response.status_code, response.url) == (302, f"/team/?collector={alice.pk}")
    assert sorted(
        Customer.objects.filter(assigned_collector=bob).values_list("name", flat=True)
    ) == [
        "A1",
        "A2",
    ]
    a3.refresh_from_db()
    assert a3.assigned_collector == alice
    assert FollowUp.objects.get().assigned_to == bob
    assert AuditEntry.objects.filter(action="customer.reassign").count() == 2


def test_reassignment_needs_selected_accounts_and_a_collector(carla):
    alice = collector("alice")
    a1 = account(alice, "A1")

    response = _client(carla).post(
        "/team/reassign/", {"to_collector": carla.pk, "customers": [a1.pk]}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "to_collector": ["Select a valid choice. That choice is not one of the available choices."]
    }
    a1.refresh_from_db()
    assert a1.assigned_collector == alice


def test_the_team_page_runs_constant_queries(carla):
    def queries() -> int:
        client = _client(carla)
        client.get("/team/")
        with CaptureQueriesContext(connection) as captured:
            client.get("/team/")
        return len(captured.captured_queries)

    collector("c1")
    few = queries()
    for i in range(2, 12):
        account(collector(f"c{i}"), f"Acct {i}")
    assert queries() == few
