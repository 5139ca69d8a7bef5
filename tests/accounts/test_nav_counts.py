"""The navigation's badges (credit inbox, write-offs, refunds waiting) cost one query
together, whatever the number of badges, and show the same figures the pages count."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.context_processors import navigation
from cash import services as cash_services
from cash.selectors import pending_write_offs
from collections_app.services import escalation_raise
from credit.selectors import inbox_count
from tests.factories import CustomerFactory, collector, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db


def _nav(user, path: str = "/queue/") -> tuple[dict, list[str]]:
    request = RequestFactory().get(path)
    request.user = user
    user.get_all_permissions()  # the permission cache, loaded once per request anyway
    with CaptureQueriesContext(connection) as queries:
        context = navigation(request)
    return context, [q["sql"] for q in queries.captured_queries]


def _counting(sqls: list[str]) -> list[str]:
    return [sql for sql in sqls if "COUNT(" in sql.upper()]


def test_a_credit_managers_two_badges_are_one_query(settings):
    settings.CASH_WRITE_OFF_APPROVAL_LIMIT = "1000.00"
    manager = user_in_role(roles.CREDIT_MANAGER, "carla")
    finance = user_in_role(roles.FINANCE, "fiona")
    owner = collector("colin")
    for n in range(3):
        escalation_raise(
            actor=owner,
            customer=CustomerFactory(external_ref=f"E{n}", assigned_collector=owner),
            reason="refuses to pay",
        )
    cash_services.write_off_request(
        actor=finance,
        invoice=invoice(CustomerFactory(), "5000.00"),
        kind="write_off",
        amount=Decimal("1500.00"),
        reason="insolvent",
    )

    context, sqls = _nav(manager)

    labels = dict(context["nav_items"])
    expected_credit = inbox_count(manager)
    assert expected_credit == 3
    assert labels[f"Credit ({expected_credit})"] == "/credit/"
    assert labels[f"Write-offs ({pending_write_offs(manager).count()})"] == "/cash/write-offs/"
    assert len(_counting(sqls)) == 1
    # the rest is the role line (the user's groups): nothing per badge
    assert len(sqls) == 2


def test_an_admin_sees_refunds_waiting_beside_cash(settings):
    settings.CASH_REFUND_APPROVAL_LIMIT = "100.00"
    admin = user_in_role(roles.ADMIN, "ada")
    finance = user_in_role(roles.FINANCE, "fiona")
    cash = payment(CustomerFactory(), "900.00")
    for reference in ("W-1", "W-2"):
        cash_services.refund_request(
            actor=finance,
            target=cash,
            kind="refund",
            amount="300",
            reference=reference,
            reason="overpaid",
        )

    context, sqls = _nav(admin)

    labels = dict(context["nav_items"])
    assert labels["Cash (2)"] == "/cash/"
    assert any(label.startswith("Credit") for label in labels)
    assert len(_counting(sqls)) == 1


def test_no_badge_no_count_query():
    context, sqls = _nav(user_in_role(roles.FINANCE, "fiona"))
    assert ("Cash", "/cash/") in context["nav_items"]
    assert _counting(sqls) == []
