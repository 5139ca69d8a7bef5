import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from invoices import services
from invoices.models import Application, Invoice, Payment
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, invoice, payment

pytestmark = pytest.mark.django_db


def test_payment_applies_oldest_due_first_and_leaves_the_rest_unapplied():
    customer = CustomerFactory()
    newer = invoice(customer, "300.00", issue_date=datetime.date(2026, 2, 1))
    older = invoice(customer, "200.00", issue_date=datetime.date(2026, 1, 1))
    cash = payment(customer, "450.00")

    applications = services.payment_apply_oldest_first(actor=None, payment=cash)

    assert [(a.invoice_id, a.amount) for a in applications] == [
        (older.pk, Decimal("200.00")),
        (newer.pk, Decimal("250.00")),
    ]
    older.refresh_from_db()
    newer.refresh_from_db()
    cash.refresh_from_db()
    assert older.open_amount == Decimal("0.00")
    assert newer.open_amount == Decimal("50.00")
    assert cash.unapplied_amount == Decimal("0.00")
    assert ledger_discrepancies() == []


def test_application_at_posting_takes_the_received_date():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    cash = payment(
        customer,
        "100.00",
        received_date=datetime.date(2026, 3, 5),
        allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("100.00"))],
    )
    (application,) = cash.applications.all()
    assert application.effective_date == datetime.date(2026, 3, 5)


def test_over_application_is_refused_and_nothing_changes():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    cash = payment(customer, "500.00")

    with pytest.raises(ServiceError, match="exceeds the open balance"):
        services.payment_apply(
            actor=None,
            payment=cash,
            allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("100.01"))],
        )

    inv.refresh_from_db()
    cash.refresh_from_db()
    assert inv.open_amount == Decimal("100.00")
    assert cash.unapplied_amount == Decimal("500.00")
    assert Application.objects.count() == 0


def test_reversal_restores_balances_and_cannot_be_repeated():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00")
    cash = payment(customer, "100.00")
    (application,) = services.payment_apply_oldest_first(actor=None, payment=cash)

    reversal = services.application_reverse(actor=None, application=application, note="NSF")

    assert reversal.amount == Decimal("-100.00")
    inv.refresh_from_db()
    cash.refresh_from_db()
    assert inv.open_amount == Decimal("100.00")
    assert cash.unapplied_amount == Decimal("100.00")
    with pytest.raises(ServiceError, match="already reversed"):
        services.application_reverse(actor=None, application=application)
    assert Application.objects.count() == 2
    inv.refresh_from_db()
    cash.refresh_from_db()
    assert (inv.open_amount, cash.unapplied_amount) == (Decimal("100.00"), Decimal("100.00"))


def test_the_database_refuses_to_edit_an_application():
    customer = CustomerFactory()
    invoice(customer, "100.00")
    cash = payment(customer, "100.00")
    (application,) = services.payment_apply_oldest_first(actor=None, payment=cash)

    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(amount=Decimal("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).delete()


def test_the_database_refuses_an_open_balance_above_the_amount():
    inv = invoice(amount="100.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=inv.pk).update(open_amount=Decimal("100.01"))


def test_cash_in_another_currency_is_refused():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00", currency="EUR")
    cash = payment(customer, "100.00")
    with pytest.raises(ServiceError) as refused:
        services.payment_apply(
            actor=None,
            payment=cash,
            allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("10.00"))],
        )
    assert refused.value.code == "currency_mismatch"
    inv.refresh_from_db()
    cash.refresh_from_db()
    assert (inv.open_amount, cash.unapplied_amount) == (Decimal("100.00"), Decimal("100.00"))
    assert Application.objects.count() == 0


def test_credit_memo_and_write_off_close_an_invoice():
    customer = CustomerFactory()
    inv = invoice(customer, "120.00")
    services.credit_memo_issue(
        actor=None,
        customer=customer,
        number="CM-1",
        issue_date=datetime.date(2026, 1, 10),
        amount=Decimal("100.00"),
        reason="damaged goods",
        allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("100.00"))],
    )
    services.invoice_adjust(
        actor=None, invoice=inv, kind="small_balance", amount=Decimal("20.00"), reason="rounding"
    )
    inv.refresh_from_db()
    assert inv.open_amount == Decimal("0.00")
    assert ledger_discrepancies() == []


def test_every_money_change_is_audited():
    customer = CustomerFactory()
    invoice(customer, "100.00")
    cash = payment(customer, "60.00")
    services.payment_apply_oldest_first(actor=None, payment=cash)
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "invoice.create",
        "payment.post",
        "application.create",
    ]
    entry = AuditEntry.objects.get(action="application.create")
    assert entry.before == {"invoice_open_amount": "100.00"}
    assert entry.after["invoice_open_amount"] == "40.00"


def test_float_amounts_are_refused():
    customer = CustomerFactory()
    with pytest.raises(ServiceError, match="not float"):
        services.payment_post(
            actor=None,
            customer=customer,
            reference="P-FLOAT",
            received_date=datetime.date(2026, 1, 1),
            amount=0.1,
        )
    assert Payment.objects.count() == 0
