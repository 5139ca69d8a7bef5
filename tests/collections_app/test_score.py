"""The stored priority score: ordering, reasons, and refresh on events."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import CreditStatus, ExchangeRate
from collections_app import services
from collections_app.models import QueueState
from collections_app.selectors import QueueFilters, queue_for, reason_lines

from .workflow import account, collector, days, overdue_invoice, pay, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return collector("alice")


def _state(customer) -> QueueState:
    return QueueState.objects.get(customer=customer)


def _queue(user) -> list[str]:
    return [s.customer.name for s in queue_for(user, QueueFilters())]


def test_older_debt_outranks_the_same_amount_less_overdue(alice):
    old = account(alice, "Old")
    young = account(alice, "Young")
    overdue_invoice(old, "5000.00", days_late=95)
    overdue_invoice(young, "5000.00", days_late=10)

    services.queue_state_refresh()

    assert _queue(alice) == ["Old", "Young"]
    assert _state(old).oldest_bucket == "91_120"
    assert _state(young).oldest_bucket == "1_30"


def test_a_customer_with_nothing_overdue_is_not_in_the_queue(alice):
    current = account(alice, "Current")
    overdue_invoice(current, "5000.00", days_late=-10)

    services.queue_state_refresh()

    assert _queue(alice) == []
    state = _state(current)
    assert (state.in_queue, state.open_amount, state.overdue_amount) == (
        False,
        Decimal("5000.00"),
        Decimal("0.00"),
    )


def test_do_not_contact_takes_the_account_out_of_the_queue(alice):
    quiet = account(alice, "Quiet", do_not_contact=True)
    overdue_invoice(quiet, "5000.00", days_late=95)

    services.queue_state_refresh()

    assert _queue(alice) == []
    assert (_state(quiet).score, _state(quiet).do_not_contact) == (Decimal("0.00"), True)


def test_an_open_promise_not_yet_due_drops_the_account_down(alice):
    promised = account(alice, "Promised")
    other = account(alice, "Other")
    overdue_invoice(promised, "9000.00", days_late=95)
    overdue_invoice(other, "2000.00", days_late=45)
    services.queue_state_refresh()
    assert _queue(alice) == ["Promised", "Other"]

    services.promise_record(
        actor=alice, customer=promised, amount=Decimal("9000.00"), promised_date=today() + days(7)
    )

    assert _queue(alice) == ["Other", "Promised"]
    assert reason_lines(_state(promised))[-2:] == [
        f"waiting on promise due {today() + days(7):%b %d}",
        "never contacted",
    ]


def test_a_disputed_invoice_is_not_counted_as_collectable(alice):
    disputed = account(alice, "Disputed")
    plain = account(alice, "Plain")
    big = overdue_invoice(disputed, "9000.00", days_late=95)
    overdue_invoice(disputed, "1000.00", days_late=20)
    overdue_invoice(plain, "3000.00", days_late=45)
    services.queue_state_refresh()
    assert _queue(alice) == ["Disputed", "Plain"]

    services.dispute_raise(
        actor=alice, customer=disputed, invoice_ids=[big.pk], reason_code="pricing"
    )

    assert _queue(alice) == ["Plain", "Disputed"]
    state = _state(disputed)
    assert (state.overdue_amount, state.disputed_amount, state.oldest_bucket) == (
        Decimal("1000.00"),
        Decimal("9000.00"),
        "1_30",
    )


def test_a_follow_up_due_today_lifts_the_account_and_says_so(alice):
    small = account(alice, "Small")
    big = account(alice, "Big")
    overdue_invoice(small, "1000.00", days_late=10)
    overdue_invoice(big, "2000.00", days_late=35)
    services.queue_state_refresh()
    assert _queue(alice) == ["Big", "Small"]

    services.follow_up_schedule(actor=alice, customer=small, due_date=today())

    assert _queue(alice) == ["Small", "Big"]
    assert "follow-up due today" in reason_lines(_state(small))


def test_logging_a_call_moves_the_account_down(alice):
    first = account(alice, "First")
    second = account(alice, "Second")
    overdue_invoice(first, "5000.00", days_late=50)
    overdue_invoice(second, "4800.00", days_late=50)
    services.queue_state_refresh()
    assert _queue(alice) == ["First", "Second"]

    services.call_log(actor=alice, customer=first, outcome="spoke_to_ap")

    assert _queue(alice) == ["Second", "First"]
    assert _state(first).last_contact_at is not None


def test_cash_applied_refreshes_the_stored_overdue_amount(alice):
    customer = account(alice)
    inv = overdue_invoice(customer, "5000.00", days_late=50)
    services.queue_state_refresh()

    pay(customer, "1500.00", invoices=[inv])

    assert _state(customer).overdue_amount == Decimal("3500.00")


def test_a_broken_promise_is_the_first_reason_after_the_debt(alice, settings):
    settings.PROMISE_GRACE_DAYS = 0
    customer = account(alice)
    overdue_invoice(customer, "48200.00", days_late=75)
    promise = services.promise_record(
        actor=alice, customer=customer, amount=Decimal("10000.00"), promised_date=today()
    )
    promise.__class__.objects.filter(pk=promise.pk).update(
        promised_date=today() - days(3), status="broken"
    )

    services.queue_state_refresh(customer_ids=[customer.pk])

    assert reason_lines(_state(customer))[:2] == [
        "48,200 USD collectable overdue, oldest 75 days (61\u201390)",
        "promise of 10,000 USD broken (due 3 days ago)",
    ]


def test_foreign_currency_is_scored_at_the_latest_rate_to_the_reporting_currency(alice):
    euro = account(alice, "Euro GmbH", currency_id="EUR")
    ExchangeRate.objects.create(
        currency_id="EUR",
        quote_currency_id="USD",
        valid_from=datetime.date(2026, 1, 1),
        rate="1.10",
    )
    ExchangeRate.objects.create(
        currency_id="EUR", quote_currency_id="USD", valid_from=today(), rate="1.20"
    )
    overdue_invoice(euro, "1000.00", days_late=40)

    services.queue_state_refresh()

    state = _state(euro)
    assert (state.currency_id, state.overdue_amount) == ("USD", Decimal("1200.00"))


def test_credit_risk_and_limit_use_add_to_the_score(alice):
    held = account(alice, "Held", credit_status=CreditStatus.HOLD, credit_limit=Decimal("1000"))
    good = account(alice, "Good", credit_limit=Decimal("100000"))
    overdue_invoice(held, "2000.00", days_late=20)
    overdue_invoice(good, "2000.00", days_late=20)

    services.queue_state_refresh()

    assert _queue(alice) == ["Held", "Good"]
    assert _state(held).credit_use_pct == 200
    assert _state(held).score - _state(good).score == Decimal("70.00")


def test_the_queue_shows_only_my_accounts_even_to_a_team_viewer_by_default(alice):
    bob = collector("bob")
    overdue_invoice(account(alice, "Mine"), "100.00", days_late=10)
    overdue_invoice(account(bob, "Bobs"), "100.00", days_late=10)

    services.queue_state_refresh()

    assert _queue(alice) == ["Mine"]
    assert [s.customer.name for s in queue_for(alice, QueueFilters(owner="all"))] == ["Mine"]


def test_the_workspace_and_the_queue_set_aside_only_the_disputed_part(alice):
    """An invoice of 1,000 with 200 in dispute: 800 is collectable on the workspace's tile as
    in the queue's stored figure, and a fully disputed invoice counts nothing."""
    from collections_app.selectors import collectable_overdue

    customer = account(alice, "Partly")
    part = overdue_invoice(customer, "1000.00", days_late=40)
    whole = overdue_invoice(customer, "300.00", days_late=10)
    services.dispute_raise(
        actor=alice,
        customer=customer,
        invoice_ids=[part.pk, whole.pk],
        reason_code="pricing",
        amounts={part.pk: Decimal("200.00"), whole.pk: Decimal("300.00")},
    )

    tile = collectable_overdue(customer, today=today())
    state = _state(customer)
    assert tile == {customer.currency_id: Decimal("800.00")}
    assert (state.overdue_amount, state.disputed_amount) == (Decimal("800.00"), Decimal("500.00"))
