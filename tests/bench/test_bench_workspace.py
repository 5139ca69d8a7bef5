"""The collector's queue and workspace at generate_data scale (50,000 accounts, 2M invoices).

Needs the bench database migrated and its scores computed:
``manage.py migrate && manage.py refresh_queue`` (the test refreshes if none are stored).
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client

from accounts.models import Customer
from collections_app.models import QueueState
from collections_app.services import queue_state_refresh
from invoices.models import Invoice

pytestmark = pytest.mark.django_db

from .conftest import count_queries, measure, report  # noqa: E402


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        cursor.fetchall()


@pytest.fixture
def scored(bench_db):
    if not QueueState.objects.exists():
        queue_state_refresh()


def _busiest_collector():
    row = (
        Customer.objects.exclude(assigned_collector=None)
        .values("assigned_collector")
        .annotate(n=Count("id"))
        .order_by("-n", "assigned_collector")
        .first()
    )
    return get_user_model().objects.get(pk=row["assigned_collector"]), row["n"]


def test_bench_queue_for_one_collector(scored):
    collector, accounts = _busiest_collector()
    client = Client()
    client.force_login(collector)

    def ours():
        response = client.get("/queue/")
        assert response.status_code == 200

    def lower_bound():
        where = (
            "FROM collections_app_queuestate q JOIN accounts_customer c ON c.id = q.customer_id "
            "WHERE c.assigned_collector_id = %s AND q.in_queue"
        )
        _sql(f"SELECT count(*) {where}", [collector.pk])
        _sql(
            f"SELECT q.*, c.name, c.external_ref, c.credit_status {where} "
            "ORDER BY q.score DESC, q.customer_id LIMIT 50",
            [collector.pk],
        )

    report(
        f"GET /queue/ ({collector.username}, {accounts} accounts)",
        measure(ours),
        measure(lower_bound),
        count_queries(ours),
    )


def test_bench_workspace_for_the_account_with_most_open_invoices(scored):
    collector, _ = _busiest_collector()
    row = (
        Invoice.objects.filter(open_amount__gt=0, customer__assigned_collector=collector)
        .values("customer")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    customer = Customer.objects.get(pk=row["customer"])
    total = Invoice.objects.filter(customer=customer).count()
    client = Client()
    client.force_login(collector)

    def ours():
        response = client.get(f"/customers/{customer.pk}/")
        assert response.status_code == 200

    def lower_bound():
        _sql(
            "SELECT currency_id, sum(open_amount), count(*) FROM invoices_invoice "
            "WHERE customer_id = %s AND open_amount > 0 GROUP BY currency_id",
            [customer.pk],
        )
        _sql(
            "SELECT id, number, due_date, amount, open_amount FROM invoices_invoice "
            "WHERE customer_id = %s AND open_amount > 0 ORDER BY due_date, id LIMIT 100",
            [customer.pk],
        )
        _sql(
            "SELECT occurred_at, kind, summary FROM collections_app_activity "
            "WHERE customer_id = %s ORDER BY occurred_at DESC LIMIT 25",
            [customer.pk],
        )

    report(
        f"GET /customers/<id>/ ({row['n']} open of {total} invoices)",
        measure(ours),
        measure(lower_bound),
        count_queries(ours),
    )


ISSUE_ACCOUNTS = 2_000
ISSUE_INVOICES = 2_000


def _queue_lower_bound(collector):
    where = (
        "FROM collections_app_queuestate q JOIN accounts_customer c ON c.id = q.customer_id "
        "WHERE c.assigned_collector_id = %s AND q.in_queue"
    )
    _sql(f"SELECT count(*) {where}", [collector.pk])
    _sql(
        f"SELECT q.*, c.name, c.external_ref, c.credit_status {where} "
        "ORDER BY q.score DESC, q.customer_id LIMIT 50",
        [collector.pk],
    )


def _collector_holding(accounts: int):
    """gen_collector01 given exactly ``accounts`` accounts: its own plus others', rolled back
    with the test's transaction."""
    collector = get_user_model().objects.get(username="gen_collector01")
    own = list(
        Customer.objects.filter(assigned_collector=collector)
        .order_by("pk")
        .values_list("pk", flat=True)[:accounts]
    )
    others = list(
        Customer.objects.exclude(assigned_collector=collector)
        .order_by("pk")
        .values_list("pk", flat=True)[: accounts - len(own)]
    )
    Customer.objects.filter(pk__in=others).update(assigned_collector=collector)
    Customer.objects.filter(assigned_collector=collector).exclude(pk__in=own + others).update(
        assigned_collector=None
    )
    queue_state_refresh(customer_ids=own + others)
    return collector


def test_bench_queue_for_a_collector_holding_2000_of_50000_accounts(scored):
    collector = _collector_holding(ISSUE_ACCOUNTS)
    held = Customer.objects.filter(assigned_collector=collector).count()
    queued = QueueState.objects.filter(customer__assigned_collector=collector, in_queue=True)
    client = Client()
    client.force_login(collector)

    def ours():
        response = client.get("/queue/")
        assert response.status_code == 200

    report(
        f"GET /queue/ ({held} of {Customer.objects.count()} accounts, {queued.count()} queued)",
        measure(ours),
        measure(lambda: _queue_lower_bound(collector)),
        count_queries(ours),
    )
    assert held == ISSUE_ACCOUNTS


def test_bench_workspace_of_an_account_with_2000_invoices(scored):
    collector = get_user_model().objects.get(username="gen_collector01")
    customer = (
        Customer.objects.filter(assigned_collector=collector, currency_id="USD")
        .order_by("pk")
        .first()
    )
    today = datetime.date.today()
    Invoice.objects.bulk_create(
        Invoice(
            number=f"BENCH-{customer.pk}-{n:05d}",
            customer=customer,
            issue_date=today - datetime.timedelta(days=30 + n % 150),
            due_date=today - datetime.timedelta(days=n % 150),
            amount=Decimal("1250.00") + n,
            open_amount=Decimal("1250.00") + n,
            currency_id="USD",
        )
        for n in range(ISSUE_INVOICES)
    )
    queue_state_refresh(customer_ids=[customer.pk])
    total = Invoice.objects.filter(customer=customer).count()
    open_count = Invoice.objects.filter(customer=customer, open_amount__gt=0).count()
    client = Client()
    client.force_login(collector)

    def ours():
        response = client.get(f"/customers/{customer.pk}/?from=queue")
        assert response.status_code == 200

    def lower_bound():
        _sql(
            "SELECT currency_id, sum(open_amount), count(*) FROM invoices_invoice "
            "WHERE customer_id = %s AND open_amount > 0 GROUP BY currency_id",
            [customer.pk],
        )
        _sql(
            "SELECT id, number, due_date, amount, open_amount FROM invoices_invoice "
            "WHERE customer_id = %s AND open_amount > 0 ORDER BY due_date, id LIMIT 100",
            [customer.pk],
        )
        _sql(
            "SELECT occurred_at, kind, summary FROM collections_app_activity "
            "WHERE customer_id = %s ORDER BY occurred_at DESC LIMIT 25",
            [customer.pk],
        )

    report(
        f"GET /customers/<id>/ ({open_count} open of {total} invoices)",
        measure(ours),
        measure(lower_bound),
        count_queries(ours),
    )
    assert total >= ISSUE_INVOICES


def test_bench_nightly_refresh_of_every_score(scored):
    import time

    started = time.perf_counter()
    rows = queue_state_refresh().rows
    elapsed = time.perf_counter() - started
    print(f"queue_state_refresh() for all {rows} customers: {elapsed:.1f} s")
    assert elapsed < 120
