from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction

from accounts.audit import audit_record, snapshot
from accounts.errors import ServiceError
from accounts.models import Currency, Customer
from accounts.money import in_minor_units, to_positive_money

from ..hooks import run_ledger_changed
from ..models import Invoice

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
    amount = to_positive_money(amount)
    number = (number or "").strip()
    if not number:
        raise ServiceError("invoice number is required", field="number")
    if due_date < issue_date:
        raise ServiceError(
            f"due date {due_date} is before issue date {issue_date}", field="due_date"
        )
    currency_code = getattr(currency, "code", currency) or customer.currency_id
    currency_row = Currency.objects.filter(code=currency_code).first()
    if currency_row is None:
        raise ServiceError(f"unknown currency {currency_code!r}", field="currency")
    in_minor_units(amount, currency_row)
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                number=number,
                customer=customer,
                issue_date=issue_date,
                due_date=due_date,
                amount=amount,
                currency_id=currency_code,
                open_amount=amount,
                po_number=po_number or "",
            )
            audit_record(
                actor=actor,
                action="invoice.create",
                instance=invoice,
                after=snapshot(invoice, INVOICE_FIELDS),
            )
            run_ledger_changed([customer.pk])
    except IntegrityError:
        if Invoice.objects.filter(number=number).exists():
            raise ServiceError(
                f"invoice {number} already exists", field="number", code="duplicate"
            ) from None
        raise
    return invoice
