"""The cash API: upload a bank file and follow its import, the unapplied list with the
matcher's suggestions, apply one suggestion (idempotent with Idempotency-Key)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from cash.models import BankImport
from invoices.models import Application, Invoice, Payment

from .statements import camt053

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def imported(finance, acme, acme_invoices, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(finance).post(
            "/api/v1/cash/bank-imports/",
            {"file": SimpleUploadedFile("day.xml", camt053())},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    return response.json()


def test_finance_uploads_a_statement_and_reads_its_progress(finance, imported):
    assert (imported["format"], imported["file_name"]) == ("camt", "day.xml")

    status = api(finance).get(f"/api/v1/cash/bank-imports/{imported['id']}/").json()

    assert (status["status"], status["percent"], status["rows_done"], status["rows_total"]) == (
        "done",
        100,
        4,
        4,
    )
    assert (status["credits_posted"], status["applied_automatically"]) == (2, 1)
    listed = api(finance).get("/api/v1/cash/bank-imports/").json()
    assert [row["id"] for row in listed["results"]] == [imported["id"]]


def test_a_refused_file_reports_its_line_and_record(
    finance, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(finance).post(
            "/api/v1/cash/bank-imports/",
            {"file": SimpleUploadedFile("bad.xml", camt053(count=9))},
            format="multipart",
        )

    job = api(finance).get(f"/api/v1/cash/bank-imports/{response.json()['id']}/").json()
    assert job["status"] == "failed"
    assert job["errors"][0]["record"] == "TxsSummry/TtlNtries/NbOfNtries"
    assert Payment.objects.count() == 0


def test_a_file_not_a_bank_file_is_refused_at_once(finance):
    response = api(finance).post(
        "/api/v1/cash/bank-imports/",
        {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "file"
    assert BankImport.objects.count() == 0


def test_the_unapplied_list_carries_the_suggestions_and_one_applies(finance, imported):
    client = api(finance)
    rows = client.get("/api/v1/cash/unapplied/").json()["results"]
    (row,) = [r for r in rows if r["reference"] == "BNK-0002"]
    assert [(s["invoice_number"], s["score"]) for s in row["suggestions"]] == [("INV-0001", 70)]

    headers = {"HTTP_IDEMPOTENCY_KEY": "apply-bnk-0002"}
    url = f"/api/v1/cash/payments/{row['id']}/apply-suggestion/"
    first = client.post(
        url, {"invoice": row["suggestions"][0]["invoice"]}, format="json", **headers
    )
    again = client.post(
        url, {"invoice": row["suggestions"][0]["invoice"]}, format="json", **headers
    )

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert Decimal(first.json()["unapplied_amount"]) == Decimal("0.00")
    assert Application.objects.filter(payment_id=row["id"]).count() == 1
    assert Invoice.objects.get(number="INV-0001").open_amount == Decimal("0.00")


def test_a_collector_has_no_cash_api(collector):
    client = api(collector)

    assert client.get("/api/v1/cash/unapplied/").status_code == 403
    assert client.get("/api/v1/cash/bank-imports/").status_code == 403


def test_the_cfo_reads_but_cannot_upload(cfo):
    client = api(cfo)

    assert client.get("/api/v1/cash/unapplied/").status_code == 200
    response = client.post(
        "/api/v1/cash/bank-imports/",
        {"file": SimpleUploadedFile("day.xml", camt053())},
        format="multipart",
    )
    assert response.status_code == 403


# The cash API's routes, for tests/collections_app/test_reach.py: their reach is tested here.
API_ROUTES = {("api_cash_apply_suggestion", "post"), ("api_cash_bank_import", "get")}
API_LISTS = {"api_cash_unapplied", "api_cash_bank_imports"}


def test_without_the_team_view_another_portfolios_payment_is_not_found(acme):
    """Apply-a-suggestion starts from the portfolio-scoped payments, like the pages; the
    unapplied list shows only the clerk's portfolio. A bank import is the company's
    statement (no customer's), read with the cash permission."""
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory, payment

    clerk = UserFactory(username="narrow")
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_cash", "work_cash"]),
    )
    cash = payment(acme, "10.00")
    client = api(clerk)
    before = (Application.objects.count(), Payment.objects.get(pk=cash.pk).unapplied_amount)

    theirs = client.post(
        f"/api/v1/cash/payments/{cash.pk}/apply-suggestion/", {"invoice": 1}, format="json"
    )
    unknown = client.post(
        f"/api/v1/cash/payments/{cash.pk + 1000}/apply-suggestion/", {"invoice": 1}, format="json"
    )

    assert (theirs.status_code, unknown.status_code) == (404, 404)
    assert theirs.json() == unknown.json()
    assert client.get("/api/v1/cash/unapplied/").json()["results"] == []
    assert (Application.objects.count(), Payment.objects.get(pk=cash.pk).unapplied_amount) == before


def test_a_bank_import_is_read_with_the_cash_permission_only(finance, collector, imported):
    url = f"/api/v1/cash/bank-imports/{imported['id']}/"
    assert api(collector).get(url).status_code == 403
    assert api(finance).get(url).status_code == 200
