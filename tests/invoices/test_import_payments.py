import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts.csv_reading import ImportRejected
from accounts.models import AuditEntry, Customer
from invoices import services
from invoices.imports import import_payments
from invoices.models import Application, Invoice, Payment
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, invoice, payment

pytestmark = pytest.mark.django_db

HEADER = "reference,customer_ref,received_date,amount,currency,invoice_number"


def write_csv(tmp_path, *lines: str):
    path = tmp_path / "payments.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def record_counts() -> dict[str, int]:
    models = [Customer, Invoice, Payment, Application, AuditEntry]
    return {model.__name__: model.objects.count() for model in models}


def rejection(path) -> list[tuple]:
    before = record_counts()
    with pytest.raises(ImportRejected) as caught:
        import_payments(path)
    assert record_counts() == before
    return [(error.row, error.column, error.reason) for error in caught.value.errors]


def applications() -> list[tuple]:
    return list(
        Application.objects.order_by("id").values_list(
            "payment__reference", "invoice__number", "amount", "effective_date"
        )
    )


@pytest.fixture
def acme():
    return CustomerFactory(external_ref="ACME")


def test_payments_are_applied_to_their_invoice_up_to_its_open_amount(tmp_path, acme):
    inv = invoice(acme, "100.00", number="INV-1")
    path = write_csv(
        tmp_path,
        HEADER,
        "PAY-1,ACME,2026-02-10,60.00,USD,INV-1",
        "PAY-2,ACME,2026-02-11,75.00,USD,INV-1",
        "PAY-3,ACME,2026-02-12,5.00,USD,",
    )

    result = import_payments(path)

    assert str(result) == "payments: 3 created, 0 updated, 0 unchanged"
    assert list(
        Payment.objects.order_by("reference").values_list(
            "reference", "received_date", "amount", "unapplied_amount", "currency"
        )
    ) == [
        ("PAY-1", datetime.date(2026, 2, 10), Decimal("60.00"), Decimal("0.00"), "USD"),
        ("PAY-2", datetime.date(2026, 2, 11), Decimal("75.00"), Decimal("35.00"), "USD"),
        ("PAY-3", datetime.date(2026, 2, 12), Decimal("5.00"), Decimal("5.00"), "USD"),
    ]
    assert applications() == [
        ("PAY-1", "INV-1", Decimal("60.00"), datetime.date(2026, 2, 10)),
        ("PAY-2", "INV-1", Decimal("40.00"), datetime.date(2026, 2, 11)),
    ]
    inv.refresh_from_db()
    assert inv.open_amount == Decimal("0.00")
    assert ledger_discrepancies() == []


def test_a_parent_account_may_pay_its_child_accounts_invoice(tmp_path, acme):
    child = CustomerFactory(external_ref="ACME-EU", parent=acme)
    invoice(child, "80.00", number="INV-9")
    path = write_csv(tmp_path, HEADER, "PAY-1,ACME,2026-02-10,80.00,USD,INV-9")

    import_payments(path)

    assert applications() == [("PAY-1", "INV-9", Decimal("80.00"), datetime.date(2026, 2, 10))]


def test_a_payment_naming_a_paid_invoice_is_recorded_unapplied(tmp_path, acme):
    inv = invoice(acme, "50.00", number="INV-1")
    services.payment_post(
        actor=None,
        customer=acme,
        reference="EARLIER",
        received_date=datetime.date(2026, 2, 1),
        amount=Decimal("50.00"),
        allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("50.00"))],
    )
    path = write_csv(tmp_path, HEADER, "PAY-1,ACME,2026-02-10,50.00,USD,INV-1")

    assert str(import_payments(path)) == "payments: 1 created, 0 updated, 0 unchanged"
    assert Payment.objects.get(reference="PAY-1").unapplied_amount == Decimal("50.00")
    assert applications() == [("EARLIER", "INV-1", Decimal("50.00"), datetime.date(2026, 2, 1))]


