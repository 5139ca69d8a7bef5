"""GET /api/v1/reports/aging/: the JSON shape, decimal strings, reach, constant queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import Currency
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/aging/"


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_aging_api_returns_buckets_total_and_rows_as_decimal_strings(eur_rates):
    finance = user_in_role(roles.FINANCE, "fin")
    acme = CustomerFactory(name="Acme")
    euro = CustomerFactory(name="Euro Co", currency=Currency.objects.get(code="EUR"))
    invoice(acme, "100.00", issue_date=datetime.date(2026, 4, 1), due_days=30)
    invoice(euro, "50.00", issue_date=datetime.date(2026, 6, 1), due_days=30)

    response = _client(finance).get(URL, {"as_of": "2026-06-15"})

    assert response.status_code == 200
    assert response.json() == {
        "as_of": "2026-06-15",
        "basis": "due",
        "currency": "USD",
        "grouping": "customer",
        "buckets": {
            "current": "60.00",
            "1_30": "0.00",
            "31_60": "100.00",
            "61_90": "0.00",
            "91_120": "0.00",
            "over_120": "0.00",
        },
        "total": "160.00",
        "rows": [
            {
                "key": str(acme.pk),
                "label": "Acme",
                "buckets": {
                    "current": "0.00",
                    "1_30": "0.00",
                    "31_60": "100.00",
                    "61_90": "0.00",
                    "91_120": "0.00",
                    "over_120": "0.00",
                },
                "total": "100.00",
                "original": {"USD": "100.00"},
            },
            {
                "key": str(euro.pk),
                "label": "Euro Co",
                "buckets": {
                    "current": "60.00",
                    "1_30": "0.00",
                    "31_60": "0.00",
                    "61_90": "0.00",
                    "91_120": "0.00",
                    "over_120": "0.00",
                },
                "total": "60.00",
                "original": {"EUR": "50.00"},
            },
        ],
    }


def test_collector_a_never_sees_collector_b_rows_in_the_api():
    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob")
    invoice(CustomerFactory(name="Alice Co", assigned_collector=alice), "10.00")
    bob_customer = CustomerFactory(name="Bob Co", assigned_collector=bob)
    invoice(bob_customer, "20.00")

    mine = _client(alice).get(URL, {"as_of": "2026-06-30"}).json()
    asked_for_bob = (
        _client(alice).get(URL, {"as_of": "2026-06-30", "customer": bob_customer.pk}).json()
    )
    by_collector = (
        _client(alice)
        .get(URL, {"as_of": "2026-06-30", "collector": bob.pk, "grouping": "collector"})
        .json()
    )

    assert [r["label"] for r in mine["rows"]] == ["Alice Co"]
    assert mine["total"] == "10.00"
    assert asked_for_bob["rows"] == []
    assert asked_for_bob["total"] == "0.00"
    assert by_collector["rows"] == []


def test_invalid_parameters_are_refused_with_400():
    finance = user_in_role(roles.FINANCE, "fin")

    assert _client(finance).get(URL, {"as_of": "yesterday"}).status_code == 400
    assert _client(finance).get(URL, {"basis": "ship"}).status_code == 400
    assert _client(finance).get(URL, {"grouping": "region"}).status_code == 400


def test_a_missing_rate_is_a_400_naming_the_currency():
    finance = user_in_role(roles.FINANCE, "fin")
    invoice(CustomerFactory(currency=Currency.objects.get(code="CAD")), "10.00")

    response = _client(finance).get(URL, {"as_of": "2026-06-30"})

    assert response.status_code == 400
    assert "CAD" in str(response.json())


def test_anonymous_callers_are_refused():
    assert APIClient().get(URL).status_code in (401, 403)


@pytest.mark.parametrize("grouping", ["customer", "collector", "currency", "parent"])
def test_aging_api_query_count_is_the_same_for_1_and_50_rows(grouping):
    finance = user_in_role(roles.FINANCE, "fin")
    client = _client(finance)
    invoice(CustomerFactory(), "10.00", number="FIRST")

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL, {"as_of": "2026-06-30", "grouping": grouping})
            assert response.status_code == 200
        return len(captured.captured_queries), len(response.json()["rows"])

    count()  # the first call also loads the user's permissions
    one = count()
    for n in range(49):
        collector = user_in_role(roles.COLLECTOR, f"c{n}")
        invoice(CustomerFactory(assigned_collector=collector), "10.00", number=f"N{n}")
    fifty = count()

    assert one[0] == fifty[0]
    assert (one[1], fifty[1]) == (
        {"customer": (1, 50), "collector": (1, 50), "currency": (1, 1), "parent": (1, 50)}[grouping]
    )
