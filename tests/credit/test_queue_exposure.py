"""The call queue shows each account's exposure (its whole tree, as the credit page) in a
column credit adds through the queue's hook, in a constant number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CustomerFactory, invoice

from .conftest import logged_in

pytestmark = pytest.mark.django_db


def test_the_queue_shows_the_exposure_of_the_account_and_its_tree(collector):
    head = CustomerFactory(
        name="Acme Group", assigned_collector=collector, credit_limit=Decimal("2000.00")
    )
    child = CustomerFactory(
        name="Acme Tools", parent=head, assigned_collector=collector, credit_limit=Decimal("0")
    )
    invoice(head, "1000.00")  # long overdue
    invoice(child, "1500.00")

    page = logged_in(collector).get("/queue/").content.decode()

    assert '<th class="num">Exposure</th>' in page
    group = '<small class="muted">125% of limit, 2 accounts</small>'
    assert f'<td class="num">2,500.00 USD<br>{group}</td>' in page
    assert '<td class="num">1,500.00 USD<br><small class="muted">no limit</small></td>' in page


def _queries(user) -> int:
    client = logged_in(user)
    client.get("/queue/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/queue/").status_code == 200
    return len(captured.captured_queries)


def test_the_exposure_column_costs_the_same_for_2_and_for_30_accounts(collector):
    for _ in range(2):
        invoice(CustomerFactory(assigned_collector=collector, credit_limit=Decimal("10")), "5")
    two = _queries(collector)
    for _ in range(28):
        invoice(CustomerFactory(assigned_collector=collector, credit_limit=Decimal("10")), "5")

    assert _queries(collector) == two
