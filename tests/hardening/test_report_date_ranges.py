"""Issue 16, item 5: every report date parameter outside a sane range is a 400 naming the
parameter, on the pages and in the API — never an OverflowError."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import roles
from tests.factories import user_in_role

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
