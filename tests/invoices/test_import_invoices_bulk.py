"""The set-based invoice import: a batch in one INSERT, one audit entry per invoice (the
same entry ``invoice_create`` writes), the ledger hooks once per import, queries that do not
grow with the rows."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEntry
from invoices import hooks
from invoices.imports import import_invoices
from invoices.models import Invoice
from invoices.services import NewInvoice, invoice_create, invoice_create_many
from tests.factories import CustomerFactory, user_in_role

pytestmark = pytest.mark.django_db

HEADER = "invoice_number,customer_ref,issue_date,due_date,amount,currency,po_number"


def _file(rows: list[str]) -> io.BytesIO:
    return io.BytesIO(("\n".join([HEADER, *rows]) + "\n").encode())


def _rows(count: int, start: int = 0, refs=("ACME", "BETA")) -> list[str]:
    return [
        f"N-{n:05d},{refs[n % len(refs)]},2026-02-01,2026-03-03,{n + 1}.50,USD,PO-{n}"
        for n in range(start, start + count)
    ]


@pytest.fixture
def customers():
    return CustomerFactory(external_ref="ACME"), CustomerFactory(external_ref="BETA")


def test_each_invoice_gets_the_audit_entry_invoice_create_writes(customers):
    finance = user_in_role(roles.FINANCE, "fiona")
    acme = customers[0]
    by_service = invoice_create(
        actor=finance,
        customer=acme,
        number="BY-SERVICE",
        issue_date=Invoice._meta.get_field("issue_date").to_python("2026-02-01"),
        due_date=Invoice._meta.get_field("due_date").to_python("2026-03-03"),
        amount=Decimal("1.50"),
        currency="USD",
        po_number="PO-0",
    )

    import_invoices(_file(_rows(3)), actor=finance)

    entries = AuditEntry.objects.filter(action="invoice.create").order_by("id")
    assert entries.count() == 4
    service_entry, *imported = entries
    invoices = {str(i.pk): i for i in Invoice.objects.exclude(pk=by_service.pk)}
    assert sorted(e.object_id for e in imported) == sorted(invoices)
    for entry in imported:
        assert (entry.actor, entry.object_type) == (finance, "invoices.invoice")
        assert entry.after.keys() == service_entry.after.keys()
        assert entry.after["number"] == invoices[entry.object_id].number
    first = Invoice.objects.get(number="N-00000")
    assert (first.open_amount, first.amount, first.currency_id) == (
        Decimal("1.50"),
        Decimal("1.50"),
        "USD",
    )
    assert service_entry.after | {"number": "N-00000"} == next(
        e.after for e in imported if e.object_id == str(first.pk)
    )


def test_the_ledger_hooks_run_once_for_every_customer_with_a_new_invoice(customers, monkeypatch):
    calls: list[set[int]] = []
    monkeypatch.setattr(hooks, "ledger_changed_hooks", [calls.append])
    CustomerFactory(external_ref="UNTOUCHED")

    import_invoices(_file(_rows(5)))

    assert calls == [{customer.pk for customer in customers}]


def test_queries_do_not_grow_with_the_rows(customers):
    with CaptureQueriesContext(connection) as few:
        import_invoices(_file(_rows(10)))
    with CaptureQueriesContext(connection) as many:
        import_invoices(_file(_rows(1500, start=10)))

    assert Invoice.objects.count() == 1510
    assert len(many) <= len(few) + 5


def _new(customer, number: str, amount: str = "10.00") -> NewInvoice:
    return NewInvoice(
        customer=customer,
        number=number,
        issue_date=datetime.date(2026, 2, 1),
        due_date=datetime.date(2026, 3, 3),
        amount=amount,
    )


@pytest.mark.parametrize(("numbers", "refused_at"), [(["A", "B", "A"], 2), (["A", "BOOKED"], 1)])
def test_a_number_booked_or_twice_in_the_batch_is_a_duplicate_and_nothing_is_written(
    customers, numbers, refused_at
):
    invoice_create(
        actor=None,
        customer=customers[0],
        number="BOOKED",
        issue_date=datetime.date(2026, 2, 1),
        due_date=datetime.date(2026, 3, 3),
        amount=Decimal("1.00"),
    )
    counts = (Invoice.objects.count(), AuditEntry.objects.count())

    with pytest.raises(ServiceError) as refused:
        invoice_create_many(actor=None, invoices=[_new(customers[0], n) for n in numbers])

    assert (refused.value.field, refused.value.code, refused.value.message) == (
        f"invoices[{refused_at}].number",
        "duplicate",
        f"invoice {numbers[refused_at]} already exists",
    )
    assert (Invoice.objects.count(), AuditEntry.objects.count()) == counts


def test_every_refusal_of_invoice_create_comes_back_with_the_invoices_position(customers):
    acme = customers[0]
    cases = [
        _new(acme, "", "1.00"),
        _new(acme, "A", "0"),
        _new(acme, "B", "1.005"),
        NewInvoice(acme, "C", datetime.date(2026, 2, 1), datetime.date(2026, 1, 1), "1.00"),
        NewInvoice(acme, "D", datetime.date(2026, 2, 1), datetime.date(2026, 3, 1), "1", "ZZZ"),
        NewInvoice(acme, "E", datetime.date(2026, 2, 1), datetime.date(2026, 3, 1), "1.5", "JPY"),
    ]

    for case in cases:
        with pytest.raises(ServiceError) as by_one:
            invoice_create(
                actor=None,
                customer=case.customer,
                number=case.number,
                issue_date=case.issue_date,
                due_date=case.due_date,
                amount=case.amount,
                currency=case.currency,
            )
        with pytest.raises(ServiceError) as in_batch:
            invoice_create_many(actor=None, invoices=[_new(acme, "OK"), case])

        assert (in_batch.value.field, in_batch.value.code, in_batch.value.message) == (
            f"invoices[1].{by_one.value.field}",
            by_one.value.code,
            by_one.value.message,
        )
    assert not Invoice.objects.exists()
