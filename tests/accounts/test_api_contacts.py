"""API v1 /contacts/: a collector records who to call at their own accounts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEntry, Contact
from tests.factories import ContactFactory, CustomerFactory, user_in_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def alice():
    return user_in_role(roles.COLLECTOR, "alice")


@pytest.fixture
def acme(alice):
    return CustomerFactory(external_ref="ACME", name="Acme", assigned_collector=alice)


def _contacts() -> list[tuple]:
    return sorted(Contact.objects.values_list("pk", "customer_id", "name", "is_primary"))


def test_collector_adds_a_contact_to_their_own_customer_and_it_is_audited(alice, acme):
    response = _api(alice).post(
        URL,
        {
            "customer": acme.pk,
            "name": "  Pat Payables ",
            "role": "AP clerk",
            "email": "pat@acme.test",
            "phone": "+1 555 0101",
            "is_primary": True,
        },
        format="json",
    )

    assert response.status_code == 201
    contact = Contact.objects.get()
    assert response.json() == {
        "id": contact.pk,
        "customer": acme.pk,
        "name": "Pat Payables",
        "role": "AP clerk",
        "email": "pat@acme.test",
        "phone": "+1 555 0101",
        "is_primary": True,
    }
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_id) == (alice, "contact.add", str(contact.pk))
    assert entry.after["name"] == "Pat Payables"


def test_a_new_primary_contact_takes_over_from_the_old_one(alice, acme):
    old = ContactFactory(customer=acme, name="Old Primary", is_primary=True)

    response = _api(alice).post(
        URL, {"customer": acme.pk, "name": "New Primary", "is_primary": True}, format="json"
    )

    assert response.status_code == 201
    assert _contacts() == [
        (old.pk, acme.pk, "Old Primary", False),
        (response.json()["id"], acme.pk, "New Primary", True),
    ]


def test_a_contact_without_a_name_is_refused_and_nothing_is_written(alice, acme):
    response = _api(alice).post(URL, {"customer": acme.pk, "name": "   "}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["This field may not be blank."]}
    assert _contacts() == []
    assert AuditEntry.objects.count() == 0


def test_the_cfo_cannot_add_a_contact(acme):
    cfo = user_in_role(roles.CFO, "cfo")

    response = _api(cfo).post(URL, {"customer": acme.pk, "name": "Pat"}, format="json")

    assert response.status_code == 403
    assert _contacts() == []


def test_contacts_cannot_be_changed_or_deleted_through_the_api(alice, acme):
    contact = ContactFactory(customer=acme, name="Pat")

    patch = _api(alice).patch(f"{URL}{contact.pk}/", {"name": "Changed"}, format="json")
    delete = _api(alice).delete(f"{URL}{contact.pk}/")

    assert (patch.status_code, delete.status_code) == (405, 403)
    assert _contacts() == [(contact.pk, acme.pk, "Pat", False)]


def test_list_filters_by_customer_and_primary(alice, acme):
    other = CustomerFactory(external_ref="OTHER", assigned_collector=alice)
    primary = ContactFactory(customer=acme, name="Primary", is_primary=True)
    second = ContactFactory(customer=acme, name="Second")
    elsewhere = ContactFactory(customer=other, name="Elsewhere")

    def ids(**params) -> list[int]:
        response = _api(alice).get(URL, params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids(customer=acme.pk) == [primary.pk, second.pk]
    assert ids(customer=other.pk) == [elsewhere.pk]
    assert ids(is_primary="true") == [primary.pk]
    assert ids(customer=acme.pk, is_primary="false") == [second.pk]


def test_the_contact_list_runs_the_same_queries_for_1_and_50_rows(alice, acme):
    token = Token.objects.create(user=alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    def run() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL)
        assert response.status_code == 200
        return response.json()["count"], len(queries)

    ContactFactory(customer=acme)
    one = run()
    ContactFactory.create_batch(49, customer=acme)
    fifty = run()

    assert one == (1, 5)
    assert fifty == (50, 5)
