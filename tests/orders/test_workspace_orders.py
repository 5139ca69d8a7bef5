"""The account workspace shows the account's open orders with status and held reasons,
through the workspace extension hook (the workflow does not import orders)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.services import order_cancel
from tests.factories import invoice

from .conftest import SHIP, logged_in, receive

pytestmark = pytest.mark.django_db


def test_the_workspace_lists_open_orders_with_status_and_reasons(collector, customer):
    invoice(customer, "45000.00", issue_date=timezone.localdate())
    released = receive(customer, "1000.00", "SO-OK")
    held = receive(customer, "9000.00", "SO-BIG")
    gone = receive(customer, "10.00", "SO-GONE")
    order_cancel(actor=None, order=gone)

    page = logged_in(collector).get(f"/customers/{customer.pk}/")

    assert page.status_code == 200
    panel = page.content.decode().split('aria-labelledby="orders-h"')[1].split("</section>")[0]
    assert f'id="ws-order-{released.pk}"' in panel and f'id="ws-order-{held.pk}"' in panel
    assert "SO-GONE" not in panel
    assert "Held for credit review" in panel and "Released" in panel
    assert held.reasons[0]["text"] in panel  # over the limit, by how much
    assert panel.index("SO-BIG") < panel.index("SO-OK")  # same ship date: the larger first


def test_a_partly_invoiced_order_shows_its_open_part(collector, customer):
    receive(customer, "1000.00", "SO-1")
    invoice(customer, "400.00", po_number="SO-1", issue_date=timezone.localdate())

    page = logged_in(collector).get(f"/customers/{customer.pk}/").content.decode()

    panel = page.split('aria-labelledby="orders-h"')[1].split("</section>")[0]
    assert "partly invoiced" in panel
    assert "600.00" in panel and "1,000.00" not in panel


def test_the_panel_costs_one_query_whatever_the_number_of_orders(collector, customer):
    client = logged_in(collector)
    receive(customer, "10.00", "SO-0")
    client.get(f"/customers/{customer.pk}/")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/customers/{customer.pk}/").status_code == 200
        return len(captured)

    one = count()
    for index in range(1, 15):
        receive(customer, "10.00", f"SO-{index}", ship=SHIP)
    fifteen = count()

    assert fifteen == one
    assert "More open orders" in client.get(f"/customers/{customer.pk}/").content.decode()
