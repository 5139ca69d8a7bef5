"""dispute_open: the minimal dispute the collector raises from the workspace."""

from decimal import Decimal

import pytest

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from disputes.models import Dispute
from disputes.services import dispute_open
from tests.collections_app.workflow import account, collector, overdue_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return collector("alice")


def test_a_dispute_defaults_to_the_open_amount_of_its_invoices(alice):
    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=10)
    b = overdue_invoice(customer, "300.00", days_late=10)

    dispute = dispute_open(
        actor=alice, customer=customer, invoice_ids=[a.pk, b.pk], reason_code="pricing"
    )

    assert (dispute.amount, dispute.currency_id, dispute.status) == (
        Decimal("1000.00"),
        "USD",
        "open",
    )
    assert AuditEntry.objects.get(action="dispute.open").after["invoices"] == [a.pk, b.pk]


def test_a_dispute_may_not_exceed_the_open_amount(alice):
    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=10)

    with pytest.raises(ServiceError) as refusal:
        dispute_open(
            actor=alice,
            customer=customer,
            invoice_ids=[a.pk],
            reason_code="pricing",
            amount=Decimal("700.01"),
        )
    assert refusal.value.field == "amount"
    assert Dispute.objects.count() == 0


def test_an_invoice_is_in_one_open_dispute_at_a_time(alice):
    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=10, number="INV-A")
    dispute_open(actor=alice, customer=customer, invoice_ids=[a.pk], reason_code="pricing")

    with pytest.raises(ServiceError) as refusal:
        dispute_open(actor=alice, customer=customer, invoice_ids=[a.pk], reason_code="damaged")
    assert refusal.value.message == "already in an open dispute: INV-A"
    assert Dispute.objects.count() == 1


def test_a_dispute_needs_a_known_reason_and_invoices(alice):
    customer = account(alice)
    a = overdue_invoice(customer, "700.00", days_late=10)
    with pytest.raises(ServiceError) as refusal:
        dispute_open(actor=alice, customer=customer, invoice_ids=[a.pk], reason_code="mood")
    assert refusal.value.field == "reason_code"
    with pytest.raises(ServiceError) as refusal:
        dispute_open(actor=alice, customer=customer, invoice_ids=[], reason_code="pricing")
    assert refusal.value.field == "invoices"


def test_a_dispute_cannot_name_another_customers_invoice(alice):
    customer = account(alice)
    other = overdue_invoice(account(alice, "Other"), "700.00", days_late=10)

    with pytest.raises(ServiceError) as refusal:
        dispute_open(actor=alice, customer=customer, invoice_ids=[other.pk], reason_code="pricing")
    assert refusal.value.field == "invoices"
