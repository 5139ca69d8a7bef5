"""Resolving with credit issues a credit memo through the ledger and applies it to the
disputed invoices in the same transaction, never more than the lines dispute; the ledger
stays consistent and the aging moves by exactly the credit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.errors import ServiceError
from accounts.models import AuditEntry, Customer
from disputes.models import Dispute, DisputeEvent, DisputeLine
from disputes.services import dispute_move, dispute_open, dispute_resolve
from invoices.models import Application, CreditMemo, Invoice
from invoices.selectors import ledger_discrepancies
from reporting.aging import AgingQuery, aging
from tests.collections_app.workflow import account, collector, overdue_invoice, pay, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    alice = collector("alice")
    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=20, number="INV-A")
    b = overdue_invoice(customer, "300.00", days_late=10, number="INV-B")
    dispute = dispute_open(
        actor=alice,
        customer=customer,
        invoice_ids=[a.pk, b.pk],
        amounts={a.pk: Decimal("200.00"), b.pk: Decimal("50.00")},
        reason_code="pricing",
    )
    dispute_move(actor=alice, dispute=dispute, to_status="in_review")
    return alice, customer, a, b, dispute


def _open_amounts(*invoices) -> list[Decimal]:
    return [Invoice.objects.get(pk=i.pk).open_amount for i in invoices]


def _aging_total(customer) -> Decimal:
    return aging(AgingQuery(customers=Customer.objects.filter(pk=customer.pk), as_of=today())).total


def _unchanged(case):
    _alice, _customer, a, b, dispute = case
    return (
        _open_amounts(a, b),
        Dispute.objects.values_list("status", "outcome").get(pk=dispute.pk),
        list(DisputeLine.objects.order_by("pk").values_list("credited", flat=True)),
        CreditMemo.objects.count(),
        Application.objects.count(),
        DisputeEvent.objects.filter(dispute=dispute).count(),
    )


def test_credit_issued_credits_every_line_in_full_through_one_credit_memo(case):
    alice, customer, a, b, dispute = case
    aging_before = _aging_total(customer)

    dispute_resolve(
        actor=alice, dispute=dispute, resolution="price list was wrong", outcome="credit_issued"
    )

    memo = CreditMemo.objects.get()
    assert (memo.number, memo.amount, memo.unapplied_amount, memo.currency_id) == (
        f"CM-D{dispute.pk}-1",
        Decimal("250.00"),
        Decimal("0.00"),
        "USD",
    )
    assert sorted(
        Application.objects.filter(credit_memo=memo).values_list("invoice__number", "amount")
    ) == [("INV-A", Decimal("200.00")), ("INV-B", Decimal("50.00"))]
    assert _open_amounts(a, b) == [Decimal("500.00"), Decimal("250.00")]
    assert list(DisputeLine.objects.order_by("invoice_id").values_list("credited", flat=True)) == [
        Decimal("200.00"),
        Decimal("50.00"),
    ]
    assert _aging_total(customer) == aging_before - Decimal("250.00")
    assert ledger_discrepancies() == []
    event = DisputeEvent.objects.filter(dispute=dispute).latest("at", "id")
    assert (event.status, event.outcome, event.credit_memo) == ("resolved", "credit_issued", memo)
    assert AuditEntry.objects.get(action="dispute.resolve").after["credit_memo"] == memo.number


def test_a_partial_credit_credits_what_is_named_and_the_rest_stays_due(case):
    alice, _customer, a, b, dispute = case

    dispute_resolve(
        actor=alice,
        dispute=dispute,
        resolution="half the price difference",
        outcome="partial_credit",
        credits={a.pk: Decimal("100.00")},
    )

    assert CreditMemo.objects.get().amount == Decimal("100.00")
    assert _open_amounts(a, b) == [Decimal("600.00"), Decimal("300.00")]
    assert Dispute.objects.values_list("status", "outcome").get(pk=dispute.pk) == (
        "resolved",
        "partial_credit",
    )
    assert ledger_discrepancies() == []


def test_no_credit_issues_no_credit_memo(case):
    alice, _customer, a, b, dispute = case

    dispute_resolve(actor=alice, dispute=dispute, resolution="price is right", outcome="no_credit")

    assert CreditMemo.objects.count() == 0
    assert _open_amounts(a, b) == [Decimal("700.00"), Decimal("300.00")]


@pytest.mark.parametrize(
    ("outcome", "credits", "field"),
    [
        ("partial_credit", {"a": "200.01"}, "credits"),  # more than the line
        ("partial_credit", {"a": "200.00", "b": "50.00"}, "credits"),  # that is all: not partial
        ("partial_credit", None, "credits"),  # how much?
        ("credit_issued", {"a": "100.00"}, "credits"),  # not the whole
        ("no_credit", {"a": "10.00"}, "credits"),
        ("partial_credit", {"other": "10.00"}, "credits"),  # an invoice the dispute does not name
        ("partial_credit", {"a": "10.001"}, "credits"),
        # text that is no number: a field error, not InvalidOperation (a 500)
        ("partial_credit", {"a": "ten euros"}, "credits"),
        ("partial_credit", {"a": "NaN"}, "credits"),
        ("partial_credit", {"a": "-5.00"}, "credits"),
        ("credit_issued", {"a": "200.00", "b": "fifty"}, "credits"),
    ],
)
def test_a_credit_beyond_the_lines_or_against_the_outcome_is_refused_and_nothing_changes(
    case, outcome, credits, field
):
    alice, customer, a, b, dispute = case
    other = overdue_invoice(customer, "80.00", days_late=5)
    ids = {"a": a.pk, "b": b.pk, "other": other.pk}
    before = _unchanged(case)

    with pytest.raises(ServiceError) as refusal:
        dispute_resolve(
            actor=alice,
            dispute=dispute,
            resolution="credit",
            outcome=outcome,
            credits=None if credits is None else {ids[k]: v for k, v in credits.items()},
        )

    assert refusal.value.field == field
    assert _unchanged(case) == before


def test_a_credit_the_ledger_refuses_rolls_the_resolution_back(case):
    """INV-B was paid in full meanwhile: the ledger will not credit it, so the dispute stays
    in review, no credit memo is left half-applied."""
    alice, customer, _a, b, dispute = case
    pay(customer, "300.00", invoices=[b])
    before = _unchanged(case)

    with pytest.raises(ServiceError):
        dispute_resolve(actor=alice, dispute=dispute, resolution="credit", outcome="credit_issued")

    assert _unchanged(case) == before
    assert ledger_discrepancies() == []


def test_a_reopened_dispute_credits_only_what_was_not_credited_yet(case):
    alice, _customer, a, b, dispute = case
    dispute_resolve(
        actor=alice,
        dispute=dispute,
        resolution="first half",
        outcome="partial_credit",
        credits={a.pk: Decimal("100.00")},
    )
    dispute_move(actor=alice, dispute=dispute, to_status="open", note="rest agreed later")

    dispute_resolve(actor=alice, dispute=dispute, resolution="rest", outcome="credit_issued")

    assert sorted(CreditMemo.objects.values_list("number", "amount")) == [
        (f"CM-D{dispute.pk}-1", Decimal("100.00")),
        (f"CM-D{dispute.pk}-2", Decimal("150.00")),
    ]
    assert _open_amounts(a, b) == [Decimal("500.00"), Decimal("250.00")]
    assert ledger_discrepancies() == []
