"""Issue 16, item 8: a production start refuses a placeholder SECRET_KEY; authenticated
pages, PDFs, exports and API answers are never stored by a cache; the CSP forbids <base>;
the API docs need no inline style."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import roles
from tests.collections_app.workflow import account, collector, overdue_invoice
from tests.factories import user_in_role

ROOT = Path(__file__).resolve().parents[2]
REAL_KEY = "k3y-" + "x9Qe7!vR2#mL5@tB8$wZ1%nC4^hJ6&fD0*gS3(yU" * 2
PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "ar.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}
# The placeholder docker-compose.yml shipped before it demanded a key.
COMPOSE_PLACEHOLDER = "change-me-to-a-long-random-string-before-going-live"


def _check_deploy(**env: str) -> subprocess.CompletedProcess:
    names = {
        *PRODUCTION_ENV,
        "SECRET_KEY",
        "DJANGO_SETTINGS_MODULE",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        # set by the browser tests in this process; a deployment never has it
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in names}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_compose_file_demands_a_secret_key_instead_of_shipping_one():
    """docker compose stops before starting anything when SECRET_KEY is unset; the old
    placeholder it used to ship is still refused by the settings below."""
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "SECRET_KEY: ${SECRET_KEY:?" in compose
    assert COMPOSE_PLACEHOLDER not in compose


@pytest.mark.parametrize(
    "key",
    [None, COMPOSE_PLACEHOLDER, "dunwell-insecure-development-key-change-me", "short-key"],
    ids=["unset", "compose-placeholder", "development-default", "short"],
)
def test_a_production_start_refuses_a_missing_or_placeholder_secret_key(key):
    result = _check_deploy(**({} if key is None else {"SECRET_KEY": key}))

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_production_start_with_a_real_secret_key_passes_check_deploy():
    result = _check_deploy(SECRET_KEY=REAL_KEY)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def collector_client(db):
    alice = collector("alice")
    acme = account(alice, "Acme")
    overdue_invoice(acme, "100.00", days_late=10)
    client = Client()
    client.force_login(alice)
    return client, acme


def test_authenticated_pages_and_pdfs_are_not_stored_by_caches(collector_client):
    client, acme = collector_client

    for url in ["/customers/", f"/customers/{acme.pk}/statement.pdf", "/reports/aging/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_api_answers_to_a_token_are_not_stored_by_caches(db):
    finance = user_in_role(roles.FINANCE, "fiona")
    token = Token.objects.create(user=finance)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api.get("/api/v1/invoices/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_an_anonymous_answer_keeps_its_own_caching(db):
    response = Client().get("/healthz/")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_csp_forbids_a_base_element(collector_client):
    client, _ = collector_client

    policy = client.get("/customers/")["Content-Security-Policy"]

    assert "base-uri 'none'" in policy


def test_the_api_docs_page_has_no_inline_style_or_script(db):
    client = Client()
    client.force_login(user_in_role(roles.FINANCE, "fiona"))

    page = client.get("/api/docs/").content.decode()

    assert "<style" not in page
    assert "<script>" not in page
    assert 'id="swagger-ui"' in page


def test_this_waves_workbook_and_token_answers_are_not_stored_by_caches(db):
    """The dispute report's workbook (a download) and a credit API answer to a token; every
    route's answers to each role are checked in tests/hardening/test_reach.py."""
    cfo = user_in_role(roles.CFO, "cleo")
    page = Client()
    page.force_login(cfo)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=cfo).key}")

    workbook = page.get("/disputes/reports/", {"format": "xlsx"})
    reviews = api.get("/api/v1/credit/reviews/due/")

    assert workbook.status_code == 200
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in workbook["Cache-Control"]
    assert reviews.status_code == 200
    assert "no-store" in reviews["Cache-Control"]
