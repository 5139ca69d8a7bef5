"""Refunds of unapplied cash and contras against our payables: posted at once up to the
approval limit, above it only by a second person; the ledger agrees with itself after."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEntry
from cash import services
from cash.models import RefundRequest
from invoices import services as ledger
from invoices.models import Adjustment, AdjustmentKind, Invoice, Payment, Refund
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, invoice, payment, user_in_role
from tests.invoices.test_concurrency import THREADS, run_together

LIMIT = Decimal("1000.00")


@pytest.fixture(autouse=True)
def limit(settings):
    settings.CASH_REFUND_APPROVAL_LIMIT = str(LIMIT)


@pytest.fixture
def approver(db):
    """A finance user given the approval permission by name."""
    user = user_in_role(roles.FINANCE, "petra")
    user.user_permissions.add(Permission.objects.get(codename="approve_refund"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def overpaid(acme_invoices):
    """Acme paid 3,100 against 750 of invoices: 2,350 stays on account."""
    cash = payment(acme_invoices[0].customer, "3100.00", reference="OVERPAY")
    ledger.payment_apply_oldest_first(actor=None, payment=cash)
    cash.refresh_from_db()
    assert cash.unapplied_amount == Decimal("2350.00")
    return cash


def test_a_refund_within_the_limit_posts_at_once(finance, overpaid, ledger_whole):
    refund = services.refund_request(
        actor=finance,
        target=overpaid,
        kind="refund",
        amount="400.00",
        reference="WIRE-77",
        reason="customer asked for the overpayment back",
    )
    assert isinstance(refund, Refund)
    overpaid.refresh_from_db()
    assert overpaid.unapplied_amount == Decimal("1950.00")
    assert (refund.payment_id, refund.currency_id, refund.created_by) == (
        overpaid.pk,
        "USD",
        finance,
    )
    # no invoice moved
    assert set(Invoice.objects.values_list("open_amount", flat=True)) == {Decimal("0.00")}
    entry = AuditEntry.objects.get(action="payment.refund")
    assert entry.after["unapplied_amount"] == "1950.00"


def test_above_the_limit_waits_and_a_second_person_approves(
    finance, approver, overpaid, ledger_whole
):
    request = services.refund_request(
        actor=finance,
        target=overpaid,
        kind="refund",
        amount="2350.00",
        reference="WIRE-78",
        reason="closing the account",
    )
    assert isinstance(request, RefundRequest)
    overpaid.refresh_from_db()
    assert overpaid.unapplied_amount == Decimal("2350.00")
    assert not Refund.objects.exists()

    decided = services.refund_decide(actor=approver, request=request, approve=True)

    assert decided.status == "approved"
    assert decided.refund.amount == Decimal("2350.00")
    assert decided.refund.created_by == approver
    overpaid.refresh_from_db()
    assert overpaid.unapplied_amount == Decimal("0.00")
    assert list(
        AuditEntry.objects.filter(action__startswith="refund.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["refund.request", "refund.decide"]


def test_a_rejected_request_moves_no_money(finance, approver, overpaid, ledger_whole):
    request = services.refund_request(
        actor=finance, target=overpaid, kind="refund", amount="1500", reference="W", reason="x"
    )
    decided = services.refund_decide(
        actor=approver, request=request, approve=False, comment="pay the next invoice instead"
    )
    assert (decided.status, decided.refund, decided.comment) == (
        "rejected",
        None,
        "pay the next invoice instead",
    )
    overpaid.refresh_from_db()
    assert overpaid.unapplied_amount == Decimal("2350.00")
    with pytest.raises(ServiceError, match="already rejected"):
        services.refund_decide(actor=approver, request=request, approve=True)


def test_nobody_approves_their_own_request(approver, overpaid):
    request = services.refund_request(
        actor=approver, target=overpaid, kind="refund", amount="1500", reference="W", reason="x"
    )
    assert isinstance(request, RefundRequest)
    with pytest.raises(ServiceError, match="someone other than who asked"):
        services.refund_decide(actor=approver, request=request, approve=True)
    request.refresh_from_db()
    assert request.status == "pending"


def test_finance_without_the_permission_may_not_approve(finance, overpaid):
    other = user_in_role(roles.FINANCE, "frank")
    request = services.refund_request(
        actor=other, target=overpaid, kind="refund", amount="1500", reference="W", reason="x"
    )
    with pytest.raises(ServiceError) as refused:
        services.refund_decide(actor=finance, request=request, approve=True)
    assert refused.value.code == "forbidden"


def test_an_admin_may_approve(finance, overpaid):
    admin = user_in_role(roles.ADMIN, "ada")
    request = services.refund_request(
        actor=finance, target=overpaid, kind="contra", amount="1500", reference="AP-9", reason="x"
    )
    decided = services.refund_decide(actor=admin, request=request, approve=True)
    assert decided.refund.kind == "contra"


@pytest.mark.parametrize("amount", ["2350.01", "999.99"])
def test_more_than_is_unapplied_is_refused(finance, overpaid, amount):
    # 999.99 is within the limit but more than is left once 1,400 have gone back
    services.refund_request(
        actor=finance, target=overpaid, kind="refund", amount="700", reference="A", reason="x"
    )
    services.refund_request(
        actor=finance, target=overpaid, kind="refund", amount="700", reference="B", reason="x"
    )
    overpaid.refresh_from_db()
    with pytest.raises(ServiceError) as refused:
        services.refund_request(
            actor=finance, target=overpaid, kind="refund", amount=amount, reference="C", reason="x"
        )
    assert refused.value.field == "amount"
    assert "unapplied 950.00 USD of payment OVERPAY" in refused.value.message
    assert Refund.objects.count() == 2
    assert not RefundRequest.objects.exists()


def test_approval_checks_todays_balance(finance, approver, overpaid, ledger_whole):
    request = services.refund_request(
        actor=finance, target=overpaid, kind="refund", amount="2000", reference="W", reason="x"
    )
    ledger.payment_apply(
        actor=None,
        payment=overpaid,
        allocations=[
            ledger.Allocation(
                invoice_id=invoice(overpaid.customer, "500.00", number="INV-0004").pk,
                amount=Decimal("500.00"),
            )
        ],
    )
    with pytest.raises(ServiceError, match=r"exceeds the unapplied 1,850\.00 USD"):
        services.refund_decide(actor=approver, request=request, approve=True)
    request.refresh_from_db()
    assert request.status == "pending"


def test_a_credit_memo_is_refunded_and_an_open_invoice_settled_by_contra(
    finance, acme, acme_invoices, ledger_whole
):
    memo = ledger.credit_memo_issue(
        actor=None,
        customer=acme,
        number="CM-1",
        issue_date=datetime.date(2026, 2, 1),
        amount="80.00",
        reason="returned goods",
    )
    services.refund_request(
        actor=finance, target=memo, kind="refund", amount="80", reference="W-1", reason="x"
    )
    memo.refresh_from_db()
    assert memo.unapplied_amount == Decimal("0.00")

    adjustment = services.refund_request(
        actor=finance,
        target=acme_invoices[1],
        kind="contra",
        amount="250.00",
        reference="AP-BILL-5521",
        reason="netted against their supplier bill",
    )
    assert isinstance(adjustment, Adjustment)
    assert adjustment.kind == AdjustmentKind.CONTRA
    assert "AP-BILL-5521" in adjustment.reason
    assert Invoice.objects.get(pk=acme_invoices[1].pk).open_amount == Decimal("0.00")
    with pytest.raises(ServiceError, match="only a contra settles it"):
        services.refund_request(
            actor=finance,
            target=acme_invoices[2],
            kind="refund",
            amount="1",
            reference="W",
            reason="x",
        )


def test_an_invoice_contra_above_the_limit_is_approved_as_an_adjustment(finance, approver):
    big = invoice(CustomerFactory(), "5000.00", number="INV-BIG")
    request = services.refund_request(
        actor=finance, target=big, kind="contra", amount="5000", reference="AP-1", reason="x"
    )
    decided = services.refund_decide(actor=approver, request=request, approve=True)
    assert decided.adjustment.amount == Decimal("5000.00")
    big.refresh_from_db()
    assert big.open_amount == Decimal("0.00")
    assert ledger_discrepancies() == []


def test_void_and_refunded_payments(finance, overpaid):
    services.refund_request(
        actor=finance, target=overpaid, kind="refund", amount="10", reference="W", reason="x"
    )
    with pytest.raises(ServiceError) as refused:
        ledger.payment_void(
            actor=None, payment=overpaid, return_date=datetime.date(2026, 2, 5), reason="NSF"
        )
    assert refused.value.code == "refunded"
    bounced = payment(overpaid.customer, "50.00", reference="BOUNCED")
    ledger.payment_void(
        actor=None, payment=bounced, return_date=datetime.date(2026, 2, 5), reason="NSF"
    )
    with pytest.raises(ServiceError) as refused:
        services.refund_request(
            actor=finance, target=bounced, kind="refund", amount="10", reference="W", reason="x"
        )
    assert refused.value.code == "void"


@pytest.mark.parametrize(
    ("field", "kw"),
    [("reference", {"reference": " "}), ("reason", {"reason": ""}), ("kind", {"kind": "gift"})],
)
def test_missing_reference_reason_or_kind_names_the_field(finance, overpaid, field, kw):
    args = {"kind": "refund", "amount": "5", "reference": "W", "reason": "x"} | kw
    with pytest.raises(ServiceError) as refused:
        services.refund_request(actor=finance, target=overpaid, **args)
    assert refused.value.field == field
    assert not Refund.objects.exists()


@settings(max_examples=25, deadline=None)
@given(amounts=st.lists(st.integers(min_value=1, max_value=900), min_size=1, max_size=6))
@pytest.mark.django_db
def test_refunds_never_take_more_than_is_unapplied(amounts):
    cash = payment(CustomerFactory(), "1000.00")
    taken = Decimal(0)
    for amount in amounts:
        try:
            ledger.unapplied_refund(
                actor=None, source=cash, kind="refund", amount=amount, reference="W", reason="x"
            )
            taken += amount
        except ServiceError as error:
            assert error.code == "over_refund"
            assert taken + amount > 1000
    cash.refresh_from_db()
    assert cash.unapplied_amount == Decimal("1000.00") - taken >= 0
    assert ledger_discrepancies() == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_never_exceed_the_unapplied_amount():
    cash = payment(CustomerFactory(), "500.00", reference="RACE-REFUND")

    def work(index: int):
        return ledger.unapplied_refund(
            actor=None,
            source=Payment.objects.get(pk=cash.pk),
            kind="refund" if index % 2 else "contra",
            amount=Decimal("150.00"),
            reference=f"W-{index}",
            reason="race",
        )

    outcome = run_together(work)

    assert outcome.unfinished == []
    assert outcome.other_errors == {}
    assert len(outcome.results) == 3  # 3 x 150 fit in 500; the fourth would not
    assert {e.code for e in outcome.service_errors.values()} == {"over_refund"}
    assert len(outcome.service_errors) == THREADS - 3
    cash.refresh_from_db()
    assert cash.unapplied_amount == Decimal("50.00")
    assert ledger_discrepancies() == []


def logged_in(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_pages_post_a_refund_and_approve_one_above_the_limit(finance, approver, overpaid):
    client = logged_in(finance)
    unapplied = client.get("/cash/unapplied/")
    refund_url = f"/cash/payments/{overpaid.pk}/refund/"
    assert refund_url in unapplied.content.decode()
    assert refund_url in client.get(f"/cash/payments/{overpaid.pk}/").content.decode()

    too_much = client.post(
        refund_url, {"kind": "refund", "amount": "9,999.00", "reference": "W", "reason": "x"}
    )
    assert too_much.status_code == 400
    assert "exceeds the unapplied 2,350.00 USD of payment OVERPAY" in too_much.content.decode()

    posted = client.post(
        refund_url, {"kind": "refund", "amount": "350.00", "reference": "WIRE-1", "reason": "x"}
    )
    assert posted.status_code == 302
    page = client.get(posted["Location"]).content.decode()
    assert "WIRE-1" in page and "Refund to the customer" in page

    waits = client.post(
        refund_url, {"kind": "contra", "amount": "2,000.00", "reference": "AP-77", "reason": "y"}
    )
    assert waits.status_code == 302
    pending = RefundRequest.objects.get()
    listing = logged_in(approver).get("/cash/refunds/").content.decode()
    assert "AP-77" in listing and f"/cash/refunds/{pending.pk}/decide/" in listing
    # the requester sees it waiting, without the buttons
    assert (
        f"/cash/refunds/{pending.pk}/decide/" not in client.get("/cash/refunds/").content.decode()
    )
    assert (
        client.post(f"/cash/refunds/{pending.pk}/decide/", {"decision": "approve"}).status_code
        == 403
    )

    logged_in(approver).post(f"/cash/refunds/{pending.pk}/decide/", {"decision": "approve"})
    overpaid.refresh_from_db()
    assert overpaid.unapplied_amount == Decimal("0.00")
    assert ledger_discrepancies() == []


def test_an_invoice_offers_only_a_contra(finance, acme_invoices):
    client = logged_in(finance)
    url = f"/cash/invoices/{acme_invoices[0].pk}/contra/"
    page = client.get(url).content.decode()
    assert 'value="contra"' in page and 'value="refund"' not in page
    refused = client.post(url, {"kind": "refund", "amount": "10", "reference": "A", "reason": "x"})
    assert refused.status_code == 400
    assert Invoice.objects.get(pk=acme_invoices[0].pk).open_amount == Decimal("100.00")


def test_a_collector_reaches_no_refund_page(collector, overpaid):
    assert logged_in(collector).get(f"/cash/payments/{overpaid.pk}/refund/").status_code == 403


def test_the_accounts_timeline_shows_request_approval_rejection_and_posting(
    finance, approver, overpaid
):
    from collections_app.models import Activity

    services.refund_request(
        actor=finance, target=overpaid, kind="refund", amount="50", reference="W-1", reason="a"
    )
    approved = services.refund_request(
        actor=finance, target=overpaid, kind="contra", amount="1200", reference="AP-2", reason="b"
    )
    services.refund_decide(actor=approver, request=approved, approve=True)
    rejected = services.refund_request(
        actor=finance, target=overpaid, kind="refund", amount="1100", reference="W-3", reason="c"
    )
    services.refund_decide(actor=approver, request=rejected, approve=False, comment="no")

    lines = list(
        Activity.objects.filter(customer=overpaid.customer, kind="system")
        .order_by("pk")
        .values_list("summary", "actor__username")
    )
    assert lines == [
        ("Refund to the customer of 50.00 USD from payment OVERPAY (W-1) posted", "fiona"),
        (
            "Contra against our payables of 1,200.00 USD from payment OVERPAY (AP-2) "
            "requested, waits for approval",
            "fiona",
        ),
        (
            "Contra against our payables of 1,200.00 USD from payment OVERPAY (AP-2) "
            "approved and posted",
            "petra",
        ),
        (
            "Refund to the customer of 1,100.00 USD from payment OVERPAY (W-3) "
            "requested, waits for approval",
            "fiona",
        ),
        ("Refund to the customer of 1,100.00 USD from payment OVERPAY (W-3) rejected", "petra"),
    ]
