"""Edges of the ledger services that tests/invoices/test_services.py leaves out.

Every refusal also checks that nothing was written: balances, rows and audit entries.
"""

import datetime
from decimal import Decimal

import pytest

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from invoices import services
from invoices.models import Adjustment, Application, CreditMemo, Invoice, Payment
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, UserFactory, invoice, payment

pytestmark = pytest.mark.django_db

JAN_1 = datetime.date(2026, 1, 1)
FEB_1 = datetime.date(2026, 2, 1)


def ledger_state() -> dict:
    """Every balance and every row count a refused call must leave untouched."""
    return {
        "invoices": sorted(Invoice.objects.values_list("pk", "open_amount")),
        "payments": sorted(Payment.objects.values_list("pk", "unapplied_amount")),
        "credit_memos": sorted(CreditMemo.objects.values_list("pk", "unapplied_amount")),
        "applications": Application.objects.count(),
        "adjustments": Adjustment.objects.count(),
        "audit_entries": AuditEntry.objects.count(),
    }


def apply(cash, *pairs, **kw):
    return services.payment_apply(
        actor=None,
        payment=cash,
        allocations=[services.Allocation(invoice_id=i.pk, amount=Decimal(a)) for i, a in pairs],
        **kw,
    )


# Who may settle whose invoice


def test_a_parent_accounts_payment_settles_its_childs_invoice():
    parent = CustomerFactory()
    child = CustomerFactory(parent=parent)
    inv = invoice(child, "100.00")
    cash = payment(parent, "150.00")

    (application,) = apply(cash, (inv, "100.00"))

    assert application.invoice_id == inv.pk
    assert application.payment_id == cash.pk
    assert application.amount == Decimal("100.00")
    inv.refresh_from_db()
    cash.refresh_from_db()
    assert inv.open_amount == Decimal("0.00")
    assert cash.unapplied_amount == Decimal("50.00")
    assert ledger_discrepancies() == []


def test_a_payment_cannot_settle_an_unrelated_customers_invoice():
    inv = invoice(CustomerFactory(), "100.00")
    cash = payment(CustomerFactory(), "100.00")
    before = ledger_state()

    with pytest.raises(ServiceError, match="belongs to another customer") as refused:
        apply(cash, (inv, "100.00"))

    assert refused.value.field == "allocations[0]"
    assert ledger_state() == before


def test_a_childs_payment_cannot_settle_its_parents_invoice():
    parent = CustomerFactory()
    child = CustomerFactory(parent=parent)
    inv = invoice(parent, "100.00")
    cash = payment(child, "100.00")
    before = ledger_state()

    with pytest.raises(ServiceError, match="belongs to another customer"):
        apply(cash, (inv, "100.00"))

    assert ledger_state() == before


def test_a_parents_credit_memo_settles_its_childs_invoice_but_not_a_strangers():
    parent = CustomerFactory()
    child = CustomerFactory(parent=parent)
    own = invoice(child, "80.00")
    strangers = invoice(CustomerFactory(), "80.00")
    memo = services.credit_memo_issue(
        actor=None,
        customer=parent,
        number="CM-EDGE-1",
        issue_date=JAN_1,
        amount=Decimal("100.00"),
        reason="volume rebate",
    )
    before = ledger_state()

    with pytest.raises(ServiceError, match="belongs to another customer"):
        services.credit_memo_apply(
            actor=None,
            credit_memo=memo,
            allocations=[
                services.Allocation(invoice_id=own.pk, amount=Decimal("50.00")),
                services.Allocation(invoice_id=strangers.pk, amount=Decimal("50.00")),
            ],
        )
    assert ledger_state() == before

    services.credit_memo_apply(
        actor=None,
        credit_memo=memo,
        allocations=[services.Allocation(invoice_id=own.pk, amount=Decimal("80.00"))],
    )

    own.refresh_from_db()
    memo.refresh_from_db()
    assert own.open_amount == Decimal("0.00")
    assert memo.unapplied_amount == Decimal("20.00")
    assert ledger_discrepancies() == []


# Dates


def test_an_application_effective_before_the_payment_was_received_is_refused():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    cash = payment(customer, "100.00", received_date=FEB_1)
    before = ledger_state()

    with pytest.raises(ServiceError, match="before the money arrived") as refused:
        apply(cash, (inv, "100.00"), effective_date=datetime.date(2026, 1, 31))

    assert refused.value.field == "effective_date"
    assert ledger_state() == before


def test_an_application_effective_on_the_day_the_payment_was_received_is_accepted():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    cash = payment(customer, "100.00", received_date=FEB_1)

    (application,) = apply(cash, (inv, "40.00"), effective_date=FEB_1)

    assert application.effective_date == FEB_1
    inv.refresh_from_db()
    assert inv.open_amount == Decimal("60.00")


