"""Daily AR snapshots: the beat task, the back-fill command, and KPIs read from them."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import Currency, Customer
from invoices import services
from invoices.services.allocations import Allocation
from reporting.kpis import inputs_live, kpis_from_inputs
from reporting.models import ARSnapshot
from reporting.snapshots import inputs_from_snapshots, month_end_snapshots, snapshot_take
from reporting.tasks import ar_snapshot_daily
from tests.factories import CustomerFactory, invoice, payment

pytestmark = pytest.mark.django_db


def _ledger(eur_rates=None):
    usd = CustomerFactory()
    eur = CustomerFactory(currency=Currency.objects.get(code="EUR"))
    first = invoice(usd, "1000.00", issue_date=datetime.date(2026, 1, 15), due_days=30)
    invoice(usd, "400.00", issue_date=datetime.date(2026, 3, 20), due_days=30)
    invoice(eur, "500.00", issue_date=datetime.date(2026, 2, 5), due_days=10)
    payment(
        usd,
        "250.00",
        received_date=datetime.date(2026, 3, 10),
        allocations=[Allocation(invoice_id=first.pk, amount=Decimal("250.00"))],
    )
    return first


def test_a_snapshot_holds_the_aging_and_the_day_sales_and_cash(eur_rates):
    _ledger()

    snapshot = snapshot_take(day=datetime.date(2026, 3, 20))

    assert snapshot.currency == "USD"
    assert snapshot.total == Decimal("750.00") + Decimal("400.00") + Decimal("600.00")
    assert (snapshot.current, snapshot.days_1_30, snapshot.days_31_60) == (
        Decimal("400.00"),
        Decimal("0.00"),
        Decimal("1350.00"),  # due Feb 14 (750 USD) and Feb 15 (500 EUR at 1.20)
    )
    assert snapshot.credit_sales == Decimal("400.00")
    assert snapshot.cash_collected == Decimal("0.00")
    assert snapshot.open_items == 3


def test_taking_a_snapshot_twice_keeps_one_row_per_day(eur_rates):
    _ledger()

    snapshot_take(day=datetime.date(2026, 3, 10))
    snapshot_take(day=datetime.date(2026, 3, 10))

    assert ARSnapshot.objects.count() == 1
    assert ARSnapshot.objects.get().cash_collected == Decimal("250.00")


def test_the_daily_task_snapshots_the_given_day(eur_rates):
    _ledger()

    assert ar_snapshot_daily("2026-02-01") == "1000.00"
    assert ARSnapshot.objects.get().date == datetime.date(2026, 2, 1)


def test_backfill_writes_one_snapshot_per_day(eur_rates):
    _ledger()

    call_command("backfill_snapshots", "--start", "2026-01-01", "--end", "2026-03-31")

    assert ARSnapshot.objects.count() == 90
    assert ARSnapshot.objects.get(date=datetime.date(2026, 1, 14)).total == Decimal("0.00")
    # 1000 + 400 USD, and 500 EUR at 1.10 on its issue date
    assert sum(s.credit_sales for s in ARSnapshot.objects.all()) == Decimal("1950.00")


def test_kpis_from_snapshots_equal_kpis_from_the_ledger(eur_rates):
    _ledger()
    call_command("backfill_snapshots", "--start", "2025-01-01", "--end", "2026-04-30")
    start, end = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)

    from_snapshots = inputs_from_snapshots(start, end)
    live = inputs_live(Customer.objects.all(), start, end)

    assert from_snapshots == live
    assert kpis_from_inputs(from_snapshots) == kpis_from_inputs(live)


def test_kpis_from_snapshots_are_none_when_a_day_is_missing(eur_rates):
    _ledger()
    call_command("backfill_snapshots", "--start", "2026-02-01", "--end", "2026-03-31")
    ARSnapshot.objects.filter(date=datetime.date(2026, 3, 15)).delete()

    assert inputs_from_snapshots(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)) is None


def test_month_end_snapshots_give_one_per_month_with_its_sales(eur_rates):
    _ledger()
    call_command("backfill_snapshots", "--start", "2026-01-01", "--end", "2026-03-31")

    months = month_end_snapshots(datetime.date(2026, 3, 31), 13)

    assert [s.date for s in months] == [
        datetime.date(2026, 1, 31),
        datetime.date(2026, 2, 28),
        datetime.date(2026, 3, 31),
    ]
    assert [s.month_sales for s in months] == [
        Decimal("1000.00"),
        Decimal("550.00"),
        Decimal("400.00"),
    ]


def test_reversed_cash_shows_in_past_snapshots_as_it_was(eur_rates):
    first = _ledger()
    services.application_reverse(
        actor=None,
        application=first.applications.get(),
        effective_date=datetime.date(2026, 4, 1),
    )

    before = snapshot_take(day=datetime.date(2026, 3, 31))
    after = snapshot_take(day=datetime.date(2026, 4, 1))

    assert after.total - before.total == Decimal("250.00")
