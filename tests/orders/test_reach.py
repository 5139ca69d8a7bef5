"""Reach of the order API: HEAD and OPTIONS need what GET needs; a reference is unique per
customer, so an integration that sees a few portfolios never learns of another portfolio's
order by posting its reference; every 400 has one shape."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission

from accounts import roles
from orders.models import Order
from tests.factories import CustomerFactory, user_in_role
from tests.factories import collector as another_collector

from .conftest import api, body, receive

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"


def _integration(name: str, *customers):
    """An ERP integration user whose reach is one collector's portfolio."""
    user = user_in_role(roles.COLLECTOR, name)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_order", "change_order"])
    )
    for customer in customers:
        customer.assigned_collector = user
        customer.save(update_fields=["assigned_collector"])
    return user


@pytest.mark.parametrize("method", ["head", "options", "get"])
@pytest.mark.parametrize("url", [URL + "SO-1/", URL + "SO-1/cancel/", URL])
def test_head_and_options_are_refused_like_get_without_view_order(method, url, erp, customer):
    receive(customer, "10.00", "SO-1")
    outsider = user_in_role(roles.COLLECTOR, "nosy")
    outsider.groups.clear()  # logged in, no permission at all

    refused = getattr(api(outsider), method)(url)
    allowed = getattr(api(erp), method)(url)

    assert refused.status_code == 403
    # the ERP's user has view_order: OPTIONS answers everywhere, GET and HEAD on the order
    has_get = url == URL + "SO-1/"
    assert allowed.status_code == (200 if method == "options" or has_get else 405)


def test_head_without_view_order_says_nothing_of_an_order(erp, customer):
    receive(customer, "10.00", "SO-1")
    outsider = user_in_role(roles.COLLECTOR, "nosy")
    outsider.groups.clear()

    known = api(outsider).head(URL + "SO-1/")
    unknown = api(outsider).head(URL + "NOPE/")

    assert (known.status_code, unknown.status_code) == (403, 403)
    assert known.content == unknown.content == b""
    assert known.get("Content-Length") == unknown.get("Content-Length")


def test_another_portfolios_reference_is_free_for_this_portfolio(customer):
    theirs = CustomerFactory(external_ref="THEIRS", assigned_collector=another_collector("olga"))
    receive(theirs, "700.00", "SO-9")
    mine = CustomerFactory(external_ref="MINE")
    integration = _integration("erp-east", mine)

    response = api(integration).post(URL, body("SO-9", customer="MINE"), format="json")

    # answered exactly as for a reference never used: nothing says SO-9 exists elsewhere
    fresh = api(integration).post(URL, body("SO-NEW", customer="MINE"), format="json")
    assert (response.status_code, fresh.status_code) == (201, 201)
    assert set(response.json()) == set(fresh.json())
    assert response.json()["exposure_before"] == "0.00"
    assert Order.objects.filter(external_ref="SO-9").count() == 2
    # each side reads and changes its own
    got = api(integration).get(URL + "SO-9/")
    assert (got.status_code, got.json()["customer"], got.json()["amount"]) == (
        200,
        "MINE",
        "1000.00",
    )
    assert Order.objects.get(customer=theirs).amount == 700


def test_a_reference_seen_on_another_customer_within_reach_is_a_409_naming_it(erp, customer):
    CustomerFactory(external_ref="SISTER")
    api(erp).post(URL, body("SO-5"), format="json")
    before = list(Order.objects.values_list("customer__external_ref", "external_ref"))

    response = api(erp).post(URL, body("SO-5", customer="SISTER"), format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "order SO-5 was already received for another customer (ACME): send a new "
        "reference, or cancel that order first",
        "code": "conflict",
        "field": "external_ref",
    }
    assert list(Order.objects.values_list("customer__external_ref", "external_ref")) == before


def test_a_reference_on_two_customers_is_read_with_the_customer(erp, customer):
    theirs = CustomerFactory(external_ref="THEIRS", assigned_collector=another_collector("olga"))
    receive(theirs, "700.00", "SO-9")
    east = _integration("erp-east", customer)
    assert api(east).post(URL, body("SO-9", amount="300.00"), format="json").status_code == 201

    ambiguous = api(erp).get(URL + "SO-9/")
    one = api(erp).get(URL + "SO-9/?customer=THEIRS")
    cancelled = api(erp).post(URL + "SO-9/cancel/?customer=ACME")

    assert (ambiguous.status_code, ambiguous.json()["code"], ambiguous.json()["field"]) == (
        400,
        "ambiguous",
        "customer",
    )
    assert (one.status_code, one.json()["amount"]) == (200, "700.00")
    assert (cancelled.status_code, cancelled.json()["decision"]) == (200, "cancelled")
    assert Order.objects.get(customer=theirs).status == "released"


@pytest.mark.parametrize(
    ("payload", "field"),
    [("not json", "body"), ("[1, 2]", "body"), ("{}", "external_ref")],
)
def test_a_malformed_body_is_a_400_in_the_one_shape(erp, customer, payload, field):
    response = api(erp).post(URL, payload, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "code", "field"}
    assert (response.json()["field"], response.json()["code"]) == (field, "invalid")
    assert not Order.objects.exists()


@pytest.mark.parametrize("customer_ref", ["\x00NW", "x" * 500, "line\nbreak"])
def test_a_customer_query_that_cannot_be_a_reference_is_a_400_naming_it(
    erp, customer, customer_ref
):
    """Found by schemathesis: a NUL in ?customer= reached PostgreSQL and answered 500."""
    order = receive(customer, "100.00", "SO-1")
    client = api(erp)
    url = f"/api/v1/orders/{order.external_ref}/"

    read = client.get(url, {"customer": customer_ref})
    query = urlencode({"customer": customer_ref})
    change = client.patch(f"{url}?{query}", {"amount": "90.00"}, format="json")

    assert (read.status_code, read.json()["field"]) == (400, "customer")
    assert (change.status_code, change.json()["field"]) == (400, "customer")
    assert Order.objects.get(pk=order.pk).amount == order.amount
