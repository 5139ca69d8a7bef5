"""A dispute's lines: each invoice with its own disputed amount, routed by its reason to a
department with an SLA; the database keeps a line within its invoice and currency."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from disputes.models import Dispute, DisputeEvent, DisputeLine, DisputeReason
from disputes.services import deduction_open, dispute_assign, dispute_open
from tests.collections_app.workflow import account, collector, overdue_invoice
from tests.factories import invoice, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return collector("alice")


def _lines(dispute) -> list[tuple[str, Decimal]]:
    return list(
        DisputeLine.objects.filter(dispute=dispute)
        .order_by("invoice__number")
        .values_list("invoice__number", "amount")
    )


def test_each_invoice_carries_its_own_disputed_amount(alice):
    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=10, number="INV-A")
    b = overdue_invoice(customer, "300.00", days_late=5, number="INV-B")

    dispute = dispute_open(
        actor=alice,
        customer=customer,
        invoice_ids=[a.pk, b.pk],
        amounts={a.pk: Decimal("120.00"), b.pk: Decimal("300.00")},
        reason_code="quantity",
    )

    assert _lines(dispute) == [("INV-A", Decimal("120.00")), ("INV-B", Decimal("300.00"))]
    assert (dispute.amount, dispute.raised_via, dispute.kind) == (
        Decimal("420.00"),
        "collector",
        "dispute",
    )
    assert AuditEntry.objects.get(action="dispute.open").after["lines"] == {
        str(a.pk): "120.00",
        str(b.pk): "300.00",
    }
    assert list(DisputeEvent.objects.values_list("kind", "status", "actor")) == [
        ("opened", "open", alice.pk)
    ]


def test_one_amount_is_spread_in_due_date_order_as_before(alice):
    customer = account(alice)
    late = overdue_invoice(customer, "300.00", days_late=5, number="LATE")
    early = overdue_invoice(customer, "200.00", days_late=20, number="EARLY")

    dispute = dispute_open(
        actor=alice,
        customer=customer,
        invoice_ids=[late.pk, early.pk],
        amount=Decimal("250.00"),
        reason_code="pricing",
    )

    assert _lines(dispute) == [("EARLY", Decimal("200.00")), ("LATE", Decimal("50.00"))]


def test_a_line_above_the_invoices_open_amount_is_refused(alice):
    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=10, number="INV-A")

    with pytest.raises(ServiceError) as refusal:
        dispute_open(
            actor=alice,
            customer=customer,
            invoice_ids=[a.pk],
            amounts={a.pk: Decimal("700.01")},
            reason_code="pricing",
        )

    assert refusal.value.field == "amounts"
    assert (Dispute.objects.count(), DisputeLine.objects.count()) == (0, 0)


def test_the_reason_routes_to_its_department_with_its_sla(alice):
    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=10)
    DisputeReason.objects.filter(code="damaged").update(sla_days=3)

    dispute = dispute_open(
        actor=alice, customer=customer, invoice_ids=[a.pk], reason_code="damaged"
    )

    assert (dispute.department, dispute.due_date) == (
        "shipping",
        timezone.localdate() + datetime.timedelta(days=3),
    )


def test_a_retired_reason_cannot_be_used(alice):
    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=10)
    DisputeReason.objects.filter(code="tax").update(active=False)

    with pytest.raises(ServiceError) as refusal:
        dispute_open(actor=alice, customer=customer, invoice_ids=[a.pk], reason_code="tax")

    assert refusal.value.field == "reason_code"
    assert Dispute.objects.count() == 0


def test_an_invoice_in_review_is_still_in_an_open_dispute(alice):
    from disputes.services import dispute_move

    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=10, number="INV-A")
    first = dispute_open(actor=alice, customer=customer, invoice_ids=[a.pk], reason_code="tax")
    dispute_move(actor=alice, dispute=first, to_status="awaiting_customer")

    with pytest.raises(ServiceError) as refusal:
        dispute_open(actor=alice, customer=customer, invoice_ids=[a.pk], reason_code="pricing")

    assert refusal.value.code == "duplicate"
    assert Dispute.objects.count() == 1


def test_a_short_payment_opens_a_deduction_for_the_difference(alice):
    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=10, number="INV-A")

    deduction = deduction_open(
        actor=None, customer=customer, invoice_id=a.pk, amount=Decimal("35.50"), note="PAY-9"
    )

    assert (deduction.kind, deduction.raised_via, deduction.reason_id, deduction.department) == (
        "deduction",
        "cash_application",
        "deduction",
        "collections",
    )
    assert _lines(deduction) == [("INV-A", Decimal("35.50"))]


def test_assigning_records_who_and_to_whom(alice):
    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=10)
    dispute = dispute_open(actor=alice, customer=customer, invoice_ids=[a.pk], reason_code="tax")
    sam = user_in_role("Collector", "sam")

    dispute_assign(actor=alice, dispute=dispute, assignee=sam, department="sales")

    stored = Dispute.objects.get()
    assert (stored.assignee, stored.department) == (sam, "sales")
    event = DisputeEvent.objects.latest("id")
    assert (event.kind, event.actor, event.status, event.note) == (
        "assigned",
        alice,
        "open",
        "Sales · sam",
    )
    assert AuditEntry.objects.get(action="dispute.assign").after == {
        "department": "sales",
        "assignee": sam.pk,
    }


def test_the_database_keeps_a_line_within_its_invoice(alice):
    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=10)
    dispute = dispute_open(actor=alice, customer=customer, invoice_ids=[a.pk], reason_code="tax")

    with pytest.raises(IntegrityError), transaction.atomic():
        DisputeLine.objects.filter(dispute=dispute).update(amount=Decimal("700.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        DisputeLine.objects.filter(dispute=dispute).update(amount=Decimal("0.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        DisputeLine.objects.filter(dispute=dispute).update(credited=Decimal("700.01"))

    assert list(DisputeLine.objects.values_list("amount", "credited")) == [
        (Decimal("700.00"), Decimal("0.00"))
    ]


def test_the_database_keeps_a_line_in_its_disputes_currency(alice):
    customer = account(alice)
    usd = overdue_invoice(customer, "700.00", days_late=10)
    eur = invoice(customer, "100.00", currency="EUR")
    dispute = dispute_open(actor=alice, customer=customer, invoice_ids=[usd.pk], reason_code="tax")

    with pytest.raises(IntegrityError), transaction.atomic():
        DisputeLine.objects.create(dispute=dispute, invoice=eur, amount=Decimal("10.00"))

    assert DisputeLine.objects.count() == 1
