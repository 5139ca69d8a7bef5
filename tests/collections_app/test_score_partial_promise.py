"""A promise lowers the score only for the share of the overdue debt it covers
(docs/priority-score.md): 20k promised of 195k overdue leaves most of the account to chase.
A small balance goes to the end of the queue, marked as a write-off candidate."""

from decimal import Decimal

import pytest

from collections_app import services
from collections_app.models import QueueState
from collections_app.selectors import (
    QueueFilters,
    queue_for,
    reason_lines,
    write_off_candidate,
)

from .workflow import account, collector, days, overdue_invoice, today

pytestmark = pytest.mark.django_db


def _score_without_promise(overdue: Decimal, weight: Decimal, open_amount: Decimal) -> Decimal:
    """The formula of docs/priority-score.md for an account never contacted, in good
    standing, without a credit limit: the overdue part, 30 days of silence, its size."""
    return 100 * (1 + overdue * weight / 1000).ln() + 2 * 30 + 10 * (1 + open_amount / 10000).ln()


def _account(owner, name):
    return account(owner, name, credit_limit=Decimal("0.00"))


def _stored(customer) -> Decimal:
    return QueueState.objects.get(customer=customer).score


@pytest.fixture
def alice():
    return collector("alice")


def test_a_promise_of_part_of_the_debt_lowers_the_score_only_by_its_share(alice):
    customer = _account(alice, "Big Account")
    overdue_invoice(customer, "195000.00", days_late=45)

    services.promise_record(
        actor=alice, customer=customer, amount=Decimal("20000.00"), promised_date=today() + days(7)
    )

    full = _score_without_promise(Decimal("195000"), Decimal("1.0"), Decimal("195000"))
    share = Decimal("20000") / Decimal("195000")
    expected = (full * (1 - Decimal("0.8") * share)).quantize(Decimal("0.01"))
    assert _stored(customer) == expected
    assert expected == Decimal("567.31")


def test_a_promise_of_the_whole_overdue_debt_still_divides_the_score_by_five(alice):
    customer = _account(alice, "Promised")
    overdue_invoice(customer, "9000.00", days_late=45)

    services.promise_record(
        actor=alice, customer=customer, amount=Decimal("9000.00"), promised_date=today() + days(7)
    )

    full = _score_without_promise(Decimal("9000"), Decimal("1.0"), Decimal("9000"))
    assert _stored(customer) == (full * Decimal("0.2")).quantize(Decimal("0.01"))


def test_a_promise_naming_invoices_covers_at_most_their_overdue_open_amount(alice):
    customer = _account(alice, "Named")
    older = overdue_invoice(customer, "20000.00", days_late=45)
    overdue_invoice(customer, "80000.00", days_late=45)
    not_due = overdue_invoice(customer, "50000.00", days_late=-10)

    # 50k promised on a 20k overdue invoice and one not yet due: 20k of the 100k overdue
    services.promise_record(
        actor=alice,
        customer=customer,
        amount=Decimal("50000.00"),
        promised_date=today() + days(7),
        invoice_ids=[older.pk, not_due.pk],
    )

    full = _score_without_promise(Decimal("100000"), Decimal("1.0"), Decimal("150000"))
    expected = (full * (1 - Decimal("0.8") * Decimal("0.2"))).quantize(Decimal("0.01"))
    assert _stored(customer) == expected


def test_a_partly_promised_large_account_stays_above_a_small_unpromised_one(alice):
    big = _account(alice, "Big Account")
    small = _account(alice, "Small Account")
    overdue_invoice(big, "195000.00", days_late=45)
    overdue_invoice(small, "9000.00", days_late=45)

    services.promise_record(
        actor=alice, customer=big, amount=Decimal("20000.00"), promised_date=today() + days(7)
    )
    services.queue_state_refresh()

    assert [row.customer.name for row in queue_for(alice, QueueFilters())] == [
        "Big Account",
        "Small Account",
    ]


def test_a_small_balance_goes_to_the_end_of_the_queue_as_a_write_off_candidate(alice, settings):
    settings.QUEUE_SMALL_BALANCE = "25.00"
    crumbs = _account(alice, "Crumbs Ltd")
    overdue_invoice(crumbs, "24.99", days_late=200)
    young = _account(alice, "Young Co")
    overdue_invoice(young, "30.00", days_late=2)

    services.queue_state_refresh()

    rows = list(queue_for(alice, QueueFilters()))
    assert [row.customer.name for row in rows] == ["Young Co", "Crumbs Ltd"]
    crumbs_state = rows[1]
    assert crumbs_state.in_queue is True
    assert crumbs_state.score == Decimal("0.01")
    assert reason_lines(crumbs_state)[0] == "small balance (24.99 USD open): write-off candidate"
    assert write_off_candidate(crumbs_state) is True
    assert write_off_candidate(rows[0]) is False