def test_importing_the_same_payments_twice_posts_them_once(tmp_path, acme):
    invoice(acme, "100.00", number="INV-1")
    path = write_csv(
        tmp_path, HEADER, "PAY-1,ACME,2026-02-10,60.00,USD,INV-1", "PAY-2,ACME,2026-02-11,1,USD,"
    )
    import_payments(path)
    after_first = record_counts()

    result = import_payments(path)

    assert str(result) == "payments: 0 created, 0 updated, 2 unchanged"
    assert record_counts() == after_first
    assert after_first["Payment"] == 2


def test_an_invoice_of_another_customer_or_currency_or_unknown_is_refused(tmp_path, acme):
    other = CustomerFactory(external_ref="OTHER")
    invoice(other, "10.00", number="INV-O")
    invoice(acme, "10.00", number="INV-E", currency="EUR")
    path = write_csv(
        tmp_path,
        HEADER,
        "PAY-1,ACME,2026-02-10,10.00,USD,INV-O",
        "PAY-2,ACME,2026-02-10,10.00,USD,INV-E",
        "PAY-3,ACME,2026-02-10,10.00,USD,INV-404",
    )

    assert rejection(path) == [
        (
            2,
            "invoice_number",
            "invoice INV-O belongs to another customer, not to ACME or one of its accounts",
        ),
        (3, "invoice_number", "invoice INV-E is in EUR, the payment in USD"),
        (4, "invoice_number", "unknown invoice 'INV-404'"),
    ]


def test_bad_dates_amounts_customers_and_repeated_references_are_all_reported(tmp_path, acme):
    path = write_csv(
        tmp_path,
        HEADER,
        "PAY-1,ACME,,10.00,USD,",
        "PAY-2,ACME,2026-02-10,-10.00,USD,",
        "PAY-3,NOBODY,2026-02-10,10.00,USD,",
        "PAY-1,ACME,2026-02-10,10.00,CHF,",
        "PAY-4,ACME,2026-02-10,10.00,ZZZ,",
    )

    assert rejection(path) == [
        (2, "received_date", "is required: a date as YYYY-MM-DD, e.g. 2026-03-31"),
        (3, "amount", "'-10.00' is not allowed; it must be greater than zero"),
        (4, "customer_ref", "unknown customer 'NOBODY' (import the customers file first)"),
        (5, "reference", "'PAY-1' is also on row 2"),
        (
            6,
            "currency",
            "unknown currency 'ZZZ'; known: AUD, CAD, CHF, EUR, GBP, JPY, MXN, NZD, SEK, USD",
        ),
    ]


def test_an_existing_reference_with_different_data_is_refused(tmp_path, acme):
    payment(acme, "100.00", reference="PAY-1", received_date=datetime.date(2026, 2, 1))
    invoice(acme, "10.00", number="INV-1")
    path = write_csv(
        tmp_path,
        HEADER,
        "PAY-1,ACME,2026-02-01,90.00,USD,",
        "PAY-1B,ACME,2026-02-01,1.00,USD,INV-1",
    )
    payment(acme, "1.00", reference="PAY-1B", received_date=datetime.date(2026, 2, 1))

    assert rejection(path) == [
        (
            2,
            "amount",
            "payment PAY-1 is already in Dunwell with amount 100.00, the file says 90.00; "
            "an import does not change it",
        ),
        (3, "invoice_number", "payment PAY-1B is already in Dunwell, not applied here"),
    ]


def test_import_payments_command_prints_the_counts_or_every_error(tmp_path, acme):
    good = write_csv(tmp_path, HEADER, "PAY-1,ACME,2026-02-10,10.00,USD,")
    out = io.StringIO()
    call_command("import_payments", str(good), stdout=out)
    bad = write_csv(tmp_path, HEADER, "PAY-2,ACME,2026-02-30,10.00,USD,")
    err = io.StringIO()

    with pytest.raises(CommandError, match="the file has 1 error;"):
        call_command("import_payments", str(bad), stderr=err)

    assert out.getvalue() == "payments: 1 created, 0 updated, 0 unchanged\n"
    assert err.getvalue() == "row 2, column received_date: '2026-02-30' is not a real date\n"
    assert list(Payment.objects.values_list("reference", flat=True)) == ["PAY-1"]
