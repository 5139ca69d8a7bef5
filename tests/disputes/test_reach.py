"""Who reaches which dispute: collectors their portfolio's, the team view all, a resolver
only those routed to their department or assigned to them — and nothing else of the
customer's ledger; every route of /disputes/ obeys it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import roles
from disputes.models import DepartmentMember, Dispute, DisputeComment, DisputeProposal
from disputes.selectors import disputes_for
from disputes.services import dispute_attachment_add, dispute_credit_propose
from invoices.models import CreditMemo
from tests.collections_app.workflow import account, collector, overdue_invoice
from tests.factories import dispute_record, user_in_role

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"
# every /disputes/ route that takes an id (tests/collections_app/test_reach.py walks them)
ROUTES = {
    "dispute",
    "dispute_move",
    "dispute_assign",
    "dispute_comment",
    "dispute_attach",
    "dispute_attachment",
    "dispute_propose",
    "dispute_proposal_decide",
}


@pytest.fixture
def book(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    alice, bob = collector("alice"), collector("bob")
    northwind, acme = account(alice, "Northwind"), account(bob, "Acme")
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
    dispute_attachment_add(
        actor=alice, dispute=sales, upload=SimpleUploadedFile("price-list.pdf", PDF)
    )
    return {
        "alice": alice,
        "bob": bob,
        "sam": sam,
        "shipping": shipping,
        "sales": sales,
        "billing": billing,
        "northwind": northwind,
    }


def test_each_role_reaches_its_disputes(book):
    manager = user_in_role(roles.CREDIT_MANAGER, "carla")
    nobody = user_in_role(roles.FINANCE, "fin")
    nobody.groups.clear()

    def reach(user):
        return sorted(disputes_for(user).values_list("pk", flat=True))

    assert reach(book["alice"]) == [book["shipping"].pk]
    assert reach(book["bob"]) == sorted([book["sales"].pk, book["billing"].pk])
    assert reach(book["sam"]) == sorted([book["shipping"].pk, book["billing"].pk])
    assert reach(manager) == sorted(
        d.pk for d in (book["shipping"], book["sales"], book["billing"])
    )
    assert reach(nobody) == []


def test_a_resolver_works_their_disputes_and_is_refused_everything_else(client, book):
    sam, sales, shipping = book["sam"], book["sales"], book["shipping"]
    attachment = sales.attachments.get()
    client.force_login(sam)

    refused = {
        path: client.get(path).status_code
        for path in (
            f"/disputes/{sales.pk}/",
            f"/disputes/{sales.pk}/attachments/{attachment.pk}/",
            f"/customers/{book['northwind'].pk}/",
            "/invoices/",
            "/reports/aging/",
            "/queue/",
        )
    }
    posted = client.post(f"/disputes/{sales.pk}/comments/", {"body": "let me in"}).status_code
    page = client.get(f"/disputes/{shipping.pk}/")
    commented = client.post(f"/disputes/{shipping.pk}/comments/", {"body": "POD attached"})

    assert refused == {
        f"/disputes/{sales.pk}/": 404,
        f"/disputes/{sales.pk}/attachments/{attachment.pk}/": 404,
        f"/customers/{book['northwind'].pk}/": 403,
        "/invoices/": 403,
        "/reports/aging/": 403,
        "/queue/": 403,
    }
    assert posted == 404
    assert page.status_code == 200
    assert commented.status_code == 302
    assert list(DisputeComment.objects.values_list("dispute", "body")) == [
        (shipping.pk, "POD attached")
    ]


def test_a_resolver_cannot_resolve_with_credit(client, book):
    shipping = book["shipping"]
    client.force_login(book["sam"])

    response = client.post(
        f"/disputes/{shipping.pk}/move/",
        {"to_status": "resolved", "outcome": "credit_issued", "note": "credit it"},
    )

    assert response.status_code == 400
    assert Dispute.objects.get(pk=shipping.pk).status == "open"
    assert CreditMemo.objects.count() == 0


def test_another_portfolios_dispute_is_a_404_on_every_route(client, book):
    sales = book["sales"]
    attachment = sales.attachments.get()
    proposal = dispute_credit_propose(
        actor=book["bob"], dispute=sales, outcome="credit_issued", note="list price"
    )
    client.force_login(book["alice"])

    statuses = [
        client.get(f"/disputes/{sales.pk}/").status_code,
        client.get(f"/disputes/{sales.pk}/attachments/{attachment.pk}/").status_code,
        client.post(f"/disputes/{sales.pk}/move/", {"to_status": "in_review"}).status_code,
        client.post(f"/disputes/{sales.pk}/assign/", {"department": "sales"}).status_code,
        client.post(f"/disputes/{sales.pk}/comments/", {"body": "x"}).status_code,
        client.post(
            f"/disputes/{sales.pk}/attachments/",
            {"file": SimpleUploadedFile("a.pdf", PDF)},
        ).status_code,
        client.post(
            f"/disputes/{sales.pk}/propose/", {"outcome": "credit_issued", "note": "x"}
        ).status_code,
        client.post(
            f"/disputes/{sales.pk}/proposals/{proposal.pk}/decide/", {"decision": "approve"}
        ).status_code,
    ]

    assert statuses == [404] * 8
    assert DisputeProposal.objects.get().status == "pending"
    assert Dispute.objects.get(pk=sales.pk).status == "open"


def test_an_attachment_is_served_as_a_download_to_those_who_reach_it(client, book):
    sales = book["sales"]
    attachment = sales.attachments.get()
    client.force_login(book["bob"])

    response = client.get(f"/disputes/{sales.pk}/attachments/{attachment.pk}/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="price-list.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
