"""Promises to pay: recorded through the service, judged by the ledger's cash."""

from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from collections_app import services
from collections_app.models import (
    PROMISE_TRANSITIONS,
    Activity,
    ActivityKind,
    FollowUp,
    Promise,
    PromiseStatus,
)
from collections_app.selectors import promise_kept_rate
from collections_app.services.promises import judge
from invoices import services as ledger

from .workflow import account, collector, days, overdue_invoice, pay, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return collector("alice")


@pytest.fixture
def northwind(alice):
    return account(alice)


def _promise(alice, customer, amount="1000.00", *, due_in=5, invoices=()):
    return services.promise_record(
        actor=alice,
        customer=customer,
        amount=Decimal(amount),
        promised_date=today() + days(due_in),
        invoice_ids=[i.pk for i in invoices],
    )


def _days_later(n: int):
    """Pretend ``n`` days have passed (the promise keeps its real creation time)."""
    later = timezone.now() + days(n)
    return mock.patch("django.utils.timezone.now", return_value=later)


def test_recording_a_promise_writes_the_promise_a_timeline_row_and_an_audit_entry(alice, northwind):
    inv = overdue_invoice(northwind, "2500.00", days_late=40, number="INV-1")

    promise = _promise(alice, northwind, "2000.00", invoices=[inv])

    assert (promise.status, promise.amount, promise.currency_id) == (
        "open",
        Decimal("2000.00"),
        "USD",
    )
    assert list(promise.invoices.values_list("number", flat=True)) == ["INV-1"]
    activity = Activity.objects.get(customer=northwind)
    assert activity.kind == ActivityKind.PROMISE
    assert activity.summary.startswith("Promise of 2,000.00 USD by ")
    assert activity.summary.endswith(" for INV-1")
    entry = AuditEntry.objects.get(action="promise.record")
    assert entry.after["amount"] == "2000.00"
    assert entry.after["invoices"] == [inv.pk]


def test_a_promise_cannot_be_dated_in_the_past(alice, northwind):
    with pytest.raises(ServiceError) as refusal:
        services.promise_record(
            actor=alice,
            customer=northwind,
            amount=Decimal("10.00"),
            promised_date=today() - days(1),
        )
    assert refusal.value.field == "promised_date"
    assert Promise.objects.count() == 0


def test_a_promise_cannot_cover_another_customers_invoice(alice, northwind):
    other = overdue_invoice(account(collector("bob"), "Other"), "500.00", days_late=10)
    with pytest.raises(ServiceError) as refusal:
        _promise(alice, northwind, "100.00", invoices=[other])
    assert refusal.value.field == "invoices"
    assert Promise.objects.count() == 0


def test_a_promise_cannot_exceed_what_is_open_on_the_invoices_it_covers(alice, northwind):
    inv = overdue_invoice(northwind, "500.00", days_late=10)
    with pytest.raises(ServiceError) as refusal:
        _promise(alice, northwind, "500.01", invoices=[inv])
    assert refusal.value.field == "amount"
    assert refusal.value.message == "500.01 USD is more than the 500.00 USD open on those invoices"
    assert Promise.objects.count() == 0
    assert not AuditEntry.objects.filter(action="promise.record").exists()


def test_a_float_amount_is_refused(alice, northwind):
    with pytest.raises(ServiceError) as refusal:
        services.promise_record(
            actor=alice, customer=northwind, amount=10.5, promised_date=today() + days(1)
        )
    assert refusal.value.field == "amount"
    assert Promise.objects.count() == 0
    assert not AuditEntry.objects.filter(action="promise.record").exists()


def test_cash_reaching_the_amount_on_the_covered_invoices_keeps_the_promise_at_once(
    alice, northwind
):
    inv = overdue_invoice(northwind, "3000.00", days_late=45)
    promise = _promise(alice, northwind, "2000.00", invoices=[inv])

    pay(northwind, "2000.00", invoices=[inv])

    promise.refresh_from_db()
    assert (promise.status, promise.collected_amount) == ("kept", Decimal("2000.00"))
    assert Activity.objects.filter(customer=northwind, kind=ActivityKind.SYSTEM).get().summary == (
        f"Promise of 2,000.00 USD by {promise.promised_date:%b %d} kept (2,000.00 USD collected)"
    )


