"""The release queue's sort and filters: ship date, amount, age, customer; customer, reason
code, amount range, over or within my authority. Plain GET parameters on native fields."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from credit import services as credit_services
from orders.models import Order
from tests.factories import CustomerFactory

from .conftest import SHIP, logged_in, receive

pytestmark = pytest.mark.django_db

URL = "/credit/releases/"


@pytest.fixture
def queue(manager, collector, customer):
    """Acme on hold with three orders; Zenith over its limit with one, created first."""
    zenith = CustomerFactory(
        external_ref="ZEN", name="Zenith Corp", assigned_collector=collector, credit_limit=1000
    )
    over = receive(zenith, "4000.00", "SO-ZEN", ship=SHIP + datetime.timedelta(days=1))
    Order.objects.filter(pk=over.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    credit_services.credit_status_set(
        actor=manager, customer=customer, status="hold", reason="legal"
    )
    receive(customer, "3000.00", "SO-LATER", ship=SHIP + datetime.timedelta(days=3))
    receive(customer, "2000.00", "SO-SMALL")
    receive(customer, "8000.00", "SO-BIG")
    return zenith


def _refs(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'<a href="/credit/orders/\d+/">([^<]+)</a>', response.content.decode())


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["SO-BIG", "SO-SMALL", "SO-ZEN", "SO-LATER"]),
        ("ship", ["SO-BIG", "SO-SMALL", "SO-ZEN", "SO-LATER"]),
        ("amount", ["SO-BIG", "SO-ZEN", "SO-LATER", "SO-SMALL"]),
        ("age", ["SO-ZEN", "SO-LATER", "SO-SMALL", "SO-BIG"]),
        ("customer", ["SO-BIG", "SO-SMALL", "SO-LATER", "SO-ZEN"]),
    ],
)
def test_the_queue_sorts(manager, queue, sort, expected):
    assert _refs(logged_in(manager).get(URL, {"sort": sort} if sort else {})) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"customer": "zenith"}, ["SO-ZEN"]),
        ({"customer": "ACME"}, ["SO-BIG", "SO-SMALL", "SO-LATER"]),
        ({"reason": "over_limit"}, ["SO-ZEN"]),
        ({"reason": "account_hold"}, ["SO-BIG", "SO-SMALL", "SO-LATER"]),
        ({"amount_min": "2500", "amount_max": "4000"}, ["SO-ZEN", "SO-LATER"]),
        (
            {"reason": "account_hold", "amount_min": "2500", "sort": "amount"},
            ["SO-BIG", "SO-LATER"],
        ),
    ],
)
def test_the_queue_filters(manager, queue, params, expected):
    assert _refs(logged_in(manager).get(URL, params)) == expected


def test_over_and_within_my_authority(collector, queue):
    # the collector's authority is 5,000.00 USD; Zenith is theirs, Acme too
    client = logged_in(collector)

    assert _refs(client.get(URL, {"authority": "over"})) == ["SO-BIG"]
    assert _refs(client.get(URL, {"authority": "within"})) == ["SO-SMALL", "SO-ZEN", "SO-LATER"]


def test_authority_is_compared_in_the_reporting_currency(manager, collector, customer):
    from accounts.models import ExchangeRate

    ExchangeRate.objects.create(
        currency_id="EUR",
        quote_currency_id="USD",
        valid_from=SHIP - datetime.timedelta(days=400),
        rate="1.2500",
    )
    euro = CustomerFactory(
        external_ref="EURO", currency_id="EUR", assigned_collector=collector, credit_limit=1
    )
    receive(euro, "3900.00", "SO-E1")  # 4,875.00 USD: within 5,000
    receive(euro, "4100.00", "SO-E2")  # 5,125.00 USD: over
    client = logged_in(collector)

    assert _refs(client.get(URL, {"authority": "over"})) == ["SO-E2"]
    assert _refs(client.get(URL, {"authority": "within"})) == ["SO-E1"]


def test_the_controls_are_labelled_fields_and_a_bad_value_is_said_not_a_500(manager, queue):
    page = logged_in(manager).get(URL, {"amount_min": "lots", "reason": "nonsense"})

    html = page.content.decode()
    assert page.status_code == 200
    for name in ("customer", "reason", "amount_min", "amount_max", "authority", "sort"):
        assert f'<label for="id_{name}">' in html
        assert f'id="id_{name}"' in html
    assert html.count('role="alert"') == 2
    assert len(_refs(page)) == 4  # the bad values filter nothing


def test_an_empty_result_says_so(manager, queue):
    page = logged_in(manager).get(URL, {"customer": "nobody at all"})

    assert _refs(page) == []
    assert "No held order matches these filters." in page.content.decode()
