"""Issue 16, item 6: money never passes through a float. A JSON number with a fraction is
refused for every money field (400 naming it, nothing stored), this wave's credit, orders
and disputes APIs included; decimal text and whole numbers are read exactly; the schema
says so, and asks for no money as a JSON number."""

import pytest
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEntry
from credit.models import CreditChange, CreditReview, LimitChangeRequest
from disputes.models import Dispute
from invoices.models import Application, Invoice, Payment
from orders.models import Order
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


# --- this wave's APIs, and every money field the schema asks for -------------------------


def _state() -> tuple:
    return (
        Order.objects.count(),
        Dispute.objects.count(),
        LimitChangeRequest.objects.count(),
        CreditReview.objects.count(),
        CreditChange.objects.count(),
        AuditEntry.objects.count(),
    )


def _newer_money_requests(customer, owed) -> dict:
    """name -> (method, url, body with a JSON fraction where money goes)."""
    return {
        "order": (
            "post",
            "/api/v1/orders/",
            {
                "external_ref": "SO-1",
                "customer": "ACME",
                "amount": 1234.56,
                "currency": "USD",
                "requested_ship_date": "2026-12-20",
            },
        ),
        "credit limit": (
            "patch",
            f"/api/v1/customers/{customer.pk}/credit/",
            {"credit_limit": 60000.5, "reason": "financial_statements"},
        ),
        "limit request": (
            "post",
            "/api/v1/credit/limit-requests/",
            {"customer": customer.pk, "requested_limit": 60000.5, "reason": "legal"},
        ),
        "credit review": (
            "post",
            "/api/v1/credit/reviews/",
            {"customer": customer.pk, "financials": "x", "credit_limit": 0.5, "terms": "NET30"},
        ),
        "dispute line": (
            "post",
            "/api/v1/disputes/",
            {
                "customer": customer.pk,
                "reason": "pricing",
                "lines": [{"invoice": owed.pk, "amount": 10.5}],
            },
        ),
        "dispute amount": (
            "post",
            "/api/v1/disputes/",
            {"customer": customer.pk, "reason": "pricing", "invoices": [owed.pk], "amount": 10.5},
        ),
    }


@pytest.mark.parametrize(
    "name",
    ["order", "credit limit", "limit request", "credit review", "dispute line", "dispute amount"],
)
def test_this_waves_apis_refuse_a_json_fraction_as_money(name):
    admin = user_in_role(roles.ADMIN, "ada", is_staff=True)
    customer = CustomerFactory(external_ref="ACME", name="Acme", assigned_collector=admin)
    owed = invoice(customer, "100.00")
    method, url, body = _newer_money_requests(customer, owed)[name]
    before = _state()

    response = getattr(_api(admin), method)(url, body, format="json")

    assert response.status_code == 400, response.content
    assert "decimal text" in response.content.decode()
    assert _state() == before


def _numbers_asked_for(schema: dict) -> list[str]:
    """Every property of a request body that the schema types as a JSON number."""
    found = []

    def walk(where: str, node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "number":
                found.append(where)
            for key, value in node.items():
                walk(f"{where}.{key}", value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(f"{where}[{index}]", value)

    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            walk(name, component)
    return found


def test_no_request_in_the_schema_asks_for_money_as_a_json_number(finance):
    schema = _api(finance).get("/api/schema/", {"format": "json"}).json()
    order = schema["components"]["schemas"]["OrderInRequest"]["properties"]["amount"]

    assert _numbers_asked_for(schema) == []
    assert "JSON number with a fraction is refused" in order["description"]
