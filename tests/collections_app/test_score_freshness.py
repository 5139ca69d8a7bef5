"""The stored queue score is refreshed by every event that changes it, in the writer's
transaction: each test reads the stored row after one event, checks that it moved, and
that a full recompute (what the nightly run would write) finds nothing left to change."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.services import customer_update
from collections_app import services
from collections_app.models import QueueState
from invoices import services as ledger
from tests.factories import invoice

from .workflow import account, collector, overdue_invoice, today

pytestmark = pytest.mark.django_db

FACTS = [
    "score",
    "in_queue",
    "open_amount",
    "overdue_amount",
    "disputed_amount",
    "credit_use_pct",
    "do_not_contact",
]


def stored(customer) -> dict:
    return QueueState.objects.filter(customer=customer).values(*FACTS).first()


def assert_fresh(customer) -> dict:
    """The stored row, after checking that recomputing it from scratch changes nothing."""
    after = stored(customer)
    services.queue_state_refresh(customer_ids=[customer.pk])
    assert stored(customer) == after
    return after


@pytest.fixture
def alice():
    return collector("alice")


@pytest.fixture
def northwind(alice):
    customer = account(alice, credit_limit=Decimal("10000.00"))
    overdue_invoice(customer, "4000.00", days_late=40, number="OLD-1")
    return customer


def test_a_new_invoice_refreshes_the_score(northwind):
    before = stored(northwind)

    invoice(northwind, "1000.00", number="NEW-1", issue_date=today())

    after = assert_fresh(northwind)
    assert (before["open_amount"], after["open_amount"]) == (Decimal("4000.00"), Decimal("5000.00"))
    assert (before["credit_use_pct"], after["credit_use_pct"]) == (40, 50)


def test_a_write_off_refreshes_the_score(northwind):
    target = northwind.invoices.get(number="OLD-1")
    before = stored(northwind)

    ledger.invoice_adjust(
        actor=None, invoice=target, kind="write_off", amount="3000.00", reason="bankrupt"
    )

    after = assert_fresh(northwind)
    assert (before["overdue_amount"], after["overdue_amount"]) == (
        Decimal("4000.00"),
        Decimal("1000.00"),
    )
    assert after["score"] < before["score"]


def test_a_small_balance_adjustment_refreshes_the_score(alice):
    customer = account(alice)
    target = overdue_invoice(customer, "10.00", days_late=40)
    assert stored(customer)["in_queue"] is True

    ledger.invoice_adjust(
        actor=None, invoice=target, kind="small_balance", amount="10.00", reason="rounding"
    )

    after = assert_fresh(customer)
    assert (after["open_amount"], after["in_queue"], after["score"]) == (
        Decimal("0.00"),
        False,
        Decimal("0.00"),
    )


def test_a_credit_hold_refreshes_the_score(alice, northwind):
    before = stored(northwind)

    customer_update(actor=alice, customer=northwind, credit_status="hold")

    after = assert_fresh(northwind)
    assert after["score"] == before["score"] + 40  # docs/priority-score.md: hold adds 40


def test_a_lower_credit_limit_refreshes_the_credit_use(alice, northwind):
    customer_update(actor=alice, customer=northwind, credit_limit=Decimal("4000.00"))

    after = assert_fresh(northwind)
    assert after["credit_use_pct"] == 100


def test_do_not_contact_takes_the_account_out_of_the_queue(alice, northwind):
    assert stored(northwind)["in_queue"] is True

    customer_update(actor=alice, customer=northwind, do_not_contact=True)

    after = assert_fresh(northwind)
    assert (after["do_not_contact"], after["in_queue"], after["score"]) == (
        True,
        False,
        Decimal("0.00"),
    )


def test_opening_and_resolving_a_dispute_refresh_the_score(alice, northwind):
    target = northwind.invoices.get(number="OLD-1")

    dispute = services.dispute_raise(
        actor=alice, customer=northwind, invoice_ids=[target.pk], reason_code="pricing"
    )

    opened = assert_fresh(northwind)
    assert (opened["disputed_amount"], opened["overdue_amount"]) == (
        Decimal("4000.00"),
        Decimal("0.00"),
    )

    services.dispute_close(actor=alice, dispute=dispute, resolution="price confirmed")

    resolved = assert_fresh(northwind)
    assert (resolved["disputed_amount"], resolved["overdue_amount"]) == (
        Decimal("0.00"),
        Decimal("4000.00"),
    )
