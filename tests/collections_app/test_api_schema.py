"""The OpenAPI 3 schema at /api/schema/ and the browsable docs at /api/docs/."""

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern

from accounts import roles
from accounts.api_fields import MONEY_DESCRIPTION
from dunwell import api_urls
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    client = Client()
    client.force_login(user_in_role(roles.COLLECTOR, "alice"))
    return client


def _routed_paths() -> set[str]:
    """Every /api/v1/ path the URL configuration serves, spelled the way OpenAPI spells it."""
    paths = set()
    for prefix, viewset, _ in api_urls.router.registry:
        paths |= {f"/api/v1/{prefix}/", f"/api/v1/{prefix}/{{id}}/"}
        for extra in viewset.get_extra_actions():
            where = f"{{id}}/{extra.url_path}" if extra.detail else extra.url_path
            paths.add(f"/api/v1/{prefix}/{where}/")
    routed = {id(p) for p in api_urls.router.urls}
    for pattern in api_urls.urlpatterns:
        if isinstance(pattern, URLPattern) and id(pattern) not in routed:
            route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
            # drf-spectacular names a {pk} path parameter {id} (SCHEMA_COERCE_PATH_PK)
            paths.add("/api/v1/" + route.replace("{pk}", "{id}"))
    return paths


def test_the_schema_is_an_openapi_3_document_listing_every_api_v1_path(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Dunwell API"
    assert set(schema["paths"]) == _routed_paths()
    assert {
        "/api/v1/customers/",
        "/api/v1/customers/{id}/",
        "/api/v1/payments/{id}/apply/",
        "/api/v1/credit-memos/{id}/apply/",
        "/api/v1/applications/{id}/reverse/",
        "/api/v1/reports/exports/",
        "/api/v1/reports/exports/{id}/",
        "/api/v1/reports/exports/{id}/download/",
    } <= set(schema["paths"])


def test_the_schema_declares_the_idempotency_key_on_ledger_writes(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]

    def headers(path: str) -> set[str]:
        return {p["name"] for p in paths[path]["post"].get("parameters", []) if p["in"] == "header"}

    assert headers("/api/v1/payments/") == {"Idempotency-Key"}
    assert headers("/api/v1/invoices/") == {"Idempotency-Key"}
    assert headers("/api/v1/payments/{id}/apply/") == {"Idempotency-Key"}
    assert headers("/api/v1/applications/{id}/reverse/") == {"Idempotency-Key"}
    assert headers("/api/v1/reports/exports/") == {"Idempotency-Key"}


def test_the_schema_says_money_is_a_decimal_string(client):
    components = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]

    assert components["Payment"]["properties"]["amount"] == {
        "type": "string",
        "format": "decimal",
        "pattern": r"^-?\d{0,16}(?:\.\d{0,2})?$",
        "example": "1250.00",
        "description": MONEY_DESCRIPTION,
    }


def test_the_docs_page_renders_for_a_logged_in_user(client):
    page = client.get("/api/docs/")
    script = client.get("/api/docs/", {"script": ""})

    assert page.status_code == 200
    assert b'<script src="/api/docs/?script="></script>' in page.content
    assert script.status_code == 200
    assert b"/api/schema/" in script.content


def test_the_docs_page_needs_no_cdn_and_no_inline_script(client):
    html = client.get("/api/docs/").content.decode()

    assert "cdn.jsdelivr.net" not in html
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []


def test_anonymous_users_get_neither_schema_nor_docs():
    anonymous = Client()

    assert anonymous.get("/api/schema/").status_code in (401, 403)
    assert anonymous.get("/api/docs/").status_code in (401, 403)


def test_the_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert out.read_text().startswith("openapi: 3.")


def test_the_schema_describes_the_export_api(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    start = paths["/api/v1/reports/exports/"]["post"]
    assert set(start["responses"]) == {"202", "400", "401", "403", "422"}
    request = start["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert set(components[request.rsplit("/", 1)[1]]["required"]) == {"kind", "format"}
    poll = paths["/api/v1/reports/exports/{id}/"]["get"]["responses"]["200"]
    job = poll["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"status", "progress", "status_url", "download_url"} <= set(
        components[job]["properties"]
    )
    download = paths["/api/v1/reports/exports/{id}/download/"]["get"]["responses"]["200"]
    assert set(download["content"]) == {
        "text/csv",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
