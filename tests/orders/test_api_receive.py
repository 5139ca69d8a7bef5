"""``POST /api/v1/orders/``: the ERP gets a decision at once, with reasons in codes and words;
a repeat replays the first decision; bad input is a 400 naming the field and stores nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditEntry, Currency, Customer, ExchangeRate
from collections_app.models import Promise, PromiseStatus
from credit import services as credit_services
from credit.exposure import exposure_for
from orders.models import Order, OrderDecision
from tests.factories import CustomerFactory, invoice, payment

from .conftest import api, body

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"


def _state() -> tuple:
    return (
        list(Order.objects.values_list("external_ref", "status", "amount")),
        OrderDecision.objects.count(),
        AuditEntry.objects.filter(action__startswith="order.").count(),
    )


def test_an_order_within_the_limit_is_released_at_once(erp, customer):
    invoice(customer, "10000.00", issue_date=timezone.localdate())

    response = api(erp).post(URL, body(amount="15000.00"), format="json")

    assert response.status_code == 201
    order = Order.objects.get()
    assert response.json() == {
        "id": order.pk,
        "external_ref": "SO-1",
        "decision": "released",
        "reasons": [],
        "exposure_before": "10000.00",
        "exposure_after": "25000.00",
        "limit": "50000.00",
        "currency": "USD",
    }
    assert order.status == "released"
    assert list(order.decisions.values_list("kind", "status_before", "status_after")) == [
        ("received", "received", "released")
    ]
    audit = AuditEntry.objects.get(action="order.received")
    assert (audit.actor, audit.before["status"], audit.after["status"]) == (
        erp,
        "received",
        "released",
    )


def test_an_order_over_the_limit_is_held_and_says_by_how_much(erp, customer):
    invoice(customer, "42000.00", issue_date=timezone.localdate())

    response = api(erp).post(URL, body(amount="12500.00"), format="json")

    assert response.status_code == 201
    data = response.json()
    assert data["decision"] == "held"
    assert (data["exposure_before"], data["exposure_after"], data["limit"]) == (
        "42000.00",
        "54500.00",
        "50000.00",
    )
    assert data["reasons"] == [
        {
            "code": "over_limit",
            "text": "Exposure after this order 54,500.00 USD is over the limit 50,000.00 USD "
            "by 4,500.00 USD.",
        }
    ]


def test_an_order_for_an_account_on_stop_is_stored_and_held(erp, manager, customer):
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="stop", reason="legal"
    )

    response = api(erp).post(URL, body(amount="10.00"), format="json")

    assert response.status_code == 201
    assert [r["code"] for r in response.json()["reasons"]] == ["account_stop"]
    assert Order.objects.get().status == "held"


def test_an_account_on_hold_holds_the_order(erp, manager, customer):
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="hold", reason="payment_behaviour"
    )

    response = api(erp).post(URL, body(), format="json")

    assert response.json()["reasons"] == [
        {"code": "account_hold", "text": "The account is on credit hold."}
    ]


def test_no_limit_holds_the_order(erp, collector):
    CustomerFactory(external_ref="NOLIM", assigned_collector=collector, credit_limit=0)

    response = api(erp).post(URL, body(customer="NOLIM"), format="json")

    assert [r["code"] for r in response.json()["reasons"]] == ["no_limit"]


def test_invoices_past_the_overdue_rule_hold_the_order(erp, customer, settings):
    settings.ORDER_HOLD_OVERDUE_DAYS = 60
    settings.ORDER_HOLD_OVERDUE_AMOUNT = "500.00"
    today = timezone.localdate()
    invoice(customer, "300.00", issue_date=today - datetime.timedelta(days=100))
    invoice(customer, "400.00", issue_date=today - datetime.timedelta(days=95))
    invoice(customer, "9000.00", issue_date=today - datetime.timedelta(days=50))  # 20 days late

    response = api(erp).post(URL, body(), format="json")

    assert response.json()["reasons"] == [
        {
            "code": "overdue",
            "text": "2 invoices more than 60 days past due, 700.00 USD open.",
        }
    ]


def test_overdue_in_a_currency_with_no_rate_is_named_not_added_one_to_one(erp, customer, settings):
    settings.ORDER_HOLD_OVERDUE_AMOUNT = "500.00"
    old = timezone.localdate() - datetime.timedelta(days=200)
    invoice(customer, "300.00", issue_date=old)
    invoice(customer, "300.00", issue_date=old, currency="EUR")  # no EUR rate in this book

    reasons = {
        r["code"]: r["text"] for r in api(erp).post(URL, body(), format="json").json()["reasons"]
    }

    # 300 USD alone is within the 500 allowed; the EUR cannot be shown to be, so it holds
    assert reasons["overdue"] == (
        "2 invoices more than 60 days past due, 300.00 USD open; 300.00 EUR more with no "
        "exchange rate today."
    )
    assert "missing_rate" in reasons


@pytest.mark.parametrize(("overdue_jpy", "held"), [("70000", False), ("80000", True)])
def test_the_overdue_allowance_is_in_the_reporting_currency(
    erp, collector, settings, overdue_jpy, held
):
    """500 USD allowed is 75,000 JPY at 150 JPY a dollar for a yen account, not 500 JPY."""
    settings.ORDER_HOLD_OVERDUE_AMOUNT = "500.00"
    ExchangeRate.objects.create(
        currency_id="USD",
        quote_currency_id="JPY",
        valid_from=timezone.localdate() - datetime.timedelta(days=400),
        rate=Decimal("150"),
    )
    yen = CustomerFactory(
        external_ref="YEN",
        assigned_collector=collector,
        currency=Currency.objects.get(code="JPY"),
        credit_limit=Decimal("10000000"),
    )
    invoice(yen, overdue_jpy, issue_date=timezone.localdate() - datetime.timedelta(days=200))

    response = api(erp).post(
        URL, body(customer="YEN", amount="1000", currency="JPY"), format="json"
    )

    assert response.status_code == 201, response.json()
    assert [r["code"] for r in response.json()["reasons"]] == (["overdue"] if held else [])


def test_overdue_below_the_rules_amount_does_not_hold(erp, customer, settings):
    settings.ORDER_HOLD_OVERDUE_AMOUNT = "500.00"
    invoice(customer, "300.00", issue_date=timezone.localdate() - datetime.timedelta(days=200))

    response = api(erp).post(URL, body(), format="json")

    assert response.json()["decision"] == "released"


def test_a_recently_broken_promise_holds_the_order(erp, customer, settings):
    settings.ORDER_HOLD_BROKEN_PROMISE_DAYS = 90
    today = timezone.localdate()
    Promise.objects.create(
        customer=customer,
        amount=Decimal("2500.00"),
        currency_id="USD",
        promised_date=today - datetime.timedelta(days=10),
        status=PromiseStatus.BROKEN,
    )
    Promise.objects.create(
        customer=customer,
        amount=Decimal("900.00"),
        currency_id="USD",
        promised_date=today - datetime.timedelta(days=200),
        status=PromiseStatus.BROKEN,
    )

    response = api(erp).post(URL, body(), format="json")

    day = (today - datetime.timedelta(days=10)).isoformat()
    assert response.json()["reasons"] == [
        {
            "code": "broken_promise",
            "text": f"A promise to pay 2,500.00 USD by {day} was broken (within the last 90 days).",
        }
    ]


def test_a_group_limit_holds_a_childs_order(erp, collector):
    head = CustomerFactory(
        external_ref="HEAD", name="Head Group", assigned_collector=collector, credit_limit=10000
    )
    CustomerFactory(
        external_ref="CHILD", parent=head, assigned_collector=collector, credit_limit=50000
    )
    invoice(head, "8000.00", issue_date=timezone.localdate())

    response = api(erp).post(URL, body(customer="CHILD", amount="3000.00"), format="json")

    assert response.json()["reasons"] == [
        {
            "code": "group_over_limit",
            "text": "The group limit of Head Group (10,000.00 USD) is passed by 1,000.00 USD.",
        }
    ]


def test_the_customer_may_be_named_by_id(erp, customer):
    response = api(erp).post(URL, body(customer=customer.pk), format="json")

    assert response.status_code == 201
    assert Order.objects.get().customer == customer


def test_held_and_released_orders_count_in_exposure_and_unapplied_cash_reduces_it(erp, customer):
    api(erp).post(URL, body("SO-1", amount="30000.00"), format="json")
    api(erp).post(URL, body("SO-2", amount="30000.00"), format="json")  # held: 60,000 > 50,000
    payment(customer, "1000.00")

    exposure = exposure_for(customer)

    assert (exposure.open_orders, exposure.held_orders, exposure.total) == (
        Decimal("60000.00"),
        Decimal("30000.00"),
        Decimal("59000.00"),
    )
    assert list(Order.objects.order_by("pk").values_list("status", flat=True)) == [
        "released",
        "held",
    ]


def test_a_held_order_is_not_in_the_next_orders_exposure_before(erp, manager, customer):
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="hold", reason="legal"
    )
    api(erp).post(URL, body("SO-1", amount="30000.00"), format="json")
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="good", reason="legal"
    )

    response = api(erp).post(URL, body("SO-2", amount="30000.00"), format="json")

    assert (response.json()["exposure_before"], response.json()["decision"]) == (
        "0.00",
        "released",
    )


# --- idempotency ------------------------------------------------------------------------


def test_the_same_reference_and_body_again_returns_the_first_decision(erp, manager, customer):
    first = api(erp).post(URL, body(amount="1000"), format="json")
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="stop", reason="legal"
    )
    before = _state()

    again = api(erp).post(URL, body(amount="1000.00", customer=customer.pk), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert _state() == before


def test_the_same_reference_with_another_body_is_a_409_and_changes_nothing(erp, customer):
    api(erp).post(URL, body(amount="1000.00"), format="json")
    before = _state()

    response = api(erp).post(URL, body(amount="1000.01"), format="json")

    assert response.status_code == 409
    assert response.json()["field"] == "external_ref"
    assert _state() == before


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer": "NOBODY"}, "customer"),
        ({"customer": 999999}, "customer"),
        ({"customer": ["ACME"]}, "customer"),
        ({"currency": "EUR"}, "currency"),
        ({"currency": "XXX"}, "currency"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "100000000.01"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"requested_ship_date": "20-12-2026"}, "requested_ship_date"),
        ({"external_ref": ""}, "external_ref"),
        ({"external_ref": "X" * 61}, "external_ref"),
        ({"lines": "two boxes"}, "lines"),
        ({"lines": [1, 2]}, "lines"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(erp, customer, change, field):
    before = _state()

    response = api(erp).post(URL, body(**change), format="json")

    assert response.status_code == 400
    data = response.json()
    # one shape, whether the serializer or the service refuses
    assert set(data) == {"detail", "code", "field"}
    code = "too_large" if change == {"amount": "100000000.01"} else "invalid"
    assert (data["field"], data["code"]) == (field, code)
    assert _state() == before


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", "{}"])
def test_a_malformed_body_is_a_400(erp, customer, payload):
    response = api(erp).post(URL, payload, content_type="application/json")

    assert response.status_code == 400
    assert _state() == ([], 0, 0)


def test_a_collector_may_not_post_orders(erp, customer, collector):
    other = CustomerFactory(external_ref="OTHER")
    response = api(collector).post(URL, body(customer=other.external_ref), format="json")

    assert response.status_code == 403
    assert _state() == ([], 0, 0)


def test_a_customer_billed_in_another_currency_needs_that_currency(erp, collector):
    CustomerFactory(
        external_ref="EURO", currency_id="EUR", assigned_collector=collector, credit_limit=1000
    )

    refused = api(erp).post(URL, body(customer="EURO"), format="json")
    taken = api(erp).post(URL, body(customer="EURO", currency="EUR"), format="json")

    assert (refused.status_code, refused.json()["field"]) == (400, "currency")
    assert taken.status_code == 201
    assert Customer.objects.get(external_ref="EURO").orders.count() == 1


def test_a_decision_runs_the_same_queries_for_1_and_40_open_invoices(erp, customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(erp)
    invoice(customer, "10.00", issue_date=timezone.localdate())
    client.post(URL, body("SO-WARM"), format="json")
    with CaptureQueriesContext(connection) as one:
        client.post(URL, body("SO-1"), format="json")
    for _ in range(39):
        invoice(customer, "10.00", issue_date=timezone.localdate() - datetime.timedelta(days=90))
    with CaptureQueriesContext(connection) as forty:
        response = client.post(URL, body("SO-2"), format="json")

    assert response.json()["exposure_before"] == "2400.00"  # 400 AR + two released orders
    assert len(forty) == len(one)
