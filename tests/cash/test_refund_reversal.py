"""Reversing a refund or contra (paid out by mistake, or returned by the bank): a negative
refund row that names it, never a change to the refund; the money is unapplied again, the
reversal is audited and on the account's timeline, a second reversal is refused, and the
ledger check finds nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEntry
from cash import services
from collections_app.models import Activity
from invoices import services as ledger
from invoices.models import CreditMemo, Payment, Refund
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, payment, user_in_role
from tests.invoices.test_concurrency import THREADS, run_together

from .conftest import logged_in

LIMIT = Decimal("1000.00")


@pytest.fixture(autouse=True)
def limit(settings):
    settings.CASH_REFUND_APPROVAL_LIMIT = str(LIMIT)


@pytest.fixture
def approver(db):
    user = user_in_role(roles.FINANCE, "petra")
    user.user_permissions.add(Permission.objects.get(codename="approve_refund"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def refunded(acme):
    """Acme's 2,000 on account, 400 of it refunded by wire W-77."""
    cash = payment(acme, "2000.00", reference="ON-ACCOUNT")
    refund = ledger.unapplied_refund(
        actor=None,
        source=cash,
        kind="refund",
        amount="400.00",
        reference="W-77",
        reason="customer asked for it back",
    )
    cash.refresh_from_db()
    assert cash.unapplied_amount == Decimal("1600.00")
    return refund


def _state() -> tuple:
    return (
        list(Payment.objects.order_by("pk").values_list("pk", "unapplied_amount", "status")),
        list(CreditMemo.objects.order_by("pk").values_list("pk", "unapplied_amount")),
        list(Refund.objects.order_by("pk").values_list("pk", "amount", "reverses_id")),
        AuditEntry.objects.count(),
        Activity.objects.count(),
    )


# --- the ledger ----------------------------------------------------------------------------


def test_a_reversal_is_a_negative_row_and_the_money_is_unapplied_again(
    finance, refunded, ledger_whole
):
    reversal = ledger.refund_reverse(
        actor=finance, refund=refunded, reason="returned by the bank: account closed"
    )

    cash = Payment.objects.get(reference="ON-ACCOUNT")
    assert cash.unapplied_amount == Decimal("2000.00")
    assert (
        reversal.amount,
        reversal.kind,
        reversal.reverses_id,
        reversal.payment_id,
        reversal.reference,
        reversal.reason,
        reversal.created_by,
        reversal.effective_date,
    ) == (
        Decimal("-400.00"),
        "refund",
        refunded.pk,
        cash.pk,
        "W-77",
        "returned by the bank: account closed",
        finance,
        datetime.date.today(),
    )
    # the refund itself is as it was
    original = Refund.objects.get(pk=refunded.pk)
    assert (original.amount, original.reason, original.reverses_id) == (
        Decimal("400.00"),
        "customer asked for it back",
        None,
    )
    entry = AuditEntry.objects.get(action="payment.refund_reverse")
    assert (entry.actor, entry.before, entry.after["unapplied_amount"]) == (
        finance,
        {"refund": refunded.pk, "unapplied_amount": "1600.00"},
        "2000.00",
    )


def test_a_refund_is_reversed_once(finance, refunded):
    ledger.refund_reverse(actor=finance, refund=refunded, reason="returned")
    before = _state()

    with pytest.raises(ServiceError) as refused:
        ledger.refund_reverse(actor=finance, refund=refunded, reason="again")

    assert (refused.value.code, refused.value.field) == ("already_reversed", "refund")
    assert "already reversed" in refused.value.message
    assert _state() == before


def test_a_reversal_is_not_itself_reversed(finance, refunded):
    reversal = ledger.refund_reverse(actor=finance, refund=refunded, reason="returned")
    before = _state()

    with pytest.raises(ServiceError, match="a reversal cannot itself be reversed"):
        ledger.refund_reverse(actor=finance, refund=reversal, reason="undo the undo")

    assert _state() == before


def test_a_reversal_says_why(finance, refunded):
    before = _state()

    with pytest.raises(ServiceError) as refused:
        ledger.refund_reverse(actor=finance, refund=refunded, reason="  ")

    assert refused.value.field == "reason"
    assert _state() == before


