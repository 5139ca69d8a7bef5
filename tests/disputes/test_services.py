"""dispute_open and dispute_resolve: the dispute the collector raises and closes."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEntry
from disputes.models import Dispute
from disputes.services import dispute_open, dispute_resolve
from invoices.models import CreditMemo, Invoice
from tests.collections_app.workflow import account, collector, overdue_invoice
from tests.factories import user_in_role

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
    assert Dispute.objects.count() == 0
    assert not AuditEntry.objects.filter(action="dispute.open").exists()


def test_a_dispute_cannot_name_another_customers_invoice(alice):
    customer = account(alice)
    other = overdue_invoice(account(alice, "Other"), "700.00", days_late=10)

    with pytest.raises(ServiceError) as refusal:
        dispute_open(actor=alice, customer=customer, invoice_ids=[other.pk], reason_code="pricing")
    assert refusal.value.field == "invoices"
    assert Dispute.objects.count() == 0
    assert not AuditEntry.objects.filter(action="dispute.open").exists()


# --- resolving: when and how, for the dispute cycle time ----------------------------------


def _open_dispute(alice):
    customer = account(alice)
    item = overdue_invoice(customer, "700.00", days_late=10)
    return dispute_open(actor=alice, customer=customer, invoice_ids=[item.pk], reason_code="tax")


def test_resolving_stamps_the_moment_and_the_resolution(alice):
    dispute = _open_dispute(alice)
    before = timezone.now()

    resolved = dispute_resolve(
        actor=alice, dispute=dispute, resolution="  credit note issued ", outcome="no_credit"
    )

    stored = Dispute.objects.get()
    assert (stored.status, stored.resolution) == ("resolved", "credit note issued")
    assert before <= stored.resolved_at <= timezone.now()
    assert resolved.resolved_at == stored.resolved_at
    assert AuditEntry.objects.get(action="dispute.resolve").after == {
        "status": "resolved",
        "resolution": "credit note issued",
        "resolved_at": stored.resolved_at.isoformat(),
        "outcome": "no_credit",
        "credit_memo": None,
    }


def test_a_resolved_dispute_is_not_resolved_again_and_keeps_its_date(alice):
    dispute = dispute_resolve(
        actor=alice, dispute=_open_dispute(alice), resolution="paid", outcome="no_credit"
    )
    first = Dispute.objects.values_list("resolved_at", "resolution").get()

    with pytest.raises(ServiceError) as refusal:
        dispute_resolve(actor=alice, dispute=dispute, resolution="paid again", outcome="no_credit")

    assert refusal.value.code == "invalid_transition"
    assert Dispute.objects.values_list("resolved_at", "resolution").get() == first
    assert AuditEntry.objects.filter(action="dispute.resolve").count() == 1


def test_an_overlong_resolution_is_refused_and_nothing_changes(alice):
    dispute = _open_dispute(alice)

    with pytest.raises(ServiceError) as refusal:
        dispute_resolve(actor=alice, dispute=dispute, resolution="x" * 501, outcome="no_credit")

    assert refusal.value.field == "resolution"
    assert Dispute.objects.values_list("status", "resolved_at", "resolution").get() == (
        "open",
        None,
        "",
    )
    assert not AuditEntry.objects.filter(action="dispute.resolve").exists()


@pytest.mark.parametrize(
    ("status", "resolved_at"),
    [("resolved", None), ("open", datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC))],
)
def test_the_database_refuses_a_resolution_date_that_disagrees_with_the_status(
    alice, status, resolved_at
):
    dispute = _open_dispute(alice)

    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.filter(pk=dispute.pk).update(status=status, resolved_at=resolved_at)

    assert Dispute.objects.values_list("status", "resolved_at").get() == ("open", None)


def test_the_database_refuses_a_dispute_resolved_before_it_was_opened(alice):
    dispute = _open_dispute(alice)

    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.filter(pk=dispute.pk).update(
            status="resolved", resolved_at=dispute.opened_at - datetime.timedelta(seconds=1)
        )


@pytest.mark.parametrize("who", ["resolver", "system"])
def test_a_credit_needs_someone_who_may_credit_whoever_calls_the_service(alice, who):
    """The page and the API check the permission first; the service holds the rule for
    every other caller (a task, a command, the next view), since a credit memo moves money."""
    dispute = _open_dispute(alice)
    actor = user_in_role(roles.RESOLVER, "sam") if who == "resolver" else None
    before = (AuditEntry.objects.count(), CreditMemo.objects.count())

    with pytest.raises(ServiceError) as refusal:
        dispute_resolve(
            actor=actor, dispute=dispute, resolution="credit in full", outcome="credit_issued"
        )

    assert (refusal.value.field, refusal.value.code) == ("outcome", "forbidden")
    assert Dispute.objects.get().status == "open"
    assert (AuditEntry.objects.count(), CreditMemo.objects.count()) == before
    assert Invoice.objects.get().open_amount == Decimal("700.00")
