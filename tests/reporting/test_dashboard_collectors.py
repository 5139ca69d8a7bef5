"""/dashboard/: the per-collector table (from per-collector snapshots) and the dispute cycle
time; a collector sees only their own row."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.models import Currency
from collections_app.models import Activity, ActivityKind, PromiseStatus
from disputes.models import DisputeStatus
from invoices.services.allocations import Allocation
from reporting.workflow import DisputeCycle, PromiseRate
from tests.factories import CustomerFactory, invoice, payment, user_in_role
from tests.reporting.workflow_records import dispute, promise

pytestmark = pytest.mark.django_db

START, END = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}


def _at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


def _call(customer, actor, day):
    Activity.objects.create(
        customer=customer,
        kind=ActivityKind.CALL,
        outcome="spoke_to_ap",
        summary="call",
        actor=actor,
        occurred_at=_at(day),
    )


def _snapshots():
    call_command("backfill_snapshots", "--start", START.isoformat(), "--end", END.isoformat())


@pytest.fixture
def team(eur_rates):
    alice = user_in_role(roles.COLLECTOR, "alice", first_name="Alice", last_name="Avery")
    bob = user_in_role(roles.COLLECTOR, "bob")
    mine = CustomerFactory(name="Alice Account", assigned_collector=alice)
    first = invoice(mine, "1000.00", issue_date=datetime.date(2026, 1, 15), due_days=30)
    invoice(mine, "400.00", issue_date=datetime.date(2026, 3, 20), due_days=30)
    payment(
        mine,
        "250.00",
        received_date=datetime.date(2026, 3, 20),
        allocations=[Allocation(invoice_id=first.pk, amount=Decimal("250.00"))],
    )
    theirs = CustomerFactory(
        name="Bob Account", assigned_collector=bob, currency=Currency.objects.get(code="EUR")
    )
    invoice(theirs, "500.00", issue_date=datetime.date(2026, 2, 5), due_days=10)
    invoice(
        CustomerFactory(name="Bob Old", assigned_collector=bob),
        "100.00",
        issue_date=datetime.date(2025, 11, 1),
        due_days=30,
    )
    promise(mine, PromiseStatus.KEPT, datetime.date(2026, 3, 5), alice)
    promise(mine, PromiseStatus.BROKEN, datetime.date(2026, 3, 6), alice)
    dispute(
        mine,
        "pricing",
        "10.00",
        status=DisputeStatus.RESOLVED,
        opened_at=_at(datetime.date(2026, 3, 2)),
        resolved_at=_at(datetime.date(2026, 3, 6)),
    )
    for day in (1, 2, 31):
        _call(mine, alice, datetime.date(2026, 3, day))
    _call(theirs, bob, datetime.date(2026, 2, 28))  # before the period
    invoice(CustomerFactory(name="Nobody's"), "20.00", issue_date=datetime.date(2026, 3, 10))
    _snapshots()
    return alice, bob


def _table(client, user):
    client.force_login(user)
    response = client.get("/dashboard/", PERIOD)
    assert response.status_code == 200
    return response, {row.name: row for row in response.context["collectors"].rows}


def test_the_team_view_sees_every_collectors_figures_for_the_period(client, team):
    response, rows = _table(client, user_in_role(roles.CFO, "cfo"))

    assert list(rows) == ["Alice Avery", "bob", "Unassigned"]
    alice = rows["Alice Avery"]
    # the disputed invoice (5,000 issued Jan 1) is in Alice's portfolio too
    assert (alice.open_ar, alice.overdue_ar, alice.over_90_pct) == (
        Decimal("6150.00"),
        Decimal("5750.00"),
        Decimal("0.00"),
    )
    # 6,150 AR / 400 credit sales * 31 days = 476.625, rounded half up
    assert (alice.dso, alice.cash_collected) == (Decimal("476.63"), Decimal("250.00"))
    assert (alice.promise_kept_rate, alice.dispute_cycle_days) == (
        Decimal("50.00"),
        Decimal("4.00"),
    )
    assert alice.promises == PromiseRate(kept=1, broken=1)
    assert alice.disputes == DisputeCycle(
        resolved=1, mean_days=Decimal("4"), median_days=Decimal("4")
    )
    assert alice.calls == 3
    bob = rows["bob"]
    # 500 EUR at 1.20 plus 100 USD 120 days past due
    assert (bob.open_ar, bob.overdue_ar, bob.dso, bob.calls) == (
        Decimal("700.00"),
        Decimal("700.00"),
        None,
        0,
    )
    assert bob.over_90_pct == Decimal("14.29")
    assert (rows["Unassigned"].open_ar, rows["Unassigned"].dso) == (
        Decimal("20.00"),
        Decimal("31.00"),
    )
    assert response.context["collectors"].complete is True


def test_each_row_drills_down_to_the_collectors_aging_and_queue(client, team):
    alice, _ = team

    response, _ = _table(client, user_in_role(roles.CREDIT_MANAGER, "carla"))

    html = response.content.decode()
    assert f'href="/reports/aging/?as_of=2026-03-31&collector={alice.pk}"' in html
    assert f'href="/reports/aging/?as_of=2026-03-31&collector={alice.pk}&view=detail"' in (html)
    assert f'href="/queue/?owner={alice.pk}"' in html
    assert "476.63" in html
    assert "6,150.00 USD" in html


def test_a_collector_sees_only_their_own_row_and_no_company_figure(client, team):
    alice, bob = team

    response, rows = _table(client, alice)

    assert list(rows) == ["Alice Avery"]
    assert rows["Alice Avery"].open_ar == Decimal("6150.00")
    html = response.content.decode()
    assert "Bob Account" not in html
    assert "<td>Unassigned</td>" not in html
    assert f"collector={bob.pk}" not in html
    assert "<span>DSO</span>" not in html
    assert "Top 10 overdue" not in html
    assert "tiles" not in response.context


def test_the_dispute_cycle_tile_shows_mean_median_count_and_its_definition(client, team):
    client.force_login(user_in_role(roles.CFO, "cfo"))

    html = client.get("/dashboard/", PERIOD).content.decode()

    assert "<span>Dispute cycle time</span>" in html
    assert "<strong>4.00 days</strong>" in html
    assert "median 4.00 days · 1 resolved in the period" in html
    assert "<dt>Dispute cycle time</dt>" in html


def test_without_collector_snapshots_for_every_day_the_ar_columns_are_left_out(client, team):
    from reporting.models import CollectorSnapshot

    CollectorSnapshot.objects.filter(date=datetime.date(2026, 3, 15)).delete()

    response, rows = _table(client, user_in_role(roles.CFO, "cfo"))

    assert response.context["collectors"].complete is False
    assert (rows["Alice Avery"].open_ar, rows["Alice Avery"].dso) == (None, None)
    assert rows["Alice Avery"].calls == 3
    assert "do not cover every day of the period" in response.content.decode()


def _dashboard_queries(client) -> int:
    client.get("/dashboard/", PERIOD)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/dashboard/", PERIOD).status_code == 200
    return len(captured.captured_queries)


def _more_collectors(n: int):
    for k in range(n):
        person = user_in_role(roles.COLLECTOR, f"extra{k}")
        customer = CustomerFactory(assigned_collector=person)
        invoice(customer, "10.00", issue_date=datetime.date(2026, 3, 3))
        promise(customer, PromiseStatus.KEPT, datetime.date(2026, 3, 4), person)
        dispute(
            customer,
            "tax",
            "1.00",
            status=DisputeStatus.RESOLVED,
            opened_at=_at(datetime.date(2026, 3, 4)),
            resolved_at=_at(datetime.date(2026, 3, 5)),
        )
        _call(customer, person, datetime.date(2026, 3, 4))


def test_the_per_collector_table_costs_the_same_queries_for_2_and_10_collectors(client, team):
    client.force_login(user_in_role(roles.CFO, "cfo"))
    two = _dashboard_queries(client)
    assert len(client.get("/dashboard/", PERIOD).context["collectors"].rows) == 3

    _more_collectors(8)
    _snapshots()
    ten = _dashboard_queries(client)

    assert len(client.get("/dashboard/", PERIOD).context["collectors"].rows) == 11
    assert ten == two


def test_a_collectors_own_dashboard_costs_a_constant_number_of_queries(client, team):
    alice, _ = team
    client.force_login(alice)
    before = _dashboard_queries(client)

    _more_collectors(8)
    _snapshots()

    assert _dashboard_queries(client) == before
