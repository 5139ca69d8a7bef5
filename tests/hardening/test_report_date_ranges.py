"""Issue 16, item 5: every date parameter outside a sane range (accounts/date_range.py) is a
400 naming the parameter, on the pages and in the API — never an OverflowError; a date an
order is stored with is bounded the same way."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import roles
from orders.models import Order
from tests.factories import CustomerFactory, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def cfo():
    return user_in_role(roles.CFO, "cfo")


def _page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"start": "0001-01-01"}, "start"),
        ({"end": "9999-12-31"}, "end"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "start"),
        ({"start": "1900-01-01", "end": "2026-01-01"}, "start"),  # a 126-year period
    ],
)
def test_the_dashboard_refuses_a_date_out_of_range_naming_it(cfo, params, named):
    response = _page(cfo).get("/dashboard/", params)

    assert response.status_code == 400
    assert named in response.content.decode()


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"end": "9999-12-31"}, "end"),
        ({"start": "0001-01-01"}, "start"),
        ({"start": "0001-01-01", "end": "0001-12-31"}, "start"),
    ],
)
def test_the_kpi_api_refuses_a_date_out_of_range_naming_it(cfo, params, named):
    response = _api(cfo).get("/api/v1/reports/kpis/", params)

    assert response.status_code == 400
    assert named in response.json()


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_the_aging_page_and_api_refuse_an_as_of_out_of_range_naming_it(cfo, as_of):
    page = _page(cfo).get("/reports/aging/", {"as_of": as_of})
    api = _api(cfo).get("/api/v1/reports/aging/", {"as_of": as_of})

    assert page.status_code == 400
    assert "as_of" in page.content.decode()
    assert api.status_code == 400
    assert "as_of" in api.json()


def test_an_export_with_an_as_of_out_of_range_is_refused(cfo):
    response = _api(cfo).post(
        "/api/v1/reports/exports/",
        {"kind": "summary", "format": "csv", "as_of": "9999-12-31"},
        format="json",
    )

    assert response.status_code == 400
    assert "as_of" in response.json()


def test_a_date_inside_the_range_still_works(cfo):
    assert (
        _page(cfo).get("/dashboard/", {"start": "2026-01-01", "end": "2026-01-31"}).status_code
        == 200
    )
    assert _api(cfo).get("/api/v1/reports/kpis/", {"end": "2026-01-31"}).status_code == 200


# --- the dispute reports (this wave) and every date parameter of the API ----------------


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"end": "9999-12-31"}, "end"),  # was an OverflowError (a 500)
        ({"start": "0001-01-01"}, "start"),
        ({"start": "2026-03-31", "end": "2026-01-01"}, "start"),
        ({"start": "2999-01-01"}, "start"),
        ({"end": "2026-01-01", "start": "2026-01-02"}, "start"),
    ],
)
def test_the_dispute_reports_refuse_a_date_out_of_range_naming_it(cfo, params, named):
    page = _page(cfo).get("/disputes/reports/", params)
    workbook = _page(cfo).get("/disputes/reports/", {**params, "format": "xlsx"})
    api = _api(cfo).get("/api/v1/disputes/reports/", params)

    assert page.status_code == 400
    assert f"{named}: " in page.content.decode()
    assert workbook.status_code == 400
    assert workbook["Content-Type"].startswith("text/html")
    assert api.status_code == 400
    assert list(api.json()) == [named]


def _date_parameters(schema: dict) -> set[tuple[str, str]]:
    """(path, parameter) of every date query parameter of a read that names no record."""
    return {
        (path, parameter["name"])
        for path, operations in schema["paths"].items()
        if "get" in operations and "{" not in path
        for parameter in operations["get"].get("parameters", [])
        if parameter["in"] == "query" and parameter["schema"].get("format") == "date"
    }


def test_every_date_parameter_of_the_api_refuses_a_date_out_of_range_naming_it(cfo):
    """Walks the live schema, so a new endpoint's date filters are checked too."""
    admin = user_in_role(roles.ADMIN, "ada")
    client = _api(admin)
    parameters = _date_parameters(client.get("/api/schema/", {"format": "json"}).json())
    answers = {}

    for path, name in sorted(parameters):
        for day in ("0001-01-01", "9999-12-31"):
            response = client.get(path, {name: day})
            answers[(path, name, day)] = (response.status_code, name in response.json())

    assert {
        ("/api/v1/invoices/", "due_before"),
        ("/api/v1/applications/", "effective_after"),
        ("/api/v1/exchange-rates/", "valid_from_after"),
        ("/api/v1/credit/limit-requests/", "created_after"),
        ("/api/v1/credit/reviews/", "reviewed_after"),
        ("/api/v1/disputes/reports/", "end"),
        ("/api/v1/reports/kpis/", "start"),
    } <= parameters
    assert {k: v for k, v in answers.items() if v != (400, True)} == {}


def test_a_date_filter_inside_the_range_still_filters(cfo):
    response = _api(cfo).get("/api/v1/invoices/", {"due_before": "2026-01-31"})

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize("ship", ["0001-01-01", "9999-12-31"])
def test_an_order_shipping_out_of_range_is_refused_naming_the_field(ship):
    erp = user_in_role(roles.FINANCE, "erp")
    CustomerFactory(external_ref="ACME", name="Acme")
    body = {
        "external_ref": "SO-1",
        "customer": "ACME",
        "amount": "100.00",
        "currency": "USD",
        "requested_ship_date": ship,
    }

    response = _api(erp).post("/api/v1/orders/", body, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "requested_ship_date"
    assert Order.objects.count() == 0


def test_an_order_cannot_be_moved_to_a_ship_date_out_of_range():
    erp = user_in_role(roles.FINANCE, "erp")
    CustomerFactory(external_ref="ACME", name="Acme")
    body = {"external_ref": "SO-1", "customer": "ACME", "amount": "100.00", "currency": "USD"}
    assert (
        _api(erp)
        .post("/api/v1/orders/", {**body, "requested_ship_date": "2026-12-20"}, format="json")
        .status_code
        == 201
    )

    response = _api(erp).patch(
        "/api/v1/orders/SO-1/", {"requested_ship_date": "0001-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "requested_ship_date"
    assert Order.objects.get().requested_ship_date.isoformat() == "2026-12-20"