def test_a_credit_memo_applied_before_its_issue_date_is_refused():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    memo = services.credit_memo_issue(
        actor=None,
        customer=customer,
        number="CM-EDGE-2",
        issue_date=FEB_1,
        amount=Decimal("30.00"),
        reason="price correction",
    )
    before = ledger_state()

    with pytest.raises(ServiceError, match="before the money arrived"):
        services.credit_memo_apply(
            actor=None,
            credit_memo=memo,
            allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("30.00"))],
            effective_date=JAN_1,
        )

    assert ledger_state() == before


def test_a_reversal_effective_before_the_application_it_undoes_is_refused():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    cash = payment(customer, "100.00", received_date=FEB_1)
    (application,) = apply(cash, (inv, "100.00"), effective_date=datetime.date(2026, 3, 1))
    before = ledger_state()

    with pytest.raises(ServiceError, match="before the application") as refused:
        services.application_reverse(
            actor=None, application=application, effective_date=datetime.date(2026, 2, 28)
        )

    assert refused.value.field == "effective_date"
    assert ledger_state() == before


def test_a_reversal_on_the_day_of_the_application_is_accepted():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    cash = payment(customer, "100.00", received_date=FEB_1)
    (application,) = apply(cash, (inv, "100.00"), effective_date=datetime.date(2026, 3, 1))

    reversal = services.application_reverse(
        actor=None, application=application, effective_date=datetime.date(2026, 3, 1)
    )

    assert reversal.effective_date == datetime.date(2026, 3, 1)
    assert reversal.amount == Decimal("-100.00")
    assert reversal.reverses_id == application.pk
    assert ledger_discrepancies() == []


def test_a_reversal_cannot_itself_be_reversed():
    customer = CustomerFactory()
    invoice(customer, "100.00")
    cash = payment(customer, "100.00")
    (application,) = services.payment_apply_oldest_first(actor=None, payment=cash)
    reversal = services.application_reverse(actor=None, application=application)
    before = ledger_state()

    with pytest.raises(ServiceError, match="cannot itself be reversed"):
        services.application_reverse(actor=None, application=reversal)

    assert ledger_state() == before


# Duplicates


def test_a_duplicate_invoice_number_is_refused_and_writes_nothing():
    customer = CustomerFactory()
    invoice(customer, "100.00", number="INV-DUP")
    before = ledger_state()

    with pytest.raises(ServiceError) as refused:
        invoice(customer, "250.00", number="INV-DUP")

    assert refused.value.code == "duplicate"
    assert refused.value.field == "number"
    assert ledger_state() == before
    assert Invoice.objects.get(number="INV-DUP").amount == Decimal("100.00")


def test_a_duplicate_payment_reference_is_refused_and_writes_nothing():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    payment(customer, "40.00", reference="PAY-DUP")
    before = ledger_state()

    with pytest.raises(ServiceError) as refused:
        payment(
            customer,
            "60.00",
            reference="PAY-DUP",
            allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("60.00"))],
        )

    assert refused.value.code == "duplicate"
    assert refused.value.field == "reference"
    assert ledger_state() == before
    assert Payment.objects.get(reference="PAY-DUP").amount == Decimal("40.00")


def test_a_duplicate_credit_memo_number_is_refused_and_writes_nothing():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    issue = {
        "actor": None,
        "customer": customer,
        "number": "CM-DUP",
        "issue_date": JAN_1,
        "reason": "returned goods",
    }
    services.credit_memo_issue(amount=Decimal("10.00"), **issue)
    before = ledger_state()

    with pytest.raises(ServiceError) as refused:
        services.credit_memo_issue(
            amount=Decimal("20.00"),
            allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("20.00"))],
            **issue,
        )

    assert refused.value.code == "duplicate"
    assert ledger_state() == before


def test_a_payment_whose_allocations_are_refused_is_not_posted_at_all():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    before = ledger_state()

    with pytest.raises(ServiceError) as refused:
        payment(
            customer,
            "200.00",
            reference="PAY-ALL-OR-NOTHING",
            allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("150.00"))],
        )

    assert refused.value.code == "over_application"
    assert ledger_state() == before


# Write-offs


def test_a_small_balance_write_off_above_25_is_refused():
    inv = invoice(amount="100.00")
    before = ledger_state()

    with pytest.raises(ServiceError, match=r"at most 25\.00") as refused:
        services.invoice_adjust(
            actor=None, invoice=inv, kind="small_balance", amount=Decimal("25.01"), reason="tidy"
        )

    assert refused.value.field == "amount"
    assert ledger_state() == before


