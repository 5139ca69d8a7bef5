"""Issue 16, item 6: money never passes through a float. A JSON number with a fraction is
refused for every money field (400 naming it, nothing stored); decimal text and whole
numbers are read exactly; the schema says so."""

import pytest
from rest_framework.test import APIClient

from accounts import roles
from invoices.models import Application, Invoice, Payment
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance():
    return user_in_role(roles.FINANCE, "fiona")


@pytest.fixture
def acme():
    return CustomerFactory(external_ref="ACME", name="Acme")


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _invoice_body(amount) -> dict:
    return {
        "number": "INV-1",
        "customer": "ACME",
        "issue_date": "2026-01-01",
        "due_date": "2026-01-31",
        "amount": amount,
        "currency": "USD",
    }


@pytest.mark.parametrize("amount", [1234567890123456.78, 1234.56, 0.1])
def test_a_json_fraction_as_an_amount_is_refused_naming_the_field(finance, acme, amount):
    response = _api(finance).post("/api/v1/invoices/", _invoice_body(amount), format="json")

    assert response.status_code == 400
    assert "amount" in response.json()
    assert "decimal text" in str(response.json()["amount"])
    assert Invoice.objects.count() == 0


def test_decimal_text_and_whole_numbers_are_read_exactly(finance, acme):
    as_text = _api(finance).post("/api/v1/invoices/", _invoice_body("1234.56"), format="json")
    body = {**_invoice_body(1200), "number": "INV-2"}
    whole = _api(finance).post("/api/v1/invoices/", body, format="json")

    assert (as_text.status_code, whole.status_code) == (201, 201)
    assert (as_text.json()["amount"], whole.json()["amount"]) == ("1234.56", "1200.00")


def test_an_allocation_given_as_a_json_fraction_is_refused(finance, acme):
    owed = invoice(acme, "100.00")

    response = _api(finance).post(
        "/api/v1/payments/",
        {
            "reference": "PAY-1",
            "customer": "ACME",
            "received_date": "2026-02-01",
            "amount": "100.00",
            "currency": "USD",
            "allocations": [{"invoice": owed.pk, "amount": 99.99}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert "allocations" in response.json()
    assert Payment.objects.count() == 0
    assert Application.objects.count() == 0


def test_the_schema_documents_money_as_decimal_text(finance):
    schema = _api(finance).get("/api/schema/", {"format": "json"}).json()

    amount = schema["components"]["schemas"]["InvoiceRequest"]["properties"]["amount"]
    assert amount["type"] == "string"
    assert "JSON number with a fraction is refused" in amount["description"]
