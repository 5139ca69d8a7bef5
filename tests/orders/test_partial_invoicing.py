"""An order invoiced in parts: each invoice naming it moves that much from open orders to
AR, in the ledger's transaction; exposure neither counts an amount twice nor drops one;
the order is partly invoiced until the invoices cover it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.errors import ServiceError
from credit import order_services
from credit.exposure import exposure_for
from credit.order_selectors import release_queue
from orders.models import Order, OrderDecision
from orders.services import order_cancel
from tests.factories import CustomerFactory, invoice

from .conftest import api, receive

pytestmark = pytest.mark.django_db

D = Decimal


def _figures(customer) -> tuple[Decimal, Decimal, Decimal]:
    exposure = exposure_for(customer)
    return exposure.open_ar, exposure.open_orders, exposure.total


def _bill(customer, amount: str, ref: str, **kw):
    return invoice(customer, amount, po_number=ref, issue_date=timezone.localdate(), **kw)


def test_two_invoices_move_the_order_to_ar_in_two_steps(erp, customer):
    order = receive(customer, "10000.00", "SO-1")
    assert _figures(customer) == (D("0.00"), D("10000.00"), D("10000.00"))

    first = _bill(customer, "4000.00", "SO-1")
    order.refresh_from_db()
    assert (order.status, order.invoicing, order.invoiced_amount) == (
        "released",
        "partly_invoiced",
        D("4000.00"),
    )
    assert order.invoice == first
    assert _figures(customer) == (D("4000.00"), D("6000.00"), D("10000.00"))
    got = api(erp).get("/api/v1/orders/SO-1/").json()
    assert (got["decision"], got["invoicing"], got["invoiced_amount"], got["open_amount"]) == (
        "released",
        "partly_invoiced",
        "4000.00",
        "6000.00",
    )

    second = _bill(customer, "6000.00", "SO-1")
    order.refresh_from_db()
    assert (order.status, order.invoicing, order.invoiced_amount, order.invoice) == (
        "invoiced",
        "invoiced",
        D("10000.00"),
        second,
    )
    assert _figures(customer) == (D("10000.00"), D("0.00"), D("10000.00"))
    assert list(
        OrderDecision.objects.filter(order=order, kind="invoiced").values_list(
            "status_before", "status_after", "comment"
        )
    ) == [
        (
            "released",
            "released",
            f"invoice {first.number}: 4,000.00 USD of 10,000.00 USD invoiced, "
            "6,000.00 USD still open",
        ),
        (
            "released",
            "invoiced",
            f"invoice {second.number}: 10,000.00 USD of 10,000.00 USD invoiced",
        ),
    ]


def test_an_invoice_for_more_than_is_left_adds_only_the_excess_to_exposure(customer):
    order = receive(customer, "10000.00", "SO-1")
    _bill(customer, "7000.00", "SO-1")

    _bill(customer, "5000.00", "SO-1")  # freight or a price change: 2,000.00 more than ordered

    order.refresh_from_db()
    assert (order.status, order.invoiced_amount) == ("invoiced", D("10000.00"))
    assert _figures(customer) == (D("12000.00"), D("0.00"), D("12000.00"))


def test_an_invoice_in_another_currency_or_for_another_customer_moves_nothing(customer):
    order = receive(customer, "10000.00", "SO-1")
    _bill(CustomerFactory(external_ref="OTHER"), "3000.00", "SO-1")
    _bill(customer, "500.00", "SO-2")

    order.refresh_from_db()
    assert (order.invoiced_amount, order.invoicing) == (D("0.00"), "not_invoiced")
    assert _figures(customer) == (D("500.00"), D("10000.00"), D("10500.00"))


def test_a_held_order_partly_invoiced_stays_held_for_the_rest(manager, customer):
    invoice(customer, "45000.00", issue_date=timezone.localdate())
    order = receive(customer, "10000.00", "SO-1")
    assert order.status == "held"  # 55,000 over the 50,000 limit

    _bill(customer, "4000.00", "SO-1")  # the ERP shipped part anyway

    order.refresh_from_db()
    assert (order.status, order.invoicing) == ("held", "partly_invoiced")
    # held orders are outside committed exposure; the invoiced part is AR now
    assert _figures(customer) == (D("49000.00"), D("6000.00"), D("55000.00"))
    row = next(row for row in release_queue(manager) if row.order.pk == order.pk)
    assert (row.figures.exposure_before, row.figures.exposure_after) == (
        D("49000.00"),
        D("55000.00"),
    )
    with pytest.raises(ServiceError) as refused:
        order_services.order_release(actor=manager, order=order, comment="ok")
    assert refused.value.code == "over_limit"
    assert "55,000.00 USD" in refused.value.message


def test_a_change_may_not_go_below_what_is_invoiced_and_a_cancel_drops_only_the_rest(erp, customer):
    receive(customer, "10000.00", "SO-1")
    _bill(customer, "4000.00", "SO-1")

    below = api(erp).patch("/api/v1/orders/SO-1/", {"amount": "3000.00"}, format="json")
    grown = api(erp).patch("/api/v1/orders/SO-1/", {"amount": "12000.00"}, format="json")

    assert (below.status_code, below.json()["field"]) == (400, "amount")
    assert (grown.status_code, grown.json()["open_amount"]) == (200, "8000.00")
    assert _figures(customer) == (D("4000.00"), D("8000.00"), D("12000.00"))
    assert grown.json()["exposure_after"] == "12000.00"

    order_cancel(actor=erp, order=Order.objects.get())

    assert _figures(customer) == (D("4000.00"), D("0.00"), D("4000.00"))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ordered=st.integers(min_value=1, max_value=50_000),
    parts=st.lists(st.integers(min_value=1, max_value=30_000), min_size=1, max_size=6),
)
def test_exposure_holds_through_any_sequence_of_partial_invoices(customer, ordered, parts):
    with transaction.atomic():
        order = receive(customer, f"{ordered}.00", "SO-H")
        billed = 0
        for part in parts:
            _bill(customer, f"{part}.00", "SO-H")
            billed += part
            order.refresh_from_db()
            open_part = max(0, ordered - billed)
            open_ar, open_orders, total = _figures(customer)
            assert open_ar == billed
            assert open_orders == open_part
            assert total == billed + open_part  # never twice, never dropped
            assert order.invoiced_amount == min(ordered, billed)
            assert order.status == ("invoiced" if billed >= ordered else "released")
            assert order.invoicing == ("invoiced" if billed >= ordered else "partly_invoiced")
        transaction.set_rollback(True)
