"""Invoices and payments CSV imports: all or nothing.

Each file is read twice in one transaction: a checking pass that writes nothing (so a bad
row near the end of a large file is found in seconds) and a writing pass. Lookups are
fetched a batch at a time, and each batch is written by the ledger's batch services,
``invoice_create_many`` and ``payment_post_many``: the rows, checks and audit entries of
``invoice_create`` and ``payment_post``, a few statements a batch. The ledger's hooks run
once per import, for every customer the file touched. An invoice or payment already in the
ledger is left alone when the row matches it and refused when it differs: imports never
change money that is already booked.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from accounts.csv_reading import (
    Columns,
    ErrorCollector,
    ImportResult,
    Row,
    Sheet,
    Source,
    batched,
    open_sheet,
    reject,
)
from accounts.errors import ServiceError
from accounts.models import Currency, Customer
from accounts.selectors import customers_for

from .hooks import hooks_deferred
from .models import Application, Invoice, Payment
from .services import (
    Allocation,
    NewInvoice,
    NewPayment,
    invoice_create_many,
    payment_post_many,
)
from .services.batches import refused_position

INVOICE_COLUMNS = Columns(
    required=("invoice_number", "customer_ref", "issue_date", "due_date", "amount", "currency"),
    optional=("po_number",),
)
PAYMENT_COLUMNS = Columns(
    required=("reference", "customer_ref", "received_date", "amount", "currency"),
    optional=("invoice_number",),
)
BATCH = 2000
# progress("checked" | "written", rows so far): how a background import shows its bar
Progress = Callable[[str, int], None]
BOOKED_INVOICE = (
    "customer__external_ref",
    "issue_date",
    "due_date",
    "amount",
    "currency",
    "po_number",
)
BOOKED_PAYMENT = ("pk", "customer__external_ref", "received_date", "amount", "currency")
SERVICE_FIELD_COLUMNS = {
    "number": "invoice_number",
    "customer": "customer_ref",
    "effective_date": "received_date",
    "allocations": "invoice_number",
}


def import_invoices(
    source: Source, *, actor=None, progress: Progress | None = None
) -> ImportResult:
    """Import an invoices CSV; any bad row refuses the whole file (``ImportRejected``)."""
    with open_sheet(source, INVOICE_COLUMNS) as sheet, transaction.atomic():
        _invoices(sheet, actor=actor, write=False, progress=progress)
        with _hooks_once():
            return _invoices(sheet, actor=actor, write=True, progress=progress)


def import_payments(
    source: Source, *, actor=None, progress: Progress | None = None
) -> ImportResult:
    """Import a payments CSV, applying each to its named invoice; all rows or none."""
    with open_sheet(source, PAYMENT_COLUMNS) as sheet, transaction.atomic():
        _payments(sheet, actor=actor, write=False, progress=progress)
        with _hooks_once():
            return _payments(sheet, actor=actor, write=True, progress=progress)


@contextmanager
def _hooks_once() -> Iterator[None]:
    """The ledger's hooks once per import, for every customer it touched (they recompute
    what the workflow derives, so once at the end leaves what once a row would). A hook's
    refusal refuses the file."""
    try:
        with hooks_deferred():
            yield
    except ServiceError as exc:
        raise reject(exc.message) from None


def _report(progress: Progress | None, write: bool, rows: int) -> None:
    if progress is not None:
        progress("written" if write else "checked", rows)


class _Lookups:
    """Customers and currencies the rows name, fetched once per batch and remembered."""

    def __init__(self, actor):
        self.currencies = {currency.code: currency for currency in Currency.objects.all()}
        self.customers: dict[str, Customer] = {}
        self.absent: set[str] = set()
        scope = Customer.objects.all() if actor is None else customers_for(actor)
        self.scope = scope.select_related(None).only("external_ref", "parent", "currency")

    def load(self, refs: set[str]) -> None:
        wanted = refs - self.customers.keys() - self.absent - {""}
        for customer in self.scope.filter(external_ref__in=wanted):
            self.customers[customer.external_ref] = customer
        self.absent |= wanted - self.customers.keys()

    def customer(self, row: Row, ref: str) -> Customer | None:
        customer = self.customers.get(ref)
        if ref and customer is None:
            row.error("customer_ref", f"unknown customer {ref!r} (import the customers file first)")
        return customer

    def check_currency(self, row: Row, code: str, amount: Decimal | None) -> None:
        currency = self.currencies.get(code)
        if code and currency is None:
            known = ", ".join(sorted(self.currencies))
            row.error("currency", f"unknown currency {code!r}; known: {known}")
        elif currency is not None and amount is not None and currency.decimal_places < 2:
            places = currency.decimal_places
            if amount != amount.quantize(Decimal(1).scaleb(-places)):
                row.error("amount", f"{code} amounts have {places} decimal places, not {amount}")


def _first_time(row: Row, column: str, value: str, first_row: dict[str, int]) -> bool:
    """Numbers and references are keys: the second row naming one is an error."""
    if not value:
        return True
    if value in first_row:
        row.error(column, f"{value!r} is also on row {first_row[value]}")
        return False
    first_row[value] = row.number
    return True


def _compare(row: Row, what: str, pairs: list[tuple[str, object, object]]) -> None:
    for column, in_file, in_ledger in pairs:
        if in_file != in_ledger:
            row.error(
                column,
                f"{what} is already in Dunwell with {column} {in_ledger}, the file says "
                f"{in_file}; an import does not change it",
            )


def _refused_row(exc: ServiceError, items: str, rows: list[Row], columns: Columns) -> None:
    """Name the row a batch service refused, in the column its field comes from."""
    position = refused_position(exc, items)
    if position is None:
        raise exc
    index, field = position
    field = (field or "").split("[")[0]
    column = SERVICE_FIELD_COLUMNS.get(field, field)
    rows[index].error(column if column in columns.all else None, exc.message)


@dataclass(slots=True)
class _InvoiceLine:
    row: Row
    number: str
    customer_ref: str
    issue_date: datetime.date | None
    due_date: datetime.date | None
    amount: Decimal | None
    currency: str
    po_number: str


def _parse_invoice(row: Row) -> _InvoiceLine:
    line = _InvoiceLine(
        row=row,
        number=row.text("invoice_number", required=True, max_length=40),
        customer_ref=row.text("customer_ref", required=True, max_length=40),
        issue_date=row.date("issue_date"),
        due_date=row.date("due_date"),
        amount=row.positive_money("amount"),
        currency=row.text("currency", required=True).upper(),
        po_number=row.text("po_number", max_length=40),
    )
    if line.issue_date and line.due_date and line.due_date < line.issue_date:
        row.error("due_date", f"{line.due_date} is before the issue date {line.issue_date}")
    return line


def _invoices(
    sheet: Sheet, *, actor, write: bool, progress: Progress | None = None
) -> ImportResult:
    errors = ErrorCollector()
    result = ImportResult("invoices")
    lookups = _Lookups(actor)
    first_row: dict[str, int] = {}
    new: list[tuple[Row, NewInvoice]] = []
    seen = 0
    for rows in batched(sheet.rows(errors), BATCH):
        lines = [_parse_invoice(row) for row in rows]
        lookups.load({line.customer_ref for line in lines})
        booked = Invoice.objects.filter(number__in=[line.number for line in lines])
        existing = {
            values[0]: values[1:] for values in booked.values_list("number", *BOOKED_INVOICE)
        }
        for line in lines:
            row = line.row
            customer = lookups.customer(row, line.customer_ref)
            lookups.check_currency(row, line.currency, line.amount)
            if not _first_time(row, "invoice_number", line.number, first_row) or not row.ok:
                continue
            if line.number in existing:
                ref, issued, due, amount, currency, po_number = existing[line.number]
                _compare(
                    row,
                    f"invoice {line.number}",
                    [
                        ("customer_ref", line.customer_ref, ref),
                        ("issue_date", line.issue_date, issued),
                        ("due_date", line.due_date, due),
                        ("amount", line.amount, amount),
                        ("currency", line.currency, currency),
                        ("po_number", line.po_number or po_number, po_number),
                    ],
                )
                if row.ok:
                    result.unchanged += 1
                continue
            result.created += 1
            if write and not errors:
                new.append((row, _new_invoice(line, customer, lookups.currencies[line.currency])))
        if new and not errors:
            _create_invoices(new, actor)
        new.clear()
        seen += len(rows)
        _report(progress, write, seen)
    errors.raise_if_any()
    return result


def _new_invoice(line: _InvoiceLine, customer: Customer, currency: Currency) -> NewInvoice:
    return NewInvoice(
        customer=customer,
        number=line.number,
        issue_date=line.issue_date,
        due_date=line.due_date,
        amount=line.amount,
        currency=currency,
        po_number=line.po_number,
    )


def _create_invoices(new: list[tuple[Row, NewInvoice]], actor) -> None:
    """A batch through ``invoice_create_many``; a number someone else booked meanwhile
    refuses the file (the check pass found it free)."""
    try:
        invoice_create_many(actor=actor, invoices=[invoice for _, invoice in new])
    except ServiceError as exc:
        position = refused_position(exc, "invoices")
        if exc.code == "duplicate" and position is not None:
            raise reject(
                f"invoice {new[position[0]][1].number} was booked by someone else while this "
                "file was imported; import the file again"
            ) from None
        _refused_row(exc, "invoices", [row for row, _ in new], INVOICE_COLUMNS)


@dataclass(slots=True)
class _PaymentLine:
    row: Row
    reference: str
    customer_ref: str
    received_date: datetime.date | None
    amount: Decimal | None
    currency: str
    invoice_number: str


def _parse_payment(row: Row) -> _PaymentLine:
    return _PaymentLine(
        row=row,
        reference=row.text("reference", required=True, max_length=60),
        customer_ref=row.text("customer_ref", required=True, max_length=40),
        received_date=row.date("received_date"),
        amount=row.positive_money("amount"),
        currency=row.text("currency", required=True).upper(),
        invoice_number=row.text("invoice_number", max_length=40),
    )


@dataclass(frozen=True, slots=True)
class _OpenInvoice:
    id: int
    customer_id: int
    parent_id: int | None
    currency_id: str
    open_amount: Decimal


def _check_invoice(line: _PaymentLine, invoice: _OpenInvoice | None, customer) -> None:
    """The invoice a payment names must be its customer's (or a child account's), same currency."""
    row, number = line.row, line.invoice_number
    if invoice is None:
        row.error("invoice_number", f"unknown invoice {number!r}")
    elif customer is not None and customer.pk not in (invoice.customer_id, invoice.parent_id):
        row.error(
            "invoice_number",
            f"invoice {number} belongs to another customer, not to {line.customer_ref} "
            "or one of its accounts",
        )
    elif line.currency and invoice.currency_id != line.currency:
        row.error(
            "invoice_number",
            f"invoice {number} is in {invoice.currency_id}, the payment in {line.currency}",
        )


def _payments(
    sheet: Sheet, *, actor, write: bool, progress: Progress | None = None
) -> ImportResult:
    errors = ErrorCollector()
    result = ImportResult("payments")
    lookups = _Lookups(actor)
    first_row: dict[str, int] = {}
    open_left: dict[int, Decimal] = {}
    new: list[NewPayment] = []
    new_rows: list[Row] = []  # the row of each (side by side: a batch has thousands)
    seen = 0
    for rows in batched(sheet.rows(errors), BATCH):
        lines = [_parse_payment(row) for row in rows]
        lookups.load({line.customer_ref for line in lines})
        booked = Payment.objects.filter(reference__in=[line.reference for line in lines])
        existing = {
            values[0]: values[1:] for values in booked.values_list("reference", *BOOKED_PAYMENT)
        }
        applied = set(
            Application.objects.filter(
                payment__in=[values[0] for values in existing.values()], reverses__isnull=True
            ).values_list("payment", "invoice__number")
        )
        named = Invoice.objects.filter(number__in={line.invoice_number for line in lines})
        invoices = {
            number: _OpenInvoice(*values)
            for number, *values in named.values_list(
                "number", "pk", "customer", "customer__parent", "currency", "open_amount"
            )
        }
        for line in lines:
            row = line.row
            customer = lookups.customer(row, line.customer_ref)
            lookups.check_currency(row, line.currency, line.amount)
            invoice = invoices.get(line.invoice_number)
            if line.invoice_number:
                _check_invoice(line, invoice, customer)
            if not _first_time(row, "reference", line.reference, first_row) or not row.ok:
                continue
            if line.reference in existing:
                pk, ref, received, amount, currency = existing[line.reference]
                what = f"payment {line.reference}"
                _compare(
                    row,
                    what,
                    [
                        ("customer_ref", line.customer_ref, ref),
                        ("received_date", line.received_date, received),
                        ("amount", line.amount, amount),
                        ("currency", line.currency, currency),
                    ],
                )
                if row.ok and line.invoice_number and (pk, line.invoice_number) not in applied:
                    row.error("invoice_number", f"{what} is already in Dunwell, not applied here")
                if row.ok:
                    result.unchanged += 1
                continue
            allocation = None
            if invoice is not None:
                left = open_left.setdefault(invoice.id, invoice.open_amount)
                share = min(line.amount, left)
                if share > 0:
                    allocation = Allocation(invoice_id=invoice.id, amount=share)
                    open_left[invoice.id] = left - share
            result.created += 1
            if write and not errors:
                new_rows.append(row)
                new.append(
                    NewPayment(
                        customer=customer,
                        reference=line.reference,
                        received_date=line.received_date,
                        amount=line.amount,
                        currency=lookups.currencies[line.currency],
                        allocation=allocation,
                    )
                )
        if new and not errors:
            try:
                payment_post_many(actor=actor, payments=new)
            except ServiceError as exc:
                _refused_row(exc, "payments", new_rows, PAYMENT_COLUMNS)
        new.clear()
        new_rows.clear()
        seen += len(rows)
        _report(progress, write, seen)
    errors.raise_if_any()
    return result