def test_a_small_balance_write_off_of_exactly_25_is_accepted():
    inv = invoice(amount="100.00")

    adjustment = services.invoice_adjust(
        actor=None, invoice=inv, kind="small_balance", amount=Decimal("25.00"), reason="tidy"
    )

    assert adjustment.amount == Decimal("25.00")
    assert adjustment.currency_id == "USD"
    inv.refresh_from_db()
    assert inv.open_amount == Decimal("75.00")


def test_writing_off_exactly_the_open_amount_closes_the_invoice():
    customer = CustomerFactory()
    inv = invoice(customer, "1000.00")
    cash = payment(customer, "999.37")
    services.payment_apply_oldest_first(actor=None, payment=cash)

    services.invoice_adjust(
        actor=None, invoice=inv, kind="write_off", amount=Decimal("0.63"), reason="bank fee"
    )

    inv.refresh_from_db()
    assert inv.open_amount == Decimal("0.00")
    assert inv.is_open is False
    assert ledger_discrepancies() == []


def test_writing_off_a_cent_more_than_the_open_amount_is_refused():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    cash = payment(customer, "60.00")
    services.payment_apply_oldest_first(actor=None, payment=cash)
    before = ledger_state()

    with pytest.raises(ServiceError) as refused:
        services.invoice_adjust(
            actor=None, invoice=inv, kind="write_off", amount=Decimal("40.01"), reason="bad debt"
        )

    assert refused.value.code == "over_application"
    assert ledger_state() == before


def test_a_write_off_without_a_reason_or_of_an_unknown_kind_is_refused():
    inv = invoice(amount="100.00")
    before = ledger_state()

    with pytest.raises(ServiceError) as no_reason:
        services.invoice_adjust(
            actor=None, invoice=inv, kind="write_off", amount=Decimal("1.00"), reason="  "
        )
    with pytest.raises(ServiceError) as unknown_kind:
        services.invoice_adjust(
            actor=None, invoice=inv, kind="goodwill", amount=Decimal("1.00"), reason="because"
        )

    assert no_reason.value.field == "reason"
    assert unknown_kind.value.field == "kind"
    assert ledger_state() == before


# Amounts


def _post_invoice(customer, target, amount):
    invoice(customer, amount, number="INV-AMOUNT")


def _post_payment(customer, target, amount):
    payment(customer, amount, reference="PAY-AMOUNT")


def _apply_cash(customer, target, amount):
    apply(Payment.objects.get(reference="PAY-EXISTING"), (target, amount))


def _issue_credit_memo(customer, target, amount):
    services.credit_memo_issue(
        actor=None,
        customer=customer,
        number="CM-AMOUNT",
        issue_date=JAN_1,
        amount=amount,
        reason="credit",
    )


def _write_off(customer, target, amount):
    services.invoice_adjust(
        actor=None, invoice=target, kind="write_off", amount=amount, reason="bad debt"
    )


MONEY_WRITERS = [_post_invoice, _post_payment, _apply_cash, _issue_credit_memo, _write_off]


@pytest.mark.parametrize("write", MONEY_WRITERS, ids=lambda f: f.__name__.lstrip("_"))
@pytest.mark.parametrize("amount", ["10.005", "0.001", "99.999"])
def test_an_amount_with_three_decimal_places_is_refused(write, amount):
    customer = CustomerFactory()
    target = invoice(customer, "100.00")
    payment(customer, "100.00", reference="PAY-EXISTING")
    before = ledger_state()

    with pytest.raises(ServiceError, match="more than two decimal places"):
        write(customer, target, Decimal(amount))

    assert ledger_state() == before


@pytest.mark.parametrize("write", MONEY_WRITERS, ids=lambda f: f.__name__.lstrip("_"))
@pytest.mark.parametrize("amount", ["0", "0.00", "-0.01", "-100.00"])
def test_a_zero_or_negative_amount_is_refused(write, amount):
    customer = CustomerFactory()
    target = invoice(customer, "100.00")
    payment(customer, "100.00", reference="PAY-EXISTING")
    before = ledger_state()

    with pytest.raises(ServiceError, match="must be greater than zero"):
        write(customer, target, Decimal(amount))

    assert ledger_state() == before


@pytest.mark.parametrize("amount", ["not money", "NaN", "Infinity", "10000000000000000.00"])
def test_an_amount_that_is_not_a_finite_ledger_number_is_refused(amount):
    customer = CustomerFactory()
    before = ledger_state()

    with pytest.raises(ServiceError):
        services.payment_post(
            actor=None, customer=customer, reference="PAY-WEIRD", received_date=FEB_1, amount=amount
        )

    assert ledger_state() == before