def test_a_reversal_is_not_dated_before_the_refund_or_after_today(finance, refunded):
    before = _state()

    with pytest.raises(ServiceError) as early:
        ledger.refund_reverse(
            actor=finance,
            refund=refunded,
            reason="x",
            effective_date=refunded.effective_date - datetime.timedelta(days=1),
        )
    with pytest.raises(ServiceError) as late:
        ledger.refund_reverse(
            actor=finance,
            refund=refunded,
            reason="x",
            effective_date=datetime.date.today() + datetime.timedelta(days=1),
        )

    assert (early.value.field, late.value.field) == ("effective_date", "effective_date")
    assert _state() == before


def test_the_database_refuses_to_change_or_delete_a_refund(refunded):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Refund.objects.filter(pk=refunded.pk).update(amount=Decimal("1.00"))
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Refund.objects.filter(pk=refunded.pk).delete()
    # a second reversal of the same refund: one-to-one
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute(
                "INSERT INTO invoices_refund (payment_id, kind, amount, currency_id, "
                "effective_date, reference, reason, reverses_id, created_at) "
                "VALUES (%s, 'refund', -400, 'USD', CURRENT_DATE, 'X', 'x', %s, now())",
                [refunded.payment_id, refunded.pk],
            )
    assert Refund.objects.get(pk=refunded.pk).amount == Decimal("400.00")


def test_a_positive_row_cannot_pose_as_a_reversal(refunded):
    with (
        pytest.raises(IntegrityError, match="refund_positive_or_reversal_negative"),
        transaction.atomic(),
    ):
        Refund.objects.create(
            payment_id=refunded.payment_id,
            kind="refund",
            amount=Decimal("400.00"),
            currency_id="USD",
            effective_date=datetime.date.today(),
            reference="X",
            reason="x",
            reverses=refunded,
        )


