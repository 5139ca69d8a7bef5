"""Issue 16, item 7: the OpenAPI schema tells the truth — nullable fields say so, error
responses are documented, the export download names the types it serves."""

import pytest
from django.test import Client

from accounts import roles
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema():
    client = Client()
    client.force_login(user_in_role(roles.FINANCE, "fiona"))
    return client.get("/api/schema/", {"format": "json"}).json()


def test_the_source_of_an_application_may_be_null(schema):
    properties = schema["components"]["schemas"]["Application"]["properties"]

    assert properties["payment_reference"]["nullable"] is True
    assert properties["credit_memo_number"]["nullable"] is True


def test_refusals_and_missing_objects_are_documented(schema):
    create = schema["paths"]["/api/v1/invoices/"]["post"]["responses"]
    detail = schema["paths"]["/api/v1/invoices/{id}/"]["get"]["responses"]
    apply = schema["paths"]["/api/v1/payments/{id}/apply/"]["post"]["responses"]

    assert {"201", "400", "401", "403", "422"} <= set(create)
    assert {"200", "401", "403", "404"} <= set(detail)
    assert {"201", "400", "404", "422"} <= set(apply)
    error = create["400"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}


def test_the_export_download_names_the_types_it_serves(schema):
    download = schema["paths"]["/api/v1/reports/exports/{id}/download/"]["get"]["responses"]

    assert set(download["200"]["content"]) == {
        "text/csv",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