def test_an_amount_too_large_for_decimal_precision_is_refused_as_a_service_error():
    customer = CustomerFactory()
    before = ledger_state()

    with pytest.raises(ServiceError, match="too large"):
        services.payment_post(
            actor=None,
            customer=customer,
            reference="PAY-HUGE",
            received_date=FEB_1,
            amount="1e30",
        )

    assert ledger_state() == before


def test_a_trailing_zero_third_decimal_place_is_the_same_amount_and_is_accepted():
    customer = CustomerFactory()

    cash = payment(customer, "12.340")

    cash.refresh_from_db()
    assert cash.amount == Decimal("12.34")
    assert cash.unapplied_amount == Decimal("12.34")


# Allocations


def test_an_allocation_naming_the_same_invoice_twice_is_refused():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    cash = payment(customer, "100.00")
    before = ledger_state()

    with pytest.raises(ServiceError, match="named twice") as refused:
        apply(cash, (inv, "30.00"), (inv, "30.00"))

    assert refused.value.field == "allocations[1]"
    assert ledger_state() == before


def test_an_allocation_to_a_missing_invoice_refuses_the_whole_application():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    cash = payment(customer, "100.00")
    before = ledger_state()

    with pytest.raises(ServiceError, match="does not exist"):
        services.payment_apply(
            actor=None,
            payment=cash,
            allocations=[
                services.Allocation(invoice_id=inv.pk, amount=Decimal("50.00")),
                services.Allocation(invoice_id=inv.pk + 10_000, amount=Decimal("50.00")),
            ],
        )

    assert ledger_state() == before


def test_allocations_that_together_exceed_the_payment_are_refused_whole():
    customer = CustomerFactory()
    first = invoice(customer, "100.00")
    second = invoice(customer, "100.00")
    cash = payment(customer, "150.00")
    before = ledger_state()

    with pytest.raises(ServiceError, match="exceeds the unapplied") as refused:
        apply(cash, (first, "100.00"), (second, "50.01"))

    assert refused.value.code == "over_application"
    assert ledger_state() == before


def test_an_empty_allocation_list_is_refused():
    cash = payment(amount="100.00")
    before = ledger_state()

    with pytest.raises(ServiceError, match="at least one invoice"):
        services.payment_apply(actor=None, payment=cash, allocations=[])

    assert ledger_state() == before


# Audit


def test_a_reversal_is_audited_with_its_actor_and_the_balances_before_and_after():
    clerk = UserFactory(username="clerk")
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    cash = payment(customer, "70.00", received_date=FEB_1)
    (application,) = apply(cash, (inv, "70.00"), effective_date=datetime.date(2026, 2, 2))

    reversal = services.application_reverse(
        actor=clerk,
        application=application,
        note="cheque bounced",
        effective_date=datetime.date(2026, 2, 10),
    )

    entry = AuditEntry.objects.get(action="application.reverse")
    assert entry.actor == clerk
    assert entry.object_type == "invoices.application"
    assert entry.object_id == str(reversal.pk)
    assert entry.before == {
        "application": application.pk,
        "invoice_open_amount": "30.00",
        "unapplied_amount": "0.00",
    }
    assert entry.after == {
        "invoice_open_amount": "100.00",
        "unapplied_amount": "70.00",
        "effective_date": "2026-02-10",
        "note": "cheque bounced",
    }
    assert reversal.created_by == clerk


def test_a_write_off_is_audited_with_its_actor_and_the_balance_before_and_after():
    clerk = UserFactory(username="clerk")
    inv = invoice(amount="100.00", number="INV-AUDIT")

    adjustment = services.invoice_adjust(
        actor=clerk, invoice=inv, kind="write_off", amount=Decimal("35.50"), reason="insolvent"
    )

    entry = AuditEntry.objects.get(action="invoice.adjust")
    assert entry.actor == clerk
    assert entry.object_type == "invoices.adjustment"
    assert entry.object_id == str(adjustment.pk)
    assert entry.before == {"invoice_open_amount": "100.00"}
    assert entry.after == {
        "invoice": "INV-AUDIT",
        "kind": "write_off",
        "amount": "35.50",
        "invoice_open_amount": "64.50",
        "reason": "insolvent",
    }
    assert adjustment.created_by == clerk
    assert inv.open_amount == Decimal("64.50")


def test_an_anonymous_actor_is_audited_as_no_one():
    inv = invoice(amount="100.00")

    services.invoice_adjust(
        actor=None, invoice=inv, kind="small_balance", amount=Decimal("1.00"), reason="rounding"
    )

    entry = AuditEntry.objects.get(action="invoice.adjust")
    assert entry.actor is None
