"""People, a small book and bank files for the cash tests."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from accounts import roles
from dunwell.celery import app as celery_app
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, invoice, user_in_role

FIXTURES = Path(__file__).resolve().parent / "files"


@pytest.fixture
def finance(db):
    return user_in_role(roles.FINANCE, "fiona")


@pytest.fixture
def cfo(db):
    return user_in_role(roles.CFO, "carl")


@pytest.fixture
def collector(db):
    return user_in_role(roles.COLLECTOR, "colin")


@pytest.fixture
def acme(db):
    return CustomerFactory(external_ref="ACME", name="Acme Tools Inc.")


@pytest.fixture
def acme_invoices(acme):
    """Three open invoices, due oldest first: 100, 250, 400 USD."""
    return [
        invoice(acme, "100.00", number="INV-0001", issue_date=datetime.date(2026, 1, 1)),
        invoice(acme, "250.00", number="INV-0002", issue_date=datetime.date(2026, 1, 10)),
        invoice(acme, "400.00", number="INV-0003", issue_date=datetime.date(2026, 1, 20)),
    ]


@pytest.fixture
def eager():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def ledger_whole():
    """Asserts after the test that every stored balance agrees with the ledger."""
    yield
    assert ledger_discrepancies() == []


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def money(text: str) -> Decimal:
    return Decimal(text)
