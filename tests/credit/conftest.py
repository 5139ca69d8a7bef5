"""People and accounts for the credit tests: credit managers with different authorities, a
collector with a portfolio of one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from accounts import roles
from credit import services
from tests.factories import CustomerFactory, user_in_role


def authority(user, amount: str, currency: str = "USD"):
    services.credit_authority_set(actor=None, user=user, amount=Decimal(amount), currency=currency)
    return user


@pytest.fixture
def manager(db):
    """A credit manager who may set limits up to 100,000 USD."""
    return authority(user_in_role(roles.CREDIT_MANAGER, "carla"), "100000.00")


@pytest.fixture
def senior(db):
    """A credit manager who may set limits up to 500,000 USD."""
    return authority(user_in_role(roles.CREDIT_MANAGER, "sam"), "500000.00")


@pytest.fixture
def director(db):
    """An admin who may set limits up to 2,000,000 USD."""
    return authority(user_in_role(roles.ADMIN, "dora"), "2000000.00")


@pytest.fixture
def collector(db):
    return user_in_role(roles.COLLECTOR, "colin")


@pytest.fixture
def customer(collector):
    return CustomerFactory(
        external_ref="ACME",
        name="Acme Tools",
        assigned_collector=collector,
        credit_limit=Decimal("50000.00"),
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
