"""Cash targets edited in the admin go through ``cash_target_set`` with an audit entry."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from reporting.models import CashTarget
from reporting.services import cash_target_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2026, 3, 1)


@pytest.fixture
def admin_browser():
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client, user


def _audit() -> list[tuple]:
    return list(
        AuditEntry.objects.filter(object_type="reporting.cashtarget")
        .order_by("id")
        .values_list("actor__username", "action", "before", "after")
    )


def test_a_target_added_in_the_admin_is_audited(admin_browser):
    client, _ = admin_browser

    response = client.post(
        "/admin/reporting/cashtarget/add/", {"month": "2026-03-01", "amount": "31000.00"}
    )

    assert response.status_code == 302
    assert list(CashTarget.objects.values_list("month", "amount")) == [(MARCH, Decimal("31000.00"))]
    assert _audit() == [
        ("root", "cash_target.create", None, {"month": "2026-03-01", "amount": "31000.00"})
    ]


def test_a_target_changed_in_the_admin_records_before_and_after(admin_browser):
    client, _ = admin_browser
    target = CashTarget.objects.create(month=MARCH, amount=Decimal("31000.00"))

    response = client.post(
        f"/admin/reporting/cashtarget/{target.pk}/change/", {"amount": "35000.00"}
    )

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.amount == Decimal("35000.00")
    assert _audit() == [
        (
            "root",
            "cash_target.change",
            {"month": "2026-03-01", "amount": "31000.00"},
            {"month": "2026-03-01", "amount": "35000.00"},
        )
    ]


@pytest.mark.parametrize(
    ("month", "amount", "field"),
    [
        (datetime.date(2026, 3, 2), "100.00", "month"),
        (MARCH, "-1.00", "amount"),
        (MARCH, "1.005", "amount"),
    ],
)
def test_the_service_refuses_a_bad_target_and_writes_nothing(month, amount, field):
    with pytest.raises(ServiceError) as refused:
        cash_target_set(actor=None, month=month, amount=amount)

    assert refused.value.field == field
    assert CashTarget.objects.count() == 0
    assert _audit() == []
