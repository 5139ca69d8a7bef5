"""A resolver proposes a resolution with credit; a collector or credit manager approves it
(issuing the credit memo through the resolve-with-credit service) or rejects it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEntry
from disputes.models import DepartmentMember, Dispute, DisputeEvent, DisputeProposal
from disputes.services import (
    dispute_credit_propose,
    dispute_move,
    dispute_open,
    dispute_proposal_approve,
    dispute_proposal_reject,
)
from invoices.models import CreditMemo, Invoice
from invoices.selectors import ledger_discrepancies
from tests.collections_app.workflow import account, collector, credit_manager, overdue_invoice
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    alice = collector("alice")
    customer = account(alice, "Northwind")
    a = overdue_invoice(customer, "700.00", days_late=20, number="INV-A")
    b = overdue_invoice(customer, "300.00", days_late=10, number="INV-B")
    dispute = dispute_open(
        actor=alice,
        customer=customer,
        invoice_ids=[a.pk, b.pk],
        amounts={a.pk: Decimal("200.00"), b.pk: Decimal("50.00")},
        reason_code="pricing",
    )
    sid = user_in_role(roles.RESOLVER, "sid")
    DepartmentMember.objects.create(user=sid, department="sales")
    return alice, sid, a, b, dispute


def _state(dispute):
    return (
        Dispute.objects.values_list("status", "outcome").get(pk=dispute.pk),
        list(DisputeProposal.objects.order_by("pk").values_list("status", "credit_memo")),
        CreditMemo.objects.count(),
        sorted(Invoice.objects.values_list("pk", "open_amount")),
        DisputeEvent.objects.count(),
    )


def test_a_resolvers_partial_credit_approved_by_the_collector_issues_the_memo(case):
    alice, sid, a, b, dispute = case
    proposal = dispute_credit_propose(
        actor=sid,
        dispute=dispute,
        outcome="partial_credit",
        note="old price list",
        credits={a.pk: Decimal("120.00")},
    )
    assert (proposal.status, proposal.amount) == ("pending", Decimal("120.00"))
    assert Dispute.objects.get(pk=dispute.pk).status == "open"  # nothing credited yet
    assert CreditMemo.objects.count() == 0

    approved = dispute_proposal_approve(actor=alice, proposal=proposal)

    memo = CreditMemo.objects.get()
    assert (approved.status, approved.credit_memo, approved.decided_by) == ("approved", memo, alice)
    assert (memo.number, memo.amount) == (f"CM-D{dispute.pk}-1", Decimal("120.00"))
    assert Dispute.objects.values_list("status", "outcome").get(pk=dispute.pk) == (
        "resolved",
        "partial_credit",
    )
    assert Invoice.objects.get(pk=a.pk).open_amount == Decimal("580.00")
    assert Invoice.objects.get(pk=b.pk).open_amount == Decimal("300.00")
    assert ledger_discrepancies() == []
    assert set(
        AuditEntry.objects.filter(
            action__in=["dispute.propose_credit", "dispute.approve_credit"]
        ).values_list("actor__username", "action")
    ) == {("sid", "dispute.propose_credit"), ("alice", "dispute.approve_credit")}


def test_a_resolver_cannot_approve_and_a_rejection_says_why(case):
    _alice, sid, _a, _b, dispute = case
    proposal = dispute_credit_propose(
        actor=sid, dispute=dispute, outcome="credit_issued", note="all damaged"
    )
    before = _state(dispute)
    with pytest.raises(ServiceError) as refusal:
        dispute_proposal_approve(actor=sid, proposal=proposal)
    assert refusal.value.code == "forbidden"
    with pytest.raises(ServiceError):
        dispute_proposal_reject(actor=credit_manager(), proposal=proposal, note=" ")
    assert _state(dispute) == before

    dispute_proposal_reject(actor=credit_manager(), proposal=proposal, note="photos show none")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note) == ("rejected", "photos show none")
    assert Dispute.objects.get(pk=dispute.pk).status == "open"
    assert CreditMemo.objects.count() == 0
    with pytest.raises(ServiceError) as refusal:
        dispute_proposal_approve(actor=credit_manager("carl"), proposal=proposal)
    assert refusal.value.code == "decided"


@pytest.mark.parametrize(
    ("outcome", "credits", "field"),
    [
        ("no_credit", None, "outcome"),
        ("partial_credit", None, "credits"),
        ("partial_credit", {"a": "200.01"}, "credits"),
        ("partial_credit", {"a": "lots"}, "credits"),
        ("credit_issued", {"a": "10.00"}, "credits"),
    ],
)
def test_a_proposal_is_checked_as_the_resolution_would_be(case, outcome, credits, field):
    _alice, sid, a, b, dispute = case
    ids = {"a": a.pk, "b": b.pk}
    before = _state(dispute)
    with pytest.raises(ServiceError) as refusal:
        dispute_credit_propose(
            actor=sid,
            dispute=dispute,
            outcome=outcome,
            note="why",
            credits=None if credits is None else {ids[k]: v for k, v in credits.items()},
        )
    assert refusal.value.field == field
    assert _state(dispute) == before


def test_one_pending_proposal_per_dispute_in_the_service_and_the_database(case):
    _alice, sid, _a, _b, dispute = case
    first = dispute_credit_propose(actor=sid, dispute=dispute, outcome="credit_issued", note="x")
    with pytest.raises(ServiceError) as refusal:
        dispute_credit_propose(actor=sid, dispute=dispute, outcome="credit_issued", note="y")
    assert refusal.value.code == "pending"
    with pytest.raises(IntegrityError), transaction.atomic():
        DisputeProposal.objects.create(
            dispute=dispute, outcome="credit_issued", note="z", amount=Decimal("1.00")
        )
    assert list(DisputeProposal.objects.values_list("pk", flat=True)) == [first.pk]


def test_closing_the_dispute_withdraws_a_pending_proposal(case):
    alice, sid, _a, _b, dispute = case
    proposal = dispute_credit_propose(actor=sid, dispute=dispute, outcome="credit_issued", note="x")
    dispute_move(actor=alice, dispute=dispute, to_status="withdrawn", note="customer paid")
    proposal.refresh_from_db()
    assert proposal.status == "withdrawn"
    with pytest.raises(ServiceError):
        dispute_proposal_approve(actor=alice, proposal=proposal)
    assert CreditMemo.objects.count() == 0


def test_the_pages_propose_and_approve(client, case):
    alice, sid, a, _b, dispute = case
    client.force_login(sid)
    page = client.get(reverse("dispute", args=[dispute.pk])).content.decode()
    assert 'id="propose-form"' in page
    response = client.post(
        reverse("dispute_propose", args=[dispute.pk]),
        {"outcome": "partial_credit", "note": "price", f"credit_{a.pk}": "75.00"},
    )
    assert response.status_code == 302
    proposal = DisputeProposal.objects.get()
    page = client.get(reverse("dispute", args=[dispute.pk])).content.decode()
    assert "waiting for approval" in page
    assert "Approve and issue the credit memo" not in page
    decide = reverse("dispute_proposal_decide", args=[dispute.pk, proposal.pk])
    assert client.post(decide, {"decision": "approve"}).status_code == 403

    client.force_login(alice)
    assert (
        "Approve and issue the credit memo"
        in client.get(reverse("dispute", args=[dispute.pk])).content.decode()
    )
    response = client.post(decide, {"decision": "approve"}, follow=True)
    assert f"credit memo CM-D{dispute.pk}-1 issued" in response.content.decode()
    assert CreditMemo.objects.get().amount == Decimal("75.00")
