"""People and accounts for the order tests: the ERP's integration user, credit managers with
different release authorities, a collector with a small one, and one customer."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import Customer
from credit import order_services, services
from orders.models import Order
from tests.factories import CustomerFactory, user_in_role

SHIP = datetime.date(2026, 12, 20)


def authority(user, amount: str, currency: str = "USD"):
    services.credit_authority_set(actor=None, user=user, amount=Decimal(amount), currency=currency)
    return user


@pytest.fixture
def erp(db):
    """The ERP's integration account (finance role)."""
    return user_in_role(roles.FINANCE, "erp")


@pytest.fixture
def manager(db):
    return authority(user_in_role(roles.CREDIT_MANAGER, "carla"), "100000.00")


@pytest.fixture
def senior(db):
    return authority(user_in_role(roles.CREDIT_MANAGER, "sam"), "500000.00")


@pytest.fixture
def collector(db):
    return authority(user_in_role(roles.COLLECTOR, "colin"), "5000.00")


@pytest.fixture
def customer(collector) -> Customer:
    return CustomerFactory(
        external_ref="ACME",
        name="Acme Tools",
        assigned_collector=collector,
        credit_limit=Decimal("50000.00"),
    )


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(ref: str = "SO-1", customer="ACME", amount="1000.00", **extra) -> dict:
    return {
        "external_ref": ref,
        "customer": customer,
        "amount": amount,
        "currency": "USD",
        "requested_ship_date": SHIP.isoformat(),
        **extra,
    }


def receive(customer: Customer, amount: str, ref: str, **extra) -> Order:
    order, _ = order_services.order_receive(
        actor=None,
        external_ref=ref,
        customer=customer,
        amount=amount,
        currency=customer.currency_id,
        requested_ship_date=extra.pop("ship", SHIP),
        **extra,
    )
    order.refresh_from_db()
    return order
