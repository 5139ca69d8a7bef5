"""An order after it is decided: the ERP changes or cancels it, an invoice carrying its
reference takes it out of open orders; ``GET /api/v1/orders/<ref>/`` tells the story."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from credit import order_services
from credit import services as credit_services
from credit.exposure import exposure_for
from orders.models import Order
from tests.factories import CustomerFactory, invoice, payment
from tests.factories import collector as another_collector

from .conftest import SHIP, api, body, receive

pytestmark = pytest.mark.django_db

# API id routes whose reach these tests check; tests/collections_app/test_reach.py requires them.
API_ROUTES = {
    ("api_order_detail", "get"),
    ("api_order_detail", "patch"),
    ("api_order_cancel", "post"),
}


def test_patching_the_amount_changes_exposure_and_may_hold_the_order(erp, customer):
    api(erp).post("/api/v1/orders/", body(amount="30000.00"), format="json")

    response = api(erp).patch("/api/v1/orders/SO-1/", {"amount": "55000.00"}, format="json")

    assert response.status_code == 200
    data = response.json()
    assert (data["decision"], data["exposure_before"], data["exposure_after"]) == (
        "held",
        "0.00",
        "55000.00",
    )
    assert [r["code"] for r in data["reasons"]] == ["over_limit"]
    assert [h["kind"] for h in data["history"]] == ["received", "changed"]
    assert exposure_for(customer).open_orders == Decimal("55000.00")


def test_a_smaller_amount_keeps_a_released_order_released(erp, customer):
    api(erp).post("/api/v1/orders/", body(amount="30000.00"), format="json")

    response = api(erp).patch(
        "/api/v1/orders/SO-1/", {"amount": "100.00", "requested_ship_date": "2027-01-05"}
    )

    assert response.json()["decision"] == "released"
    order = Order.objects.get()
    assert (order.amount, order.requested_ship_date.isoformat()) == (
        Decimal("100.00"),
        "2027-01-05",
    )
    assert (
        order.decisions.last().comment == "amount 30,000.00 USD → 100.00 USD; ship date 2027-01-05"
    )


def test_cancelling_takes_the_order_out_of_exposure(erp, customer):
    api(erp).post("/api/v1/orders/", body(amount="30000.00"), format="json")

    response = api(erp).post("/api/v1/orders/SO-1/cancel/", {"comment": "customer withdrew"})

    assert (response.status_code, response.json()["decision"]) == (200, "cancelled")
    assert exposure_for(customer).open_orders == Decimal("0.00")
    again = api(erp).post("/api/v1/orders/SO-1/cancel/")
    assert again.status_code == 200
    assert Order.objects.get().decisions.count() == 2


def test_a_cancelled_order_cannot_change(erp, customer):
    api(erp).post("/api/v1/orders/", body(), format="json")
    api(erp).post("/api/v1/orders/SO-1/cancel/")
    audits = AuditEntry.objects.count()

    response = api(erp).patch("/api/v1/orders/SO-1/", {"amount": "5.00"}, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "invalid_transition")
    assert Order.objects.get().amount == Decimal("1000.00")
    assert AuditEntry.objects.count() == audits


def test_an_invoice_with_the_orders_reference_moves_it_from_open_orders_to_ar(customer):
    order = receive(customer, "12000.00", "SO-77")
    other = CustomerFactory(external_ref="OTHER")
    invoice(other, "999.00", po_number="SO-77")  # another customer's PO: not this order
    assert Order.objects.get().status == "released"

    inv = invoice(customer, "12000.00", po_number="SO-77", issue_date=timezone.localdate())

    order.refresh_from_db()
    assert (order.status, order.invoice) == ("invoiced", inv)
    exposure = exposure_for(customer)
    assert (exposure.open_ar, exposure.open_orders, exposure.total) == (
        Decimal("12000.00"),
        Decimal("0.00"),
        Decimal("12000.00"),
    )


def test_get_gives_the_current_decision_and_its_history(erp, manager, customer):
    invoice(customer, "45000.00", issue_date=timezone.localdate())
    api(erp).post("/api/v1/orders/", body(amount="9000.00"), format="json")
    order = Order.objects.get()
    order_services.order_release(
        actor=manager, order=order, comment="big customer", confirm_over_limit=True
    )

    response = api(erp).get("/api/v1/orders/SO-1/")

    data = response.json()
    assert (data["decision"], data["decided_by"], data["amount"]) == (
        "released",
        "carla",
        "9000.00",
    )
    assert [
        (h["kind"], h["status_after"], h["by"], h["over_limit_confirmed"]) for h in data["history"]
    ] == [
        ("received", "held", "erp", False),
        ("released", "released", "carla", True),
    ]


@pytest.mark.parametrize(("name", "method"), sorted(API_ROUTES))
def test_another_portfolios_order_is_a_404_like_one_that_does_not_exist(
    name, method, collector, customer
):
    from django.contrib.auth.models import Permission

    collector.user_permissions.add(Permission.objects.get(codename="change_order"))
    other = CustomerFactory(external_ref="OTHER", assigned_collector=another_collector("olga"))
    receive(other, "10.00", "SO-OTHER")
    receive(customer, "10.00", "SO-MINE")
    client = api(collector)
    call = getattr(client, method)
    payload = {"amount": "20.00"} if method == "patch" else {}
    before = list(Order.objects.values_list("external_ref", "status", "amount"))

    response = call(reverse(name, args=["SO-OTHER"]), payload, format="json")
    unknown = call(reverse(name, args=["NOPE"]), payload, format="json")
    mine = call(reverse(name, args=["SO-MINE"]), payload, format="json")

    assert (response.status_code, unknown.status_code, mine.status_code) == (404, 404, 200)
    assert response.json() == unknown.json()
    assert Order.objects.get(external_ref="SO-OTHER").status == "released"
    assert Order.objects.get(external_ref="SO-OTHER").amount == Decimal("10.00")
    assert before[0][0] in {"SO-OTHER", "SO-MINE"}


def test_a_payment_that_clears_the_reason_releases_a_held_order(customer, settings):
    settings.ORDER_AUTO_RELEASE_ON_PAYMENT = True
    inv = invoice(customer, "45000.00", issue_date=timezone.localdate())
    order = receive(customer, "10000.00", "SO-WAIT")
    assert order.status == "held"

    payment(
        customer,
        "45000.00",
        received_date=timezone.localdate(),
        allocations=[_allocation(inv, "45000.00")],
    )

    order.refresh_from_db()
    assert (order.status, order.decided_by) == ("released", None)
    assert (
        order.decisions.last().comment == "released automatically: a payment cleared every reason"
    )


def test_a_payment_that_does_not_clear_the_reason_leaves_it_held(customer):
    inv = invoice(customer, "45000.00", issue_date=timezone.localdate())
    receive(customer, "10000.00", "SO-WAIT")

    payment(
        customer,
        "1000.00",
        received_date=timezone.localdate(),
        allocations=[_allocation(inv, "1000.00")],
    )

    assert Order.objects.get().status == "held"


def test_only_a_held_order_is_released(manager, customer):
    order = receive(customer, "10.00", "SO-FREE", ship=SHIP)

    with pytest.raises(ServiceError) as refused:
        order_services.order_release(actor=manager, order=order, comment="again")

    assert refused.value.code == "invalid_transition"


def _allocation(inv, amount):
    from invoices.services import Allocation

    return Allocation(invoice_id=inv.pk, amount=Decimal(amount))


def test_a_new_ship_date_alone_decides_nothing(erp, manager, customer):
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="hold", reason="legal"
    )
    api(erp).post("/api/v1/orders/", body(), format="json")
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="good", reason="legal"
    )

    response = api(erp).patch(
        "/api/v1/orders/SO-1/", {"requested_ship_date": "2027-02-01"}, format="json"
    )

    assert (response.json()["decision"], response.json()["requested_ship_date"]) == (
        "held",
        "2027-02-01",
    )
    assert [r["code"] for r in response.json()["reasons"]] == ["account_hold"]
