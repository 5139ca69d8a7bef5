"""The set-based back-fill: one statement per day, and each day's rows equal to what the
aging, daily_sales and daily_cash say on their own for that day."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.fx import RateBook
from accounts.models import Currency, Customer, ExchangeRate
from invoices.services.allocations import Allocation
from reporting.aging import AgingQuery, aging
from reporting.kpis import daily_cash, daily_sales
from reporting.models import ARSnapshot, CollectorSnapshot
from reporting.snapshots import TOP, snapshots_backfill
from tests.factories import CustomerFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db

START, END = datetime.date(2026, 2, 20), datetime.date(2026, 3, 12)


def _ledger(seed: int) -> None:
    """Three portfolios and the unassigned, four currencies, rates that change in the
    period, part-paid invoices: random but reproducible."""
    rng = random.Random(seed)
    for code, rate in (("EUR", "1.08375"), ("GBP", "1.26731"), ("CAD", "0.73117")):
        for valid_from, bump in ((datetime.date(2025, 1, 1), "0"), (START, "0.01113")):
            ExchangeRate.objects.create(
                currency_id=code,
                quote_currency_id="USD",
                valid_from=valid_from + datetime.timedelta(days=rng.randrange(10)),
                rate=Decimal(rate) + Decimal(bump),
            )
    owners = [user_in_role(roles.COLLECTOR, name) for name in ("alice", "bob", "carol")]
    owners.append(None)
    for n in range(14):
        code = rng.choice(["USD", "EUR", "GBP", "CAD"])
        customer = CustomerFactory(
            name=f"Customer {n:02d}",
            assigned_collector=rng.choice(owners),
            currency=Currency.objects.get(code=code),
        )
        for _ in range(rng.randrange(1, 6)):
            issue = END - datetime.timedelta(days=rng.randrange(0, 200))
            amount = Decimal(rng.randrange(100, 500_000)) / 100
            item = invoice(
                customer, str(amount), issue_date=issue, due_days=rng.choice([10, 30, 60])
            )
            if rng.random() < 0.4:
                paid = (amount * Decimal(rng.choice(["0.25", "0.5", "1"]))).quantize(
                    Decimal("0.01")
                )
                received = issue + datetime.timedelta(days=rng.randrange(0, 40))
                payment(
                    customer,
                    str(paid),
                    received_date=min(received, END),
                    allocations=[Allocation(invoice_id=item.pk, amount=paid)],
                )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_back_filled_day_is_the_aging_sales_and_cash_of_that_day(seed):
    _ledger(seed)

    written = snapshots_backfill(start=START, end=END)

    assert written == (END - START).days + 1
    book = RateBook.load()
    customers = Customer.objects.all()
    owners = dict(customers.values_list("id", "assigned_collector_id"))
    for n in range(written):
        day = START + datetime.timedelta(days=n)
        snapshot = ARSnapshot.objects.get(date=day)
        report = aging(AgingQuery(customers=customers, as_of=day, rates=book.on(day)))
        assert {b: getattr(snapshot, f) for b, f in ARSnapshot.BUCKET_FIELDS.items()} == (
            report.buckets
        )
        assert (snapshot.total, snapshot.open_items) == (report.total, report.items)
        assert snapshot.credit_sales == daily_sales(customers, day, day, book).get(
            day, Decimal("0.00")
        )
        assert snapshot.cash_collected == daily_cash(customers, day, day, book).get(
            day, Decimal("0.00")
        )
        overdue = sorted(
            ((row.total - row.buckets["current"], row) for row in report.rows),
            key=lambda pair: (-pair[0], pair[1].key),
        )
        assert snapshot.top_overdue == [
            {"id": int(row.key), "name": row.label, "overdue": str(amount), "items": row.items}
            for amount, row in overdue[:TOP]
            if amount > 0
        ]
        by_collector = {}
        for row in report.rows:
            owner = owners[int(row.key)]
            total, items = by_collector.get(owner, (Decimal("0.00"), 0))
            by_collector[owner] = (total + row.total, items + row.items)
        rows = CollectorSnapshot.objects.filter(date=day)
        assert {row.collector_id for row in rows} == set(owners.values())
        for row in rows:
            assert (row.total, row.open_items) == by_collector.get(
                row.collector_id, (Decimal("0.00"), 0)
            )
            portfolio = customers.filter(assigned_collector_id=row.collector_id)
            if row.collector_id is None:
                portfolio = customers.filter(assigned_collector__isnull=True)
            # a portfolio's sales and cash: per currency of the portfolio, then converted
            assert row.credit_sales == daily_sales(portfolio, day, day, book).get(
                day, Decimal("0.00")
            )
            assert row.cash_collected == daily_cash(portfolio, day, day, book).get(
                day, Decimal("0.00")
            )


def test_the_back_fill_runs_one_statement_per_day_and_a_few_for_the_whole_run(eur_rates):
    invoice(CustomerFactory(), "100.00", issue_date=START, due_days=30)

    def statements(days: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            snapshots_backfill(start=START, end=START + datetime.timedelta(days=days - 1))
        return len(captured.captured_queries)

    one, thirty = statements(1), statements(30)

    assert thirty - one == 29
