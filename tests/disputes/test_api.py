"""``/api/v1/disputes/``: list with filters, create with ``Idempotency-Key``, detail,
transitions, routing, comments and attachments — through the services, within reach; a
resolver reads nothing outside their disputes."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEntry
from disputes.models import (
    DepartmentMember,
    Dispute,
    DisputeAttachment,
    DisputeComment,
    DisputeEvent,
    DisputeLine,
)
from invoices.models import CreditMemo, Invoice
from tests.collections_app.workflow import account, collector, credit_manager, overdue_invoice
from tests.factories import dispute_record, user_in_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/disputes/"
PDF = b"%PDF-1.4\n%%EOF\n"

# API routes whose reach these tests check; tests/collections_app/test_reach.py requires them.
API_ROUTES = {
    ("dispute-detail", "get"),
    ("dispute-transition", "post"),
    ("dispute-assign", "post"),
    ("dispute-comments", "get"),
    ("dispute-comments", "post"),
    ("dispute-attachments", "get"),
    ("dispute-attachments", "post"),
    ("dispute-attachment-download", "get"),
}
API_LISTS = {"dispute-list", "dispute-reports"}


def url_kwargs(name: str, pk: int = 1, attachment_id: int = 1) -> dict:
    """The kwargs that reverse one of ``API_ROUTES``."""
    if name == "dispute-attachment-download":
        return {"pk": pk, "attachment_id": attachment_id}
    return {"pk": pk}


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _state() -> tuple:
    return (
        sorted(Dispute.objects.values_list("pk", "status", "amount", "department", "assignee")),
        sorted(DisputeLine.objects.values_list("invoice_id", "amount", "credited")),
        DisputeEvent.objects.count(),
        DisputeComment.objects.count(),
        DisputeAttachment.objects.count(),
        CreditMemo.objects.count(),
        sorted(Invoice.objects.values_list("pk", "open_amount")),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def book(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    alice, bob = collector("alice"), collector("bob")
    northwind, acme = account(alice, "Northwind"), account(bob, "Acme")
    a = overdue_invoice(northwind, "700.00", days_late=20, number="INV-A")
    b = overdue_invoice(northwind, "300.00", days_late=10, number="INV-B")
    shipping = dispute_record(
        northwind, {overdue_invoice(northwind, "80.00", days_late=4): "80.00"}, reason="damaged"
    )
    sales = dispute_record(
        acme, {overdue_invoice(acme, "90.00", days_late=4): "90.00"}, reason="pricing"
    )
    billing = dispute_record(
        acme, {overdue_invoice(acme, "70.00", days_late=4): "70.00"}, reason="tax"
    )
    sam = user_in_role(roles.RESOLVER, "sam")  # shipping
    DepartmentMember.objects.create(user=sam, department="shipping")
    Dispute.objects.filter(pk=billing.pk).update(assignee=sam)
    return {
        "alice": alice,
        "bob": bob,
        "sam": sam,
        "northwind": northwind,
        "a": a,
        "b": b,
        "shipping": shipping,
        "sales": sales,
        "billing": billing,
    }


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_the_list_is_the_callers_reach(book):
    assert _ids(_api(book["alice"]).get(URL)) == {book["shipping"].pk}
    assert _ids(_api(book["bob"]).get(URL)) == {book["sales"].pk, book["billing"].pk}
    # the resolver: routed to shipping, or assigned — whoever's customer
    assert _ids(_api(book["sam"]).get(URL)) == {book["shipping"].pk, book["billing"].pk}
    assert _ids(_api(credit_manager()).get(URL)) == {
        book["shipping"].pk,
        book["sales"].pk,
        book["billing"].pk,
    }


def test_a_resolver_reads_nothing_outside_their_disputes(book):
    sam, sales = _api(book["sam"]), book["sales"]
    for path in ("", "comments/", "attachments/"):
        assert sam.get(f"{URL}{sales.pk}/{path}").status_code == 404
    assert sam.post(f"{URL}{sales.pk}/comments/", {"body": "hi"}).status_code == 404
    assert sam.post(f"{URL}{sales.pk}/transition/", {"to_status": "in_review"}).status_code == 404
    attachment = DisputeAttachment.objects.create(
        dispute=sales,
        file=SimpleUploadedFile("x.pdf", PDF),
        name="x.pdf",
        content_type="application/pdf",
        size=len(PDF),
    )
    assert sam.get(f"{URL}{sales.pk}/attachments/{attachment.pk}/").status_code == 404
    # nor the ledger: the resolver's role reads no invoice, payment or customer
    for ledger in ("/api/v1/invoices/", "/api/v1/customers/", "/api/v1/payments/"):
        assert sam.get(ledger).status_code == 403
    # a resolver opens no dispute
    assert sam.post(URL, {}, format="json").status_code == 403


def test_filters(book):
    bob = _api(book["bob"])
    sales, billing = book["sales"], book["billing"]
    assert _ids(bob.get(URL, {"reason": "tax"})) == {billing.pk}
    assert _ids(bob.get(URL, {"department": "sales"})) == {sales.pk}
    assert _ids(bob.get(URL, {"assignee": str(book["sam"].pk)})) == {billing.pk}
    assert _ids(bob.get(URL, {"assignee": "none"})) == {sales.pk}
    assert _ids(bob.get(URL, {"customer": sales.customer_id})) == {sales.pk, billing.pk}
    assert _ids(bob.get(URL, {"customer": book["northwind"].pk})) == set()
    Dispute.objects.filter(pk=sales.pk).update(due_date=datetime.date(2020, 1, 1))
    assert _ids(bob.get(URL, {"sla": "breached"})) == {sales.pk}
    assert _ids(bob.get(URL, {"sla": "within"})) == {billing.pk}
    assert _ids(bob.get(URL, {"status": "active"})) == {sales.pk, billing.pk}
    assert _ids(bob.get(URL, {"status": "resolved"})) == set()
    assert bob.get(URL, {"assignee": "somebody"}).status_code == 400
    row = bob.get(URL, {"sla": "breached"}).json()["results"][0]
    assert row["sla_state"] == "breached"
    assert row["lines"][0]["amount"] == "90.00"


def test_the_list_reads_in_a_fixed_number_of_queries(book):
    bob = _api(book["bob"])
    bob.get(URL)  # the user's permissions are cached after the first request
    with CaptureQueriesContext(connection) as few:
        bob.get(URL)
    customer = book["sales"].customer
    for _n in range(6):
        dispute_record(customer, {overdue_invoice(customer, "10.00", days_late=3): "10.00"})
    with CaptureQueriesContext(connection) as many:
        assert len(_ids(bob.get(URL))) == 8
    assert len(many) == len(few)


def test_create_with_lines_and_idempotency_key(book):
    alice, a, b = book["alice"], book["a"], book["b"]
    body = {
        "customer": book["northwind"].pk,
        "reason": "pricing",
        "note": "price list 2026",
        "lines": [{"invoice": a.pk, "amount": "200.00"}, {"invoice": b.pk, "amount": "50.00"}],
    }
    api = _api(alice)
    first = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    dispute = Dispute.objects.get(pk=first.json()["id"])
    assert (dispute.amount, dispute.department, dispute.reason_id) == (
        Decimal("250.00"),
        "sales",
        "pricing",
    )
    assert dispute.due_date == dispute.opened_at.date() + datetime.timedelta(days=10)
    assert {r["invoice"]: r["amount"] for r in first.json()["lines"]} == {
        a.pk: "200.00",
        b.pk: "50.00",
    }
    before = _state()
    replay = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert _state() == before
    other = api.post(URL, {**body, "note": "else"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    assert _state() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": "mood"}, "reason"),
        ({"lines": []}, "non_field_errors"),
        ({"lines": [{"invoice": 0, "amount": "1.00"}]}, "lines"),
        ({"lines": [{"invoice": "A", "amount": "ten"}]}, "lines"),
        ({"amount": "5.00"}, "amount"),
    ],
)
def test_create_refusals_name_the_field_and_store_nothing(book, change, field):
    body = {
        "customer": book["northwind"].pk,
        "reason": "pricing",
        "lines": [{"invoice": book["a"].pk, "amount": "200.00"}],
        **change,
    }
    before = _state()
    response = _api(book["alice"]).post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert _state() == before


def test_create_refusals_by_the_service_name_the_field(book):
    api, a = _api(book["alice"]), book["a"]
    before = _state()
    too_much = api.post(
        URL,
        {
            "customer": book["northwind"].pk,
            "reason": "pricing",
            "lines": [{"invoice": a.pk, "amount": "700.01"}],
        },
        format="json",
    )
    assert too_much.status_code == 400
    assert too_much.json()["field"] == "amounts"
    # another collector's customer is not in reach: refused like an unknown id
    acme = book["sales"].customer
    outside = api.post(
        URL, {"customer": acme.pk, "reason": "pricing", "invoices": [a.pk]}, format="json"
    )
    assert outside.status_code == 400
    assert "customer" in outside.json()
    assert _state() == before


def test_transitions_through_the_service(book):
    bob, sales = _api(book["bob"]), book["sales"]
    url = f"{URL}{sales.pk}/transition/"
    assert bob.post(url, {"to_status": "in_review"}, format="json").json()["status"] == "in_review"
    refused = bob.post(url, {"to_status": "in_review"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_transition"
    no_how = bob.post(url, {"to_status": "resolved", "outcome": "no_credit"}, format="json")
    assert no_how.json()["field"] == "resolution"
    before = _state()
    bad_credit = bob.post(
        url,
        {
            "to_status": "resolved",
            "outcome": "partial_credit",
            "note": "half",
            "credits": [{"invoice": sales.lines.get().invoice_id, "amount": "ten"}],
        },
        format="json",
    )
    assert bad_credit.status_code == 400
    assert _state() == before
    done = bob.post(
        url,
        {
            "to_status": "resolved",
            "outcome": "partial_credit",
            "note": "half",
            "credits": [{"invoice": sales.lines.get().invoice_id, "amount": "45.00"}],
        },
        format="json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["outcome"] == "partial_credit"
    memo = CreditMemo.objects.get()
    assert (memo.amount, memo.number) == (Decimal("45.00"), f"CM-D{sales.pk}-1")
    assert sales.lines.get().invoice.open_amount == Decimal("45.00")


def test_a_resolver_moves_but_does_not_credit(book):
    sam, shipping = _api(book["sam"]), book["shipping"]
    url = f"{URL}{shipping.pk}/transition/"
    assert sam.post(url, {"to_status": "in_review"}, format="json").status_code == 200
    before = _state()
    credit = sam.post(
        url,
        {"to_status": "resolved", "outcome": "credit_issued", "note": "broken"},
        format="json",
    )
    assert credit.status_code == 403
    assert _state() == before


def test_assign_comments_and_attachments(book):
    sam, shipping = _api(book["sam"]), book["shipping"]
    assigned = _api(book["alice"]).post(
        f"{URL}{shipping.pk}/assign/",
        {"department": "quality", "assignee": book["sam"].pk},
        format="json",
    )
    assert assigned.status_code == 200, assigned.content
    assert (assigned.json()["department"], assigned.json()["assignee"]) == (
        "quality",
        book["sam"].pk,
    )
    posted = sam.post(f"{URL}{shipping.pk}/comments/", {"body": "photo attached"}, format="json")
    assert posted.status_code == 201
    assert sam.get(f"{URL}{shipping.pk}/comments/").json()[0]["body"] == "photo attached"
    empty = sam.post(f"{URL}{shipping.pk}/comments/", {"body": "  "}, format="json")
    assert empty.status_code == 400

    upload = sam.post(
        f"{URL}{shipping.pk}/attachments/",
        {"file": SimpleUploadedFile("../../etc/dent photo.pdf", PDF)},
        format="multipart",
    )
    assert upload.status_code == 201, upload.content
    assert upload.json()["name"] == "dent_photo.pdf"
    got = sam.get(upload.json()["download_url"])
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith("attachment")
    assert b"".join(got.streaming_content) == PDF
    before = _state()
    for name, content in [
        ("invoice.pdf", b"<html><script>alert(1)</script></html>"),
        ("big.pdf", PDF + b"0" * (10 * 1024 * 1024)),
    ]:
        refused = sam.post(
            f"{URL}{shipping.pk}/attachments/",
            {"file": SimpleUploadedFile(name, content)},
            format="multipart",
        )
        assert refused.status_code == 400
        assert refused.json()["field"] == "file"
    assert _state() == before

    detail = sam.get(f"{URL}{shipping.pk}/").json()
    assert [e["kind"] for e in detail["events"]] == ["opened", "assigned"]
    assert len(detail["comments"]) == 1
    assert len(detail["attachments"]) == 1


def test_the_schema_documents_the_disputes_api(client):
    admin = user_in_role(roles.ADMIN, "ada", is_staff=True)
    client.force_login(admin)
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/disputes/"])
    assert "post" in paths["/api/v1/disputes/{id}/transition/"]
    assert {"get", "post"} <= set(paths["/api/v1/disputes/{id}/attachments/"])
    create = paths["/api/v1/disputes/"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    upload = paths["/api/v1/disputes/{id}/attachments/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]


def _path(name: str, dispute, attachment) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=url_kwargs(name, dispute.pk, attachment.pk))


def test_every_dispute_api_route_is_in_the_reach_table():
    from tests.collections_app.test_reach import _api_routes

    assert {r for r in _api_routes(with_id=True) if r[0].startswith("dispute-")} == API_ROUTES


@pytest.mark.parametrize(("name", "method"), sorted(API_ROUTES))
@pytest.mark.parametrize("who", ["alice", "sam"])
def test_a_dispute_out_of_reach_is_a_404_on_every_api_route(book, name, method, who):
    """Another portfolio's dispute for a collector, one neither routed nor assigned for a
    resolver: a 404 like an id that does not exist, and nothing changes."""
    sales = book["sales"]
    attachment = DisputeAttachment.objects.create(
        dispute=sales,
        file=SimpleUploadedFile("x.pdf", PDF),
        name="x.pdf",
        content_type="application/pdf",
        size=len(PDF),
    )
    before = _state()
    api = _api(book[who])
    path = _path(name, sales, attachment)
    if method == "get":
        response = api.get(path)
    elif name == "dispute-attachments":
        response = api.post(path, {"file": SimpleUploadedFile("a.pdf", PDF)}, format="multipart")
    else:
        body = {
            "dispute-transition": {"to_status": "in_review"},
            "dispute-assign": {"department": "quality", "assignee": None},
            "dispute-comments": {"body": "hello"},
        }[name]
        response = api.post(path, body, format="json")
    assert response.status_code == 404
    assert _state() == before