def test_part_of_the_cash_leaves_the_promise_open_until_its_deadline(alice, northwind):
    inv = overdue_invoice(northwind, "3000.00", days_late=45)
    promise = _promise(alice, northwind, "2000.00", invoices=[inv])

    pay(northwind, "500.00", invoices=[inv])

    promise.refresh_from_db()
    assert (promise.status, promise.collected_amount) == ("open", Decimal("500.00"))


def test_cash_applied_to_an_invoice_the_promise_does_not_cover_does_not_count(alice, northwind):
    covered = overdue_invoice(northwind, "3000.00", days_late=45)
    other = overdue_invoice(northwind, "3000.00", days_late=20)
    promise = _promise(alice, northwind, "2000.00", invoices=[covered])

    pay(northwind, "2000.00", invoices=[other])

    promise.refresh_from_db()
    assert (promise.status, promise.collected_amount) == ("open", Decimal("0.00"))


def test_a_promise_naming_no_invoice_counts_cash_applied_anywhere_on_the_account(alice, northwind):
    overdue_invoice(northwind, "800.00", days_late=70)
    overdue_invoice(northwind, "800.00", days_late=10)
    promise = _promise(alice, northwind, "1200.00")

    pay(northwind, "1200.00")

    promise.refresh_from_db()
    assert (promise.status, promise.collected_amount) == ("kept", Decimal("1200.00"))


def test_cash_received_before_the_promise_was_made_does_not_keep_it(alice, northwind):
    inv = overdue_invoice(northwind, "3000.00", days_late=45)
    promise = _promise(alice, northwind, "1000.00", invoices=[inv])

    pay(northwind, "1000.00", invoices=[inv], on=today() - days(1))

    promise.refresh_from_db()
    assert (promise.status, promise.collected_amount) == ("open", Decimal("0.00"))


def test_the_sweep_breaks_a_promise_with_no_cash_after_the_grace_and_sets_a_follow_up(
    alice, northwind, settings
):
    settings.PROMISE_GRACE_DAYS = 2
    overdue_invoice(northwind, "900.00", days_late=40)
    promise = _promise(alice, northwind, "900.00", due_in=0)

    with _days_later(2):
        assert services.promises_evaluate() == 0
    with _days_later(3):
        assert services.promises_evaluate() == 1
        assert services.promises_evaluate() == 0

    promise.refresh_from_db()
    assert promise.status == PromiseStatus.BROKEN
    follow_up = FollowUp.objects.get(customer=northwind)
    assert (follow_up.assigned_to, follow_up.promise, follow_up.status) == (alice, promise, "open")
    assert AuditEntry.objects.filter(action="promise.status").get().after == {
        "status": "broken",
        "collected_amount": "0",
    }


def test_the_sweep_marks_a_promise_with_some_cash_partially_kept(alice, northwind, settings):
    settings.PROMISE_GRACE_DAYS = 0
    inv = overdue_invoice(northwind, "900.00", days_late=40)
    promise = _promise(alice, northwind, "900.00", due_in=0, invoices=[inv])
    pay(northwind, "300.00", invoices=[inv])

    with _days_later(1):
        services.promises_evaluate()

    promise.refresh_from_db()
    assert (promise.status, promise.collected_amount) == ("partially_kept", Decimal("300.00"))
    assert FollowUp.objects.count() == 0


def test_cash_effective_within_the_grace_keeps_the_promise_even_if_posted_later(
    alice, northwind, settings
):
    settings.PROMISE_GRACE_DAYS = 3
    inv = overdue_invoice(northwind, "900.00", days_late=40)
    promise = _promise(alice, northwind, "900.00", due_in=0, invoices=[inv])
    with _days_later(5):
        services.promises_evaluate()
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.BROKEN

    paid_on = today() + days(3)
    with _days_later(5):  # cash takes effect no later than the day it is applied
        pay(northwind, "900.00", invoices=[inv], on=paid_on)

    promise.refresh_from_db()
    assert (promise.status, promise.collected_amount) == ("kept", Decimal("900.00"))


