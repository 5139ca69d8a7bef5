"""One rounding rule for portfolio figures in the reporting currency: each open item is
converted on its own, rounded to the cent (half away from zero), and the cents are summed.
The team page (from the queue's stored amounts) and the dashboard's per-collector table
(from the daily snapshots) show the same overdue figure for the same portfolio."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import roles
from accounts.models import Currency, ExchangeRate
from collections_app.services import queue_state_refresh
from invoices.models import Invoice
from reporting.snapshots import snapshot_take
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

# rates with more places than cents, so that rounding each item and rounding each sum differ
RATES = {"EUR": Decimal("1.08375"), "GBP": Decimal("1.26731"), "CAD": Decimal("0.73117")}
CENT = Decimal("0.01")


def _rates():
    for code, rate in RATES.items():
        ExchangeRate.objects.create(
            currency_id=code,
            quote_currency_id="USD",
            valid_from=datetime.date(2020, 1, 1),
            rate=rate,
        )


def _per_item(collector) -> Decimal:
    """The rule, written out: every overdue open item converted and rounded, then summed."""
    today = datetime.date.today()
    total = Decimal("0.00")
    for item in Invoice.objects.filter(
        customer__assigned_collector=collector, open_amount__gt=0, due_date__lt=today
    ):
        rate = RATES.get(item.currency_id, Decimal(1))
        total += (item.open_amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return total


def _figures(manager, collectors) -> tuple[dict, dict]:
    client = Client()
    client.force_login(manager)
    team = client.get("/team/")
    today = datetime.date.today().isoformat()
    dashboard = client.get(f"/dashboard/?start={today}&end={today}")
    assert team.status_code == dashboard.status_code == 200
    by_team = {row["user"].pk: row["user"].overdue for row in team.context["rows"]}
    by_dashboard = {
        row.collector_id: row.overdue_ar for row in dashboard.context["collectors"].rows
    }
    return (
        {c.username: by_team[c.pk] for c in collectors},
        {c.username: by_dashboard[c.pk] for c in collectors},
    )


def _portfolio(collector, amounts: list[tuple[str, str]], tag: str) -> None:
    """Customers in each currency, their invoices all overdue (due 5 to 200 days ago)."""
    customers = {}
    for n, (code, amount) in enumerate(amounts):
        if code not in customers:
            customers[code] = CustomerFactory(
                assigned_collector=collector, currency=Currency.objects.get(code=code)
            )
        issue = datetime.date.today() - datetime.timedelta(days=35 + (n * 37) % 195)
        invoice(customers[code], amount, number=f"{tag}-{n:04d}", issue_date=issue, due_days=30)


def test_the_team_page_and_the_dashboard_show_the_same_overdue_to_the_cent():
    _rates()
    manager = user_in_role(roles.CREDIT_MANAGER, "carla")
    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob")
    # 10.05 EUR is 10.8916875 USD: three of them are 32.67 item by item, 32.68 summed first
    _portfolio(alice, [("EUR", "10.05")] * 3 + [("GBP", "99.99"), ("USD", "12.34")], "A")
    _portfolio(bob, [("CAD", "0.35")] * 7 + [("GBP", "0.05")] * 5 + [("EUR", "1234.57")], "B")
    queue_state_refresh()
    snapshot_take(day=datetime.date.today())

    team, dashboard = _figures(manager, [alice, bob])

    assert team == dashboard == {"alice": _per_item(alice), "bob": _per_item(bob)}
    assert team["alice"] == Decimal("32.67") + Decimal("126.72") + Decimal("12.34")


AMOUNTS = st.lists(
    st.tuples(
        st.sampled_from(["EUR", "GBP", "CAD", "USD"]),
        st.decimals(min_value="0.01", max_value="5000", places=2).map(str),
    ),
    min_size=1,
    max_size=12,
)


class _Undo(Exception):
    """Leaves each generated portfolio behind: the example's savepoint is rolled back."""


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alice_items=AMOUNTS, bob_items=AMOUNTS)
def test_any_multi_currency_portfolio_rounds_the_same_on_both_pages(alice_items, bob_items):
    try:
        with transaction.atomic():
            _rates()
            manager = user_in_role(roles.CREDIT_MANAGER, "carla")
            alice = user_in_role(roles.COLLECTOR, "alice")
            bob = user_in_role(roles.COLLECTOR, "bob")
            _portfolio(alice, alice_items, "A")
            _portfolio(bob, bob_items, "B")
            queue_state_refresh()
            snapshot_take(day=datetime.date.today())

            team, dashboard = _figures(manager, [alice, bob])

            assert team == dashboard == {"alice": _per_item(alice), "bob": _per_item(bob)}
            raise _Undo
    except _Undo:
        pass
