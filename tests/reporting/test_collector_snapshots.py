"""Per-collector daily snapshots: written with the company snapshot, by the beat task and
the back-fill, adding up to the company's figures exactly."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts import roles
from accounts.models import Currency
from invoices.services.allocations import Allocation
from reporting.models import ARSnapshot, CollectorSnapshot
from reporting.snapshots import snapshot_take
from reporting.tasks import ar_snapshot_daily
from tests.factories import CustomerFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 20)


@pytest.fixture
def team(eur_rates):
    """Alice: a USD customer with cash; Bob: a EUR customer; one unassigned customer."""
    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob")
    user_in_role(roles.COLLECTOR, "carol")  # no portfolio: no row
    usd = CustomerFactory(assigned_collector=alice)
    first = invoice(usd, "1000.00", issue_date=datetime.date(2026, 1, 15), due_days=30)
    invoice(usd, "400.00", issue_date=DAY, due_days=30)
    payment(
        usd,
        "250.00",
        received_date=DAY,
        allocations=[Allocation(invoice_id=first.pk, amount=Decimal("250.00"))],
    )
    eur = CustomerFactory(assigned_collector=bob, currency=Currency.objects.get(code="EUR"))
    invoice(eur, "500.00", issue_date=datetime.date(2026, 2, 5), due_days=10)
    invoice(CustomerFactory(), "99.99", issue_date=datetime.date(2025, 10, 1), due_days=30)
    CustomerFactory(assigned_collector=bob)  # nothing open
    return alice, bob


def _rows(day=DAY) -> dict:
    return {row.collector_id: row for row in CollectorSnapshot.objects.filter(date=day)}


def test_a_snapshot_writes_one_row_per_portfolio_with_its_aging_sales_and_cash(team):
    alice, bob = team

    snapshot_take(day=DAY)

    rows = _rows()
    assert set(rows) == {alice.pk, bob.pk, None}
    mine = rows[alice.pk]
    assert (mine.current, mine.days_31_60, mine.total, mine.open_items) == (
        Decimal("400.00"),
        Decimal("750.00"),
        Decimal("1150.00"),
        2,
    )
    assert (mine.credit_sales, mine.cash_collected) == (Decimal("400.00"), Decimal("250.00"))
    # 500 EUR at 1.20, due Feb 15: 33 days past due
    assert (rows[bob.pk].days_31_60, rows[bob.pk].total, rows[bob.pk].credit_sales) == (
        Decimal("600.00"),
        Decimal("600.00"),
        Decimal("0.00"),
    )
    assert (rows[None].over_120, rows[None].total) == (Decimal("99.99"), Decimal("99.99"))


def test_the_collectors_rows_add_up_to_the_company_snapshot_to_the_cent(team):
    company = snapshot_take(day=DAY)

    rows = _rows().values()
    for field in ["total", *ARSnapshot.BUCKET_FIELDS.values(), "credit_sales", "cash_collected"]:
        assert sum(getattr(row, field) for row in rows) == getattr(company, field), field
    assert sum(row.open_items for row in rows) == company.open_items


def test_retaking_a_day_rewrites_its_collector_rows(team):
    alice, _ = team
    snapshot_take(day=DAY)
    invoice(CustomerFactory(assigned_collector=alice), "10.00", issue_date=DAY)

    snapshot_take(day=DAY)

    assert CollectorSnapshot.objects.filter(date=DAY, collector=alice).count() == 1
    assert _rows()[alice.pk].credit_sales == Decimal("410.00")


def test_the_daily_task_and_the_backfill_write_collector_rows(team):
    alice, _ = team

    ar_snapshot_daily(DAY.isoformat())
    call_command("backfill_snapshots", "--start", "2026-03-01", "--end", "2026-03-03")

    assert _rows()[alice.pk].total == Decimal("1150.00")
    assert sorted(
        CollectorSnapshot.objects.filter(collector=alice).values_list("date", flat=True)
    ) == [datetime.date(2026, 3, d) for d in (1, 2, 3)] + [DAY]


def test_backfill_if_missing_fills_days_written_before_collector_snapshots(team):
    alice, _ = team
    snapshot_take(day=DAY)
    CollectorSnapshot.objects.all().delete()  # as a day snapshotted before this table

    call_command(
        "backfill_snapshots", "--start", DAY.isoformat(), "--end", DAY.isoformat(), "--if-missing"
    )

    assert _rows()[alice.pk].total == Decimal("1150.00")


def test_the_database_refuses_a_total_that_is_not_the_sum_of_the_buckets(team):
    alice, _ = team
    snapshot_take(day=DAY)

    with (
        pytest.raises(IntegrityError, match="collector_snapshot_total_is_sum_of_buckets"),
        transaction.atomic(),
    ):
        CollectorSnapshot.objects.filter(date=DAY, collector=alice).update(total=Decimal("1.00"))


def test_one_unassigned_row_per_day(team):
    snapshot_take(day=DAY)
    row = CollectorSnapshot.objects.get(date=DAY, collector=None)
    row.pk = None

    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()
