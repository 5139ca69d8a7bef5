from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from accounts.audit import audit_record, audit_record_many, snapshot
from accounts.bulk_rows import insert_rows
from accounts.errors import ServiceError
from accounts.models import Currency, Customer
from accounts.money import in_minor_units, to_positive_money

from ..hooks import run_ledger_changed
from ..models import Invoice
from .batches import refused_at

INVOICE_FIELDS = ["number", "customer", "issue_date", "due_date", "amount", "currency", "po_number"]


def invoice_create(
    *,
    actor,
    customer: Customer,
    number: str,
    issue_date: datetime.date,
    due_date: datetime.date,
    amount,
    currency: Currency | str | None = None,
    po_number: str = "",
) -> Invoice:
    code = getattr(currency, "code", currency) or customer.currency_id
    invoice = _checked(
        NewInvoice(customer, number, issue_date, due_date, amount, currency, po_number),
        {row.code: row for row in Currency.objects.filter(code=code)},
    )
    try:
        with transaction.atomic():
            invoice.save(force_insert=True)
            audit_record(
                actor=actor,
                action="invoice.create",
                instance=invoice,
                after=snapshot(invoice, INVOICE_FIELDS),
            )
            run_ledger_changed([customer.pk])
    except IntegrityError:
        if Invoice.objects.filter(number=invoice.number).exists():
            raise ServiceError(
                f"invoice {invoice.number} already exists", field="number", code="duplicate"
            ) from None
        raise
    return invoice


@dataclass(frozen=True, slots=True)
class NewInvoice:
    """One invoice of ``invoice_create_many``: what ``invoice_create`` takes."""

    customer: Customer
    number: str
    issue_date: datetime.date
    due_date: datetime.date
    amount: Decimal | str
    currency: Currency | str | None = None
    po_number: str = ""


def invoice_create_many(*, actor, invoices: Sequence[NewInvoice]) -> list[Invoice]:
    """``invoice_create`` for a batch (an import): the same checks, rows and audit entries,
    and the ledger hooks once for every customer: the invoices and their entries in one
    INSERT each (``accounts.bulk_rows``: ``bulk_create`` prepares every value through its
    field, most of the time of a large import).

    All or nothing; a refusal names the invoice by position (``invoices[3].number``), and
    a number already booked, or twice in the batch, is a ``duplicate`` as it would be one
    by one."""
    codes = {getattr(n.currency, "code", n.currency) or n.customer.currency_id for n in invoices}
    currencies = {row.code: row for row in Currency.objects.filter(code__in=codes)}
    rows: list[Invoice] = []
    first_at: dict[str, int] = {}
    for index, new in enumerate(invoices):
        try:
            invoice = _checked(new, currencies)
            if first_at.setdefault(invoice.number, index) != index:
                raise _duplicate(invoice.number)
        except ServiceError as exc:
            raise refused_at("invoices", index, exc) from None
        rows.append(invoice)
    if not rows:
        return rows
    try:
        with transaction.atomic():
            _insert(actor, rows)
            run_ledger_changed({invoice.customer_id for invoice in rows})
    except IntegrityError:
        taken = set(Invoice.objects.filter(number__in=first_at).values_list("number", flat=True))
        index = next((i for i, row in enumerate(rows) if row.number in taken), None)
        if index is None:
            raise
        raise refused_at("invoices", index, _duplicate(rows[index].number)) from None
    return rows


def _insert(actor, rows: list[Invoice]) -> None:
    """The invoices and their ``invoice.create`` entries, one INSERT each."""
    insert_rows(rows)
    audit_record_many(
        actor=actor,
        action="invoice.create",
        instances=rows,
        after=lambda invoice: snapshot(invoice, INVOICE_FIELDS),
    )


def _duplicate(number: str) -> ServiceError:
    return ServiceError(f"invoice {number} already exists", field="number", code="duplicate")


def _checked(new: NewInvoice, currencies: dict[str, Currency]) -> Invoice:
    """The unsaved invoice, or the refusal ``invoice_create`` gives for it."""
    amount = to_positive_money(new.amount)
    number = (new.number or "").strip()
    if not number:
        raise ServiceError("invoice number is required", field="number")
    if new.due_date < new.issue_date:
        raise ServiceError(
            f"due date {new.due_date} is before issue date {new.issue_date}", field="due_date"
        )
    code = getattr(new.currency, "code", new.currency) or new.customer.currency_id
    currency = currencies.get(code)
    if currency is None:
        raise ServiceError(f"unknown currency {code!r}", field="currency")
    in_minor_units(amount, currency)
    return Invoice(
        number=number,
        customer=new.customer,
        issue_date=new.issue_date,
        due_date=new.due_date,
        amount=amount,
        currency_id=code,
        open_amount=amount,
        po_number=new.po_number or "",
    )
