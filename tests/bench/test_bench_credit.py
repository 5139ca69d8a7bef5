"""Credit control at generate_data scale (50,000 customers, 2M invoices): the nightly risk
score of every customer.

It writes only the derived table it measures (``credit_customerrisk``, rewritten by every
nightly run anyway). Needs the credit migrations applied to the bench database:

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/dunwell_bench \\
        .venv/bin/python manage.py migrate credit
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dunwell_bench \\
        .venv/bin/pytest tests/bench/test_bench_credit.py -s --benchmarks
"""

import datetime

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from accounts.models import Customer
from credit import services
from credit.models import CustomerRisk

from .conftest import count_queries, measure, report

pytestmark = pytest.mark.django_db


def test_bench_nightly_risk_score_of_every_customer(bench_db):
    customers = Customer.objects.count()
    today = timezone.localdate()

    def ours():
        assert services.risk_scores_refresh() == customers

    def lower_bound():
        # the one scan nobody can avoid: every settled invoice of the last 15 months,
        # grouped by customer, with the averages the score needs
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT customer_id, count(*), avg(GREATEST(last_movement_date - due_date, 0)) "
                "FROM invoices_invoice WHERE open_amount = 0 "
                "AND last_movement_date >= %s AND last_movement_date <= %s GROUP BY customer_id",
                [today - datetime.timedelta(days=455), today],
            )
            cursor.fetchall()

    line = report(
        f"risk score, {customers} customers",
        measure(ours, repeat=3, warmup=1),
        measure(lower_bound, repeat=3, warmup=1),
        count_queries(ours),
    )
    classes = dict(
        CustomerRisk.objects.values_list("risk_class").annotate(n=Count("pk")).order_by()
    )
    print(f"{line}\n  classes: {classes}")


def test_bench_credit_inbox_with_5000_open_items(bench_db):
    """The inbox page (200 oldest of at least 5,000 items) for a credit manager with the
    team view. Items are made due here if the book has fewer (credit reviews due, a derived
    row per customer); the test's transaction rolls them back."""
    from django.test import Client

    from accounts import roles
    from credit.selectors import inbox_count
    from tests.factories import user_in_role

    manager = user_in_role(roles.CREDIT_MANAGER, "bench-credit-manager")
    missing = 5000 - inbox_count(manager)
    if missing > 0:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO credit_creditreviewdate (customer_id, next_review_on) "
                "SELECT id, %s - (id %% 300)::int FROM accounts_customer ORDER BY id LIMIT %s "
                "ON CONFLICT (customer_id) DO UPDATE SET next_review_on = EXCLUDED.next_review_on",
                [timezone.localdate(), missing + 100],
            )
    items = inbox_count(manager)
    assert items >= 5000
    client = Client()
    client.force_login(manager)

    def ours():
        assert client.get("/credit/").status_code == 200

    def lower_bound():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 'review', customer_id, next_review_on::timestamptz FROM "
                "credit_creditreviewdate WHERE next_review_on <= %s "
                "UNION ALL SELECT 'escalation', id, raised_at FROM collections_app_escalation "
                "WHERE status = 'open' ORDER BY 3, 2 LIMIT 200",
                [timezone.localdate()],
            )
            cursor.fetchall()

    report(
        f"GET /credit/ ({items} open items)",
        measure(ours, repeat=30, warmup=3),
        measure(lower_bound, repeat=30, warmup=3),
        count_queries(ours),
    )


def test_bench_nightly_hold_rules_of_every_customer(bench_db):
    """One rule of each kind over every customer: the set-based conditions, then a whole
    night's run twice (the first fires every match through the credit service, the second
    is a normal night: nothing new). The test's transaction rolls the rules and hits back."""
    import time

    from credit.hold_rules import hold_rule_save, hold_rules_evaluate, rule_matches

    services.risk_scores_refresh()
    rules = [
        hold_rule_save(
            actor=None, name="bench over", kind="over_limit", action="notify", over_limit_pct="50"
        ),
        hold_rule_save(
            actor=None,
            name="bench past due",
            kind="past_due",
            action="notify",
            days=120,
            amount="50000.00",
            currency="USD",
        ),
        hold_rule_save(
            actor=None, name="bench broken", kind="broken_promise", action="notify", days=30
        ),
        hold_rule_save(actor=None, name="bench risk", kind="risk_high", action="notify"),
    ]
    for rule in rules:
        start = time.perf_counter()
        matches = rule_matches(rule)
        print(
            f"  condition {rule.kind:<16} {len(matches):6d} customers "
            f"{(time.perf_counter() - start) * 1000:8.1f} ms"
        )
    for night in ("first night (fires every match)", "second night (nothing new)"):
        start = time.perf_counter()
        run = hold_rules_evaluate()
        print(
            f"  {night:<34} fired {len(run.fired):6d} cleared {len(run.cleared):4d} "
            f"{(time.perf_counter() - start):8.1f} s"
        )