def test_cash_effective_after_the_grace_does_not_keep_the_promise(alice, northwind, settings):
    settings.PROMISE_GRACE_DAYS = 1
    inv = overdue_invoice(northwind, "900.00", days_late=40)
    promise = _promise(alice, northwind, "900.00", due_in=0, invoices=[inv])

    paid_on = today() + days(2)
    with _days_later(2):  # cash takes effect no later than the day it is applied
        pay(northwind, "900.00", invoices=[inv], on=paid_on)

    promise.refresh_from_db()
    # two days on, past the one-day grace, the promise is broken, not kept
    assert (promise.status, promise.collected_amount) == ("broken", Decimal("0.00"))


def test_reversing_the_cash_reopens_a_kept_promise_before_its_deadline(alice, northwind):
    inv = overdue_invoice(northwind, "900.00", days_late=40)
    promise = _promise(alice, northwind, "900.00", invoices=[inv])
    (application,) = pay(northwind, "900.00", invoices=[inv])
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.KEPT

    ledger.application_reverse(actor=None, application=application, note="cheque bounced")

    promise.refresh_from_db()
    assert (promise.status, promise.collected_amount) == ("open", Decimal("0.00"))


def test_a_cancelled_promise_is_not_judged_again(alice, northwind):
    inv = overdue_invoice(northwind, "900.00", days_late=40)
    promise = _promise(alice, northwind, "900.00", invoices=[inv])
    services.promise_cancel(actor=alice, promise=promise, reason="customer withdrew")

    pay(northwind, "900.00", invoices=[inv])

    promise.refresh_from_db()
    assert (promise.status, promise.collected_amount) == ("cancelled", Decimal("0.00"))
    with pytest.raises(ServiceError):
        services.promise_cancel(actor=alice, promise=promise, reason="again")
    promise.refresh_from_db()
    assert (promise.status, promise.collected_amount) == ("cancelled", Decimal("0.00"))
    assert AuditEntry.objects.filter(action="promise.cancel").count() == 1


@pytest.mark.parametrize(
    ("collected", "days_after_deadline", "expected"),
    [
        ("100.00", -1, "kept"),
        ("99.99", 0, "open"),
        ("99.99", 1, "partially_kept"),
        ("0.00", 1, "broken"),
        ("150.00", 10, "kept"),
    ],
)
def test_judge_reads_the_amount_collected_against_the_deadline(
    collected, days_after_deadline, expected
):
    deadline = today()
    assert (
        judge(
            amount=Decimal("100.00"),
            collected=Decimal(collected),
            deadline=deadline,
            today=deadline + days(days_after_deadline),
        )
        == expected
    )


def test_the_transition_table_makes_cancelled_final():
    assert PROMISE_TRANSITIONS[PromiseStatus.CANCELLED] == set()
    assert PromiseStatus.CANCELLED in PROMISE_TRANSITIONS[PromiseStatus.OPEN]
    assert PromiseStatus.CANCELLED not in PROMISE_TRANSITIONS[PromiseStatus.KEPT]


def test_promise_kept_rate_counts_promises_per_collector(alice, northwind, settings):
    settings.PROMISE_GRACE_DAYS = 0
    bob = collector("bob")
    inv = overdue_invoice(northwind, "5000.00", days_late=40)
    bluewater = account(alice, "Bluewater Logistics")
    overdue_invoice(bluewater, "800.00", days_late=40)
    _promise(alice, northwind, "1000.00", due_in=0, invoices=[inv])
    _promise(alice, bluewater, "500.00", due_in=0)
    pay(northwind, "1000.00", invoices=[inv])
    pay(bluewater, "200.00")
    services.promise_record(
        actor=bob, customer=northwind, amount=Decimal("10.00"), promised_date=today()
    )

    with _days_later(1):
        services.promises_evaluate()

    rates = promise_kept_rate(since=today() - days(1), until=today())
    assert rates[alice.pk] == {
        "made": 2,
        "kept": 1,
        "partially_kept": 1,
        "broken": 0,
        "rate": Decimal("50"),
    }
    assert rates[bob.pk]["made"] == 1
