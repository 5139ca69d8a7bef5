"""The order decision API at generate_data scale (50,000 customers, 2M invoices): p95 of
``POST /api/v1/orders/`` with 1 and with 8 concurrent clients (target: 50 ms p95 at one),
beside the hand-written SQL for one customer's exposure (the lower bound: a decision must
at least know it). Every order the bench sends is deleted afterwards, with its decisions,
webhook rows and audit entries."""

from __future__ import annotations

import itertools
import statistics
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from rest_framework.test import APIClient

from accounts.models import AuditEntry, Customer
from orders.models import Order, OrderDecision, WebhookDelivery

from .conftest import count_queries, measure, report

pytestmark = pytest.mark.django_db

PREFIX = "BENCH-SO-"
BENCH_USER = "bench-order-erp"
CLIENTS = 8
PER_CLIENT = 40
EXPOSURE_SQL = """
SELECT
  (SELECT COALESCE(SUM(open_amount), 0) FROM invoices_invoice
    WHERE customer_id = %(c)s AND open_amount > 0)
  - (SELECT COALESCE(SUM(unapplied_amount), 0) FROM invoices_payment
    WHERE customer_id = %(c)s AND unapplied_amount > 0)
  - (SELECT COALESCE(SUM(unapplied_amount), 0) FROM invoices_creditmemo
    WHERE customer_id = %(c)s AND unapplied_amount > 0)
  + (SELECT COALESCE(SUM(amount - invoiced_amount), 0) FROM orders_order
    WHERE customer_id = %(c)s AND status IN ('held', 'released'))
"""


@pytest.fixture
def erp(bench_db):
    """A superuser committed on a connection of its own (the threads must see it); the
    orders it sends are removed again at the end."""
    made = []

    def create():
        try:
            users = get_user_model().objects
            made.append(
                users.filter(username=BENCH_USER).first()
                or users.create_superuser(BENCH_USER, password=None)
            )
        finally:
            connection.close()

    maker = threading.Thread(target=create)
    maker.start()
    maker.join()
    yield made[0]
    # the one-client orders roll back with the test's transaction; the threads committed
    # theirs on their own connections, so they are deleted on one of its own too
    cleaner = threading.Thread(target=_clean)
    cleaner.start()
    cleaner.join()


def _clean() -> None:
    try:
        _delete_bench_orders()
    finally:
        connection.close()


def _delete_bench_orders() -> None:
    with transaction.atomic():
        orders = Order.objects.filter(external_ref__startswith=PREFIX)
        ids = [str(pk) for pk in orders.values_list("pk", flat=True)]
        WebhookDelivery.objects.filter(decision__order__in=orders).delete()
        OrderDecision.objects.filter(order__in=orders).delete()
        AuditEntry.objects.filter(action__startswith="order.", object_id__in=ids).delete()
        orders.delete()
        # the bench's ERP user (no password, so no one logs in as it) stays for the next
        # run: deleting it raced the orders' deferred foreign-key checks


def _customers(n: int) -> list[tuple[int, str]]:
    """Customers with a limit spread over the id range: each request its own account."""
    rows = list(
        Customer.objects.filter(credit_limit__gt=0, currency_id="USD")
        .order_by("pk")
        .values_list("pk", "external_ref")
    )
    step = max(1, len(rows) // n)
    return rows[::step][:n]


def _poster(user, customers, counter):
    client = APIClient()
    client.force_authenticate(user)
    accounts = itertools.cycle(customers)

    def post():
        _, ref = next(accounts)
        response = client.post(
            "/api/v1/orders/",
            {
                "external_ref": f"{PREFIX}{next(counter)}",
                "customer": ref,
                "amount": "1250.00",
                "currency": "USD",
                "requested_ship_date": "2026-12-20",
            },
            format="json",
        )
        assert response.status_code == 201, response.content

    return post


def _p95(samples: list[float]) -> float:
    samples = sorted(samples)
    return samples[max(0, round(0.95 * len(samples)) - 1)]


def test_bench_order_decision_api(erp):
    # the one-client part and the threads use different accounts: the test's transaction
    # keeps its customers' row locks until it ends
    everyone = _customers(800)
    customers, for_threads = everyone[::2], everyone[1::2]
    counter = itertools.count(1)
    post = _poster(erp, customers, counter)
    ours = measure(post, repeat=100, warmup=5)
    queries = count_queries(post)
    pk = customers[0][0]

    def lower_bound():
        with connection.cursor() as cursor:
            cursor.execute(EXPOSURE_SQL, {"c": pk})
            cursor.fetchall()

    bound = measure(lower_bound, repeat=100, warmup=5)
    report("POST /api/v1/orders/ (1 client)", ours, bound, queries)

    # 8 clients at once, each thread on its own connection and its own accounts
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS, timeout=120)

    def client_thread(index: int) -> None:
        try:
            mine = for_threads[index::CLIENTS]
            send = _poster(erp, mine, counter)
            send()  # warm
            barrier.wait()
            for _ in range(PER_CLIENT):
                start = time.perf_counter()
                send()
                with lock:
                    latencies.append((time.perf_counter() - start) * 1000)
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    assert errors == []
    eight = {"median_ms": statistics.median(latencies), "p95_ms": _p95(latencies)}
    report(f"POST /api/v1/orders/ ({CLIENTS} clients)", eight, bound, queries)
    print(
        f"{CLIENTS} clients: {len(latencies)} decisions in {wall:.1f} s, "
        f"{len(latencies) / wall:.1f} decisions/s"
    )
