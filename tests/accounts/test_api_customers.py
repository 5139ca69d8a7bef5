"""API v1 /customers/: create, list, filter, paginate, change a credit limit (audited)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEntry, Customer, PaymentTerms
from tests.factories import CustomerFactory, user_in_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _without_timestamps(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("created_at", "updated_at")}


@pytest.fixture
def alice():
    return user_in_role(roles.COLLECTOR, "alice")


@pytest.fixture
def finance():
    return user_in_role(roles.FINANCE, "fiona")


@pytest.fixture
def credit_manager():
    return user_in_role(roles.CREDIT_MANAGER, "carl")


def _customer_rows() -> list[tuple]:
    return sorted(
        Customer.objects.values_list(
            "pk", "external_ref", "name", "credit_limit", "credit_status", "assigned_collector"
        )
    )


# --- create ---------------------------------------------------------------------------------


def test_finance_creates_a_customer_and_the_creation_is_audited(finance, alice):
    response = _api(finance).post(
        URL,
        {
            "external_ref": "ERP-100",
            "name": "Acme GmbH",
            "currency": "EUR",
            "payment_terms_days": 45,
            "credit_limit": "25000.5",
            "assigned_collector": "alice",
        },
        format="json",
    )

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert _without_timestamps(response.json()) == {
        "id": customer.pk,
        "external_ref": "ERP-100",
        "name": "Acme GmbH",
        "parent": None,
        "currency": "EUR",
        "payment_terms_days": 45,
        "credit_limit": "25000.50",
        "credit_status": "good",
        "assigned_collector": "alice",
        "do_not_contact": False,
    }
    assert customer.payment_terms == PaymentTerms.objects.get(net_days=45)
    assert customer.credit_limit == Decimal("25000.50")
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_id) == (
        finance,
        "customer.create",
        str(customer.pk),
    )
    assert entry.after["credit_limit"] == "25000.50"
    assert entry.after["assigned_collector"] == alice.pk


def test_a_duplicate_external_ref_is_refused_naming_the_field_and_nothing_is_written(finance):
    CustomerFactory(external_ref="ERP-100", name="First")
    before = _customer_rows()

    response = _api(finance).post(
        URL, {"external_ref": "ERP-100", "name": "Second", "currency": "USD"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "customer ERP-100 already exists",
        "code": "duplicate",
        "field": "external_ref",
    }
    assert _customer_rows() == before
    assert AuditEntry.objects.count() == 0


def test_an_unknown_currency_is_refused_by_the_serializer(finance):
    response = _api(finance).post(
        URL, {"external_ref": "ERP-1", "name": "X", "currency": "XXX"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"currency": ["Object with code=XXX does not exist."]}
    assert Customer.objects.count() == 0


def test_a_collector_cannot_create_a_customer(alice):
    response = _api(alice).post(
        URL, {"external_ref": "ERP-1", "name": "X", "currency": "USD"}, format="json"
    )

    assert response.status_code == 403
    assert Customer.objects.count() == 0


# --- list, filters, pagination --------------------------------------------------------------


def test_list_is_paginated_fifty_to_a_page_with_count_next_and_previous(finance):
    for n in range(51):
        CustomerFactory(external_ref=f"P{n:03d}", name=f"Customer {n:03d}")

    first = _api(finance).get(URL).json()
    second = _api(finance).get(URL, {"page": 2}).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 51
    assert first["next"] == "http://testserver/api/v1/customers/?page=2"
    assert first["previous"] is None
    assert [row["external_ref"] for row in first["results"]] == [f"P{n:03d}" for n in range(50)]
    assert second["next"] is None
    assert second["previous"] == "http://testserver/api/v1/customers/"
    assert [row["external_ref"] for row in second["results"]] == ["P050"]


def test_money_is_a_string_with_two_places(finance):
    CustomerFactory(external_ref="M1", credit_limit=Decimal("1234"))

    (row,) = _api(finance).get(URL).json()["results"]

    assert row["credit_limit"] == "1234.00"


def _refs(user, **params) -> list[str]:
    response = _api(user).get(URL, params)
    assert response.status_code == 200
    return [row["external_ref"] for row in response.json()["results"]]


def test_list_filters_by_currency_status_collector_name_ref_and_parent(finance, alice):
    bob = user_in_role(roles.COLLECTOR, "bob")
    group = CustomerFactory(external_ref="G1", name="Globex Group", assigned_collector=alice)
    CustomerFactory(
        external_ref="E1",
        name="Euro Widgets",
        currency_id="EUR",
        assigned_collector=bob,
        parent=group,
    )
    CustomerFactory(external_ref="H1", name="Held Corp", credit_status="hold")
    CustomerFactory(external_ref="S1", name="Stopped Inc", credit_status="stop")

    assert _refs(finance, currency="EUR") == ["E1"]
    assert _refs(finance, credit_status="hold") == ["H1"]
    assert _refs(finance, collector="alice") == ["G1"]
    assert _refs(finance, collector="bob") == ["E1"]
    assert _refs(finance, name="widg") == ["E1"]
    assert _refs(finance, external_ref="S1") == ["S1"]
    assert _refs(finance, parent=group.pk) == ["E1"]
    assert _refs(finance, ordering="-credit_limit,external_ref") == ["E1", "G1", "H1", "S1"]


def test_an_unknown_credit_status_filter_is_a_400(finance):
    response = _api(finance).get(URL, {"credit_status": "frozen"})

    assert response.status_code == 400
    assert response.json() == {
        "credit_status": ["Select a valid choice. frozen is not one of the available choices."]
    }


def test_the_customer_list_runs_the_same_queries_for_1_and_50_rows(alice):
    token = Token.objects.create(user=alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    parent = CustomerFactory(external_ref="PARENT", assigned_collector=alice)

    def run() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL)
        assert response.status_code == 200
        return response.json()["count"], len(queries)

    one = run()
    for n in range(49):
        CustomerFactory(external_ref=f"C{n:03d}", assigned_collector=alice, parent=parent)
    fifty = run()

    assert one == (1, 5)
    assert fifty == (50, 5)


# --- change: account settings here; credit status and limit only through the credit API ------


def _pointer(customer, field: str) -> list[str]:
    return [
        f"change {field} with PATCH /api/v1/customers/{customer.pk}/credit/ "
        "(it takes a reason code)"
    ]


def test_a_credit_limit_change_here_is_refused_with_a_pointer_to_the_credit_api(
    credit_manager,
):
    customer = CustomerFactory(external_ref="L1", credit_limit=Decimal("50000.00"))
    before = _customer_rows()

    response = _api(credit_manager).patch(
        f"{URL}{customer.pk}/", {"credit_limit": "75000.00"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"credit_limit": _pointer(customer, "credit_limit")}
    assert _customer_rows() == before
    assert AuditEntry.objects.count() == 0


def test_credit_manager_reassigns_an_account_but_puts_it_on_hold_with_the_credit_api(
    credit_manager, alice
):
    bob = user_in_role(roles.COLLECTOR, "bob")
    customer = CustomerFactory(external_ref="L1", assigned_collector=alice)

    held = _api(credit_manager).patch(
        f"{URL}{customer.pk}/",
        {"credit_status": "hold", "assigned_collector": "bob"},
        format="json",
    )
    response = _api(credit_manager).patch(
        f"{URL}{customer.pk}/", {"assigned_collector": "bob"}, format="json"
    )

    assert held.status_code == 400
    assert held.json() == {"credit_status": _pointer(customer, "credit_status")}
    assert response.status_code == 200
    assert (response.json()["credit_status"], response.json()["assigned_collector"]) == (
        "good",
        "bob",
    )
    entry = AuditEntry.objects.get()
    assert (entry.before, entry.after) == (
        {"assigned_collector": alice.pk},
        {"assigned_collector": bob.pk},
    )


def test_a_change_to_nothing_new_writes_no_audit(credit_manager):
    customer = CustomerFactory(external_ref="L1", credit_limit=Decimal("50000.00"))

    response = _api(credit_manager).patch(
        f"{URL}{customer.pk}/", {"credit_limit": "50000"}, format="json"
    )

    assert response.status_code == 200
    assert AuditEntry.objects.count() == 0


def test_a_negative_credit_limit_is_refused_and_nothing_changes(credit_manager):
    customer = CustomerFactory(external_ref="L1", credit_limit=Decimal("50000.00"))
    before = _customer_rows()

    response = _api(credit_manager).patch(
        f"{URL}{customer.pk}/", {"credit_limit": "-1.00"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"credit_limit": _pointer(customer, "credit_limit")}
    assert _customer_rows() == before
    assert AuditEntry.objects.count() == 0


def test_a_customer_cannot_become_its_own_parent(credit_manager):
    customer = CustomerFactory(external_ref="L1")

    response = _api(credit_manager).patch(
        f"{URL}{customer.pk}/", {"parent": customer.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "L1 is L1 itself or one of its child accounts, so it cannot be its parent",
        "code": "invalid",
        "field": "parent",
    }
    customer.refresh_from_db()
    assert customer.parent is None
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize("role", [roles.COLLECTOR, roles.CFO, roles.FINANCE])
def test_only_roles_that_may_change_customers_can_patch_one(role):
    user = user_in_role(role, "someone")
    customer = CustomerFactory(external_ref="L1", assigned_collector=user)
    before = _customer_rows()

    response = _api(user).patch(f"{URL}{customer.pk}/", {"credit_limit": "1.00"}, format="json")

    assert response.status_code == 403
    assert _customer_rows() == before
    assert AuditEntry.objects.count() == 0


def test_the_external_ref_of_an_existing_customer_cannot_be_changed():
    manager = user_in_role(roles.CREDIT_MANAGER, "carol")
    customer = CustomerFactory(external_ref="ERP-1")
    api = APIClient()
    api.force_authenticate(manager)

    response = api.patch(
        f"/api/v1/customers/{customer.pk}/", {"external_ref": "ERP-2"}, format="json"
    )

    assert response.status_code == 400
    assert "cannot change" in response.json()["external_ref"][0]
    assert Customer.objects.get(pk=customer.pk).external_ref == "ERP-1"
