"""The IBM Watson "Accounts Receivable" sample, converted to our three formats and imported."""

import csv
import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum

from accounts.imports import import_customers
from accounts.models import Customer
from invoices.imports import import_invoices, import_payments
from invoices.models import Application, Invoice, Payment
from invoices.selectors import ledger_discrepancies

pytestmark = pytest.mark.django_db


def iso(month_day_year: str) -> str:
    return datetime.datetime.strptime(month_day_year, "%m/%d/%Y").date().isoformat()


def write(path, header: list[str], rows: list[list[str]]):
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def convert(sample, folder):
    """Customers from customerID, invoices as text numbers, one settling payment per invoice."""
    with sample.open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    customers = write(
        folder / "customers.csv",
        ["external_ref", "name", "currency", "payment_terms"],
        [
            [ref, f"IBM sample {ref}", "USD", "30"]
            for ref in sorted({r["customerID"] for r in rows})
        ],
    )
    invoices = write(
        folder / "invoices.csv",
        ["invoice_number", "customer_ref", "issue_date", "due_date", "amount", "currency"],
        [
            [
                r["invoiceNumber"],
                r["customerID"],
                iso(r["InvoiceDate"]),
                iso(r["DueDate"]),
                r["InvoiceAmount"],
                "USD",
            ]
            for r in rows
        ],
    )
    payments = write(
        folder / "payments.csv",
        ["reference", "customer_ref", "received_date", "amount", "currency", "invoice_number"],
        [
            [
                f"SETTLE-{r['invoiceNumber']}",
                r["customerID"],
                iso(r["SettledDate"]),
                r["InvoiceAmount"],
                "USD",
                r["invoiceNumber"],
            ]
            for r in rows
            if r["SettledDate"]
        ],
    )
    return rows, (customers, invoices, payments)


@pytest.mark.slow
def test_the_ibm_receivables_sample_imports_whole_and_every_invoice_ends_settled(
    shared_data, tmp_path
):
    rows, (customers, invoices, payments) = convert(
        shared_data / "ibm-accounts-receivable.csv", tmp_path
    )

    results = [
        str(import_customers(customers)),
        str(import_invoices(invoices)),
        str(import_payments(payments)),
    ]

    assert results == [
        "customers: 100 created, 0 updated, 0 unchanged",
        "invoices: 2466 created, 0 updated, 0 unchanged",
        "payments: 2466 created, 0 updated, 0 unchanged",
    ]
    assert (Customer.objects.count(), Invoice.objects.count(), Payment.objects.count()) == (
        100,
        2466,
        2466,
    )
    total = sum(Decimal(r["InvoiceAmount"]) for r in rows)
    assert Invoice.objects.aggregate(total=Sum("amount"))["total"] == total
    assert Application.objects.aggregate(total=Sum("amount"))["total"] == total
    assert set(Invoice.objects.values_list("open_amount", flat=True)) == {Decimal("0.00")}
    assert set(Payment.objects.values_list("unapplied_amount", flat=True)) == {Decimal("0.00")}
    assert ledger_discrepancies() == []
    first = Invoice.objects.get(number="0000611365")
    assert (first.customer.external_ref, first.issue_date, first.due_date, first.amount) == (
        "0379-NEVHP",
        datetime.date(2013, 1, 2),
        datetime.date(2013, 2, 1),
        Decimal("55.94"),
    )
    assert list(
        first.applications.values_list("payment__reference", "amount", "effective_date")
    ) == [("SETTLE-0000611365", Decimal("55.94"), datetime.date(2013, 1, 15))]