def test_a_credit_memos_contra_is_reversed(finance, acme, ledger_whole):
    memo = ledger.credit_memo_issue(
        actor=None,
        customer=acme,
        number="CM-9",
        issue_date=datetime.date(2026, 2, 1),
        amount="80.00",
        reason="returned goods",
    )
    contra = ledger.unapplied_refund(
        actor=None, source=memo, kind="contra", amount="80", reference="AP-5", reason="netted"
    )

    ledger.refund_reverse(actor=finance, refund=contra, reason="the supplier bill was paid")

    memo.refresh_from_db()
    assert memo.unapplied_amount == Decimal("80.00")
    assert list(
        AuditEntry.objects.filter(action__startswith="credit_memo.contra")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["credit_memo.contra", "credit_memo.contra_reverse"]


def test_a_payment_whose_refund_is_reversed_may_be_voided(finance, refunded, ledger_whole):
    cash = Payment.objects.get(pk=refunded.payment_id)
    with pytest.raises(ServiceError) as refused:
        ledger.payment_void(actor=None, payment=cash, return_date=cash.received_date, reason="NSF")
    assert refused.value.code == "refunded"

    ledger.refund_reverse(actor=finance, refund=refunded, reason="the wire came back")
    ledger.payment_void(actor=None, payment=cash, return_date=cash.received_date, reason="NSF")

    cash.refresh_from_db()
    assert (cash.status, cash.unapplied_amount) == ("void", Decimal("2000.00"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_reversals_of_one_refund_write_one():
    cash = payment(CustomerFactory(), "500.00", reference="RACE-REVERSE")
    refund = ledger.unapplied_refund(
        actor=None, source=cash, kind="refund", amount="300", reference="W", reason="x"
    )

    def work(index: int):
        return ledger.refund_reverse(
            actor=None, refund=Refund.objects.get(pk=refund.pk), reason=f"race {index}"
        )

    outcome = run_together(work)

    assert outcome.unfinished == []
    assert outcome.other_errors == {}
    assert len(outcome.results) == 1
    assert len(outcome.service_errors) == THREADS - 1
    assert {e.code for e in outcome.service_errors.values()} == {"already_reversed"}
    cash.refresh_from_db()
    assert cash.unapplied_amount == Decimal("500.00")
    assert Refund.objects.filter(reverses=refund).count() == 1
    assert ledger_discrepancies() == []


# --- who may reverse, and the timeline ------------------------------------------------------


def test_finance_reverses_a_refund_within_the_limit_and_the_timeline_says_so(finance, refunded):
    reversal = services.refund_reverse(
        actor=finance, refund=refunded, reason="returned by the bank", reference="RET-1"
    )

    assert reversal.reference == "RET-1"
    line = Activity.objects.get(summary__contains="reversed")
    assert line.summary == (
        "Refund to the customer of 400.00 USD from payment ON-ACCOUNT (W-77) reversed"
    )
    assert line.note == "returned by the bank"


def test_above_the_limit_only_someone_who_may_approve_refunds_reverses_it(
    finance, approver, acme, ledger_whole
):
    cash = payment(acme, "5000.00", reference="BIG")
    big = ledger.unapplied_refund(
        actor=approver, source=cash, kind="refund", amount="4000", reference="W-9", reason="x"
    )
    before = _state()

    with pytest.raises(ServiceError) as refused:
        services.refund_reverse(actor=finance, refund=big, reason="returned")

    assert refused.value.code == "forbidden"
    assert "4,000.00 USD is above the refund approval limit of 1,000.00 USD" in (
        refused.value.message
    )
    assert _state() == before

    services.refund_reverse(actor=approver, refund=big, reason="returned")

    cash.refresh_from_db()
    assert cash.unapplied_amount == Decimal("5000.00")


def test_a_collector_may_not_reverse_a_refund(collector, refunded):
    before = _state()

    with pytest.raises(ServiceError) as refused:
        services.refund_reverse(actor=collector, refund=refunded, reason="x")

    assert refused.value.code == "forbidden"
    assert _state() == before


# --- the payment page -----------------------------------------------------------------------


def test_the_payment_page_reverses_a_refund_and_shows_both_rows(finance, refunded, ledger_whole):
    client = logged_in(finance)
    page_url = reverse("cash_payment_apply", args=[refunded.payment_id])
    action = reverse("cash_refund_reverse", args=[refunded.pk])
    assert action in client.get(page_url).content.decode()

    response = client.post(
        action, {"reason": "returned by the bank: account closed", "reference": "RET-55"}
    )

    assert response.status_code == 302
    assert response["Location"] == page_url
    page = client.get(page_url).content.decode()
    assert "Reversed the refund to the customer of 400.00 USD (W-77)" in page
    assert "Reversal of the refund to the customer" in page
    assert "RET-55" in page
    assert action not in page  # nothing left to reverse
    assert Payment.objects.get(pk=refunded.payment_id).unapplied_amount == Decimal("2000.00")


def test_the_page_says_why_a_second_reversal_is_refused(finance, refunded):
    client = logged_in(finance)
    action = reverse("cash_refund_reverse", args=[refunded.pk])
    client.post(action, {"reason": "returned"})
    before = _state()

    response = client.post(action, {"reason": "again"}, follow=True)

    assert "is already reversed" in response.content.decode()
    assert _state() == before


def test_a_reversal_without_a_reason_is_refused_on_the_page(finance, refunded):
    before = _state()

    response = logged_in(finance).post(
        reverse("cash_refund_reverse", args=[refunded.pk]), {"reason": ""}, follow=True
    )

    assert "Say why the refund is reversed." in response.content.decode()
    assert _state() == before


def test_the_cfo_and_collectors_cannot_reverse_on_the_page(cfo, collector, refunded):
    before = _state()
    action = reverse("cash_refund_reverse", args=[refunded.pk])

    assert logged_in(cfo).post(action, {"reason": "x"}).status_code == 403
    assert logged_in(collector).post(action, {"reason": "x"}).status_code == 403
    assert (
        action
        not in logged_in(cfo)
        .get(reverse("cash_payment_apply", args=[refunded.payment_id]))
        .content.decode()
    )
    assert _state() == before
