"""List API and page timings for a collector's portfolio at generate_data scale."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Customer

pytestmark = pytest.mark.django_db

from .conftest import count_queries, measure, report  # noqa: E402


def _busiest_collector():
    user_id = (
        Customer.objects.exclude(assigned_collector=None)
        .values_list("assigned_collector", flat=True)
        .order_by("assigned_collector")
        .first()
    )
    return get_user_model().objects.get(pk=user_id)


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        cursor.fetchall()


def test_bench_customer_list_api_for_one_collector(bench_db):
    collector = _busiest_collector()
    client = APIClient()
    client.force_authenticate(collector)

    def ours():
        response = client.get("/api/v1/customers/?ordering=name")
        assert response.status_code == 200

    def lower_bound():
        _sql(
            "SELECT count(*) FROM accounts_customer WHERE assigned_collector_id = %s",
            [collector.pk],
        )
        _sql(
            "SELECT c.id, c.external_ref, c.name, c.parent_id, c.currency_id, t.net_days, "
            "c.credit_limit, c.credit_status, u.username, c.do_not_contact, c.created_at, "
            "c.updated_at FROM accounts_customer c "
            "JOIN accounts_paymentterms t ON t.id = c.payment_terms_id "
            "LEFT JOIN auth_user u ON u.id = c.assigned_collector_id "
            "WHERE c.assigned_collector_id = %s ORDER BY c.name, c.id LIMIT 50",
            [collector.pk],
        )

    report(
        "GET /api/v1/customers/ (collector, 50 rows)",
        measure(ours),
        measure(lower_bound),
        count_queries(ours),
    )


def test_bench_open_invoice_list_api_for_one_collector(bench_db):
    collector = _busiest_collector()
    client = APIClient()
    client.force_authenticate(collector)

    def ours():
        response = client.get("/api/v1/invoices/?is_open=true&ordering=due_date")
        assert response.status_code == 200

    def lower_bound():
        where = (
            "FROM invoices_invoice i JOIN accounts_customer c ON c.id = i.customer_id "
            "WHERE c.assigned_collector_id = %s AND i.open_amount > 0"
        )
        _sql(f"SELECT count(*) {where}", [collector.pk])
        _sql(
            f"SELECT i.id, i.number, c.external_ref, i.customer_id, i.issue_date, "
            f"i.due_date, i.amount, i.currency_id, i.open_amount, i.po_number, i.created_at "
            f"{where} ORDER BY i.due_date, i.id LIMIT 50",
            [collector.pk],
        )

    report(
        "GET /api/v1/invoices/?is_open=true (collector)",
        measure(ours),
        measure(lower_bound),
        count_queries(ours),
    )


def test_bench_customer_page_for_the_largest_account(bench_db):
    collector = _busiest_collector()
    customer = (
        Customer.objects.filter(assigned_collector=collector)
        .order_by("-credit_limit", "id")
        .first()
    )
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
            "SELECT id, number, issue_date, due_date, amount, open_amount FROM invoices_invoice "
            "WHERE customer_id = %s AND open_amount > 0 ORDER BY due_date, id LIMIT 200",
            [customer.pk],
        )

    report(
        f"GET /customers/<id>/ ({customer.external_ref})",
        measure(ours),
        measure(lower_bound),
        count_queries(ours),
    )
