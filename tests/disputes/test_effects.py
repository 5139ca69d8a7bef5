"""A dispute sets aside only its open disputed lines, capped at the invoice's open amount:
an invoice of 1,000 with 200 in dispute still counts 800 as collectable in the queue and
is still dunned for 800; one disputed in full is neither."""

from __future__ import annotations

from decimal import Decimal

import pytest

from collections_app.models import QueueState
from collections_app.services import queue_state_refresh
from disputes.services import dispute_move, dispute_open
from dunning import services as dunning
from dunning.models import DunningLine, SkipReason
from invoices.models import Invoice
from tests.collections_app.workflow import (
    account,
    collector,
    credit_manager,
    overdue_invoice,
    pay,
)
from tests.dunning.pages import ensure_dunning_defaults
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    ensure_dunning_defaults()
    owner = collector("cora")
    customer = account(owner, "Acme Widgets", billing_address="1 Main St\nSpringfield")
    ContactFactory(customer=customer, name="Ann", email="ap@acme.example", is_primary=True)
    return customer


def _dispute(customer, item, amount: str):
    return dispute_open(
        actor=customer.assigned_collector,
        customer=customer,
        invoice_ids=[item.pk],
        amounts={item.pk: Decimal(amount)},
        reason_code="pricing",
    )


def _queue(customer) -> tuple[Decimal, Decimal, Decimal]:
    state = QueueState.objects.get(customer=customer)
    return state.open_amount, state.overdue_amount, state.disputed_amount


def _dunned(customer) -> tuple[list[tuple[str, Decimal]], list[str]]:
    run = dunning.dunning_run_start(actor=credit_manager("carla"))
    lines = DunningLine.objects.filter(communication__run=run, communication__customer=customer)
    skips = run.skips.filter(customer=customer).values_list("reason", flat=True)
    return sorted(lines.values_list("invoice__number", "open_amount")), list(skips)


def test_a_partial_dispute_leaves_the_rest_collectable_and_dunned(acme):
    item = overdue_invoice(acme, "1000.00", days_late=20, number="ACME-1")
    _dispute(acme, item, "200.00")

    assert _queue(acme) == (Decimal("1000.00"), Decimal("800.00"), Decimal("200.00"))
    assert _dunned(acme) == ([("ACME-1", Decimal("800.00"))], [])


def test_a_dispute_in_full_is_set_aside_whole(acme):
    item = overdue_invoice(acme, "1000.00", days_late=20, number="ACME-1")
    _dispute(acme, item, "1000.00")

    assert _queue(acme) == (Decimal("1000.00"), Decimal("0.00"), Decimal("1000.00"))
    assert _dunned(acme) == ([], [SkipReason.DISPUTED])


def test_the_disputed_part_is_capped_at_the_open_amount(acme):
    """Paid down to 150 after 200 was disputed: 150 in dispute, nothing collectable."""
    item = overdue_invoice(acme, "1000.00", days_late=20, number="ACME-1")
    _dispute(acme, item, "200.00")
    pay(acme, "850.00", invoices=[item])
    assert Invoice.objects.get(pk=item.pk).open_amount == Decimal("150.00")

    queue_state_refresh(customer_ids=[acme.pk])
    assert _queue(acme) == (Decimal("150.00"), Decimal("0.00"), Decimal("150.00"))
    assert _dunned(acme) == ([], [SkipReason.DISPUTED])


def test_resolved_customer_to_pay_brings_the_whole_amount_back(acme):
    item = overdue_invoice(acme, "1000.00", days_late=20, number="ACME-1")
    dispute = _dispute(acme, item, "200.00")
    dispute_move(
        actor=acme.assigned_collector,
        dispute=dispute,
        to_status="resolved",
        outcome="no_credit",
        note="price was right",
    )

    assert _queue(acme) == (Decimal("1000.00"), Decimal("1000.00"), Decimal("0.00"))
    assert _dunned(acme) == ([("ACME-1", Decimal("1000.00"))], [])
