"""Applying a source of money (a payment or a credit memo) to invoices, shared by both."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DateField, F, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from accounts.audit import audit_record
from accounts.date_range import date_in_range
from accounts.errors import ServiceError
from accounts.money import ZERO, in_minor_units, to_positive_money

from ..hooks import run_cash_applied
from ..models import Application, CreditMemo, Invoice, Payment

Source = Payment | CreditMemo


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_id: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AccountParent:
    parent_id: int | None


@dataclass(slots=True)
class LockedInvoice:
    """The columns of a locked invoice the checks read, under ``Invoice``'s names (and its
    customer's ``parent_id``, which ``may_settle`` reads): a batch locks thousands of
    invoices, and as model instances they would cost more than the checks."""

    pk: int
    number: str
    customer_id: int
    customer: AccountParent
    issue_date: datetime.date
    currency_id: str
    open_amount: Decimal


def lock_source(source: Source) -> Source:
    return type(source).objects.select_for_update().get(pk=source.pk)


def lock_invoices(invoice_ids: list[int]) -> dict[int, Invoice]:
    # of=("self",): lock the invoices only. Without it PostgreSQL also locks the joined
    # customer row, outside the source-then-invoice-id order, and crossing postings deadlock.
    rows = (
        Invoice.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(invoice_ids)))
        .order_by("pk")
        .select_related("customer")
    )
    return {row.pk: row for row in rows}


def movement_dates_widened(effective_date: datetime.date) -> dict:
    """Update expressions that stretch an invoice's movement-date bounds over a new movement.

    Aging as of a past date reads the stored balance outside these bounds instead of summing
    the ledger, so every application, reversal and adjustment widens them, on the invoice
    row the service has locked, in the same UPDATE as the balance.
    """
    day = Value(effective_date, output_field=DateField())
    return {
        "first_movement_date": Least(Coalesce(F("first_movement_date"), day), day),
        "last_movement_date": Greatest(Coalesce(F("last_movement_date"), day), day),
    }


def effective_date_bounded(
    effective_date: datetime.date,
    *,
    not_before: datetime.date,
    since: str,
    today: datetime.date | None = None,
) -> datetime.date:
    """A movement takes effect no later than today and not before ``not_before``, the day
    ``since`` happened (the money arrived, the invoice was issued, the original movement)."""
    today = today or timezone.localdate()
    if effective_date > today:
        raise ServiceError(
            f"effective date {effective_date} is in the future (today is {today})",
            field="effective_date",
        )
    if effective_date < not_before:
        raise ServiceError(
            f"effective date {effective_date} is before {since} ({not_before})",
            field="effective_date",
        )
    return effective_date


def not_after_today(
    day: datetime.date, *, field: str, what: str, today: datetime.date | None = None
) -> datetime.date:
    """Cash is recorded once it has arrived and a credit once it is issued: a payment or
    credit memo dated after today would be one nothing can be applied to (applications
    take effect no later than today, never before their source's date)."""
    today = today or timezone.localdate()
    date_in_range(day, field=field)
    if day > today:
        raise ServiceError(f"{what} {day} is in the future (today is {today})", field=field)
    return day


def source_date(source: Source) -> datetime.date:
    return source.received_date if isinstance(source, Payment) else source.issue_date


def may_settle(source: Source, invoice: Invoice | LockedInvoice) -> bool:
    """A customer's money settles its own invoices, or those of accounts it is the parent of."""
    return invoice.customer_id == source.customer_id or (
        invoice.customer.parent_id == source.customer_id
    )


def allocations_checked(
    *,
    source: Source,
    invoices: dict[int, Invoice] | dict[int, LockedInvoice],
    allocations: list[Allocation],
    effective_date: datetime.date,
    today: datetime.date | None = None,
) -> Decimal:
    """Refuse what ``apply_locked`` may not write, on rows the caller has locked; the total.

    The open balances are the invoices' as given: a caller applying several sources in
    one go (``payment_post_many``) lowers them in between, and names ``today`` once."""
    today = today or timezone.localdate()
    effective_date_bounded(
        effective_date, not_before=source_date(source), since="the money arrived", today=today
    )
    seen: set[int] = set()
    total = ZERO
    for index, allocation in enumerate(allocations):
        field = f"allocations[{index}]"
        invoice = invoices.get(allocation.invoice_id)
        if invoice is None:
            raise ServiceError(f"invoice {allocation.invoice_id} does not exist", field=field)
        if allocation.invoice_id in seen:
            raise ServiceError(f"invoice {invoice.number} is named twice", field=field)
        seen.add(allocation.invoice_id)
        amount = to_positive_money(allocation.amount, field=f"{field}.amount")
        if not may_settle(source, invoice):
            raise ServiceError(f"invoice {invoice.number} belongs to another customer", field=field)
        effective_date_bounded(
            effective_date,
            not_before=invoice.issue_date,
            since=f"invoice {invoice.number} was issued",
            today=today,
        )
        if invoice.currency_id != source.currency_id:
            raise ServiceError(
                f"invoice {invoice.number} is in {invoice.currency_id}, "
                f"the {source._meta.verbose_name} in {source.currency_id}",
                field=field,
                code="currency_mismatch",
            )
        in_minor_units(amount, invoice.currency_id, field=f"{field}.amount")
        if amount > invoice.open_amount:
            raise ServiceError(
                f"{amount} exceeds the open balance {invoice.open_amount} "
                f"of invoice {invoice.number}",
                field=field,
                code="over_application",
            )
        total += amount
    if total > source.unapplied_amount:
        raise ServiceError(
            f"{total} exceeds the unapplied {source.unapplied_amount} of "
            f"{source._meta.verbose_name} {source}",
            field="allocations",
            code="over_application",
        )
    return total


def application_audit(
    *,
    source: Source,
    invoice: Invoice | LockedInvoice,
    amount: Decimal,
    effective_date: datetime.date,
) -> tuple[dict, dict]:
    """The before and after of an ``application.create`` entry; ``invoice.open_amount`` is
    the balance the application leaves."""
    source_field = "payment" if isinstance(source, Payment) else "credit_memo"
    return (
        {"invoice_open_amount": str(invoice.open_amount + amount)},
        {
            "invoice": invoice.number,
            source_field: str(source),
            "amount": str(amount),
            "effective_date": effective_date.isoformat(),
            "invoice_open_amount": str(invoice.open_amount),
        },
    )


def apply_locked(
    *,
    actor,
    source: Source,
    invoices: dict[int, Invoice],
    allocations: list[Allocation],
    effective_date: datetime.date,
) -> list[Application]:
    """Write applications for a source and invoices the caller has already locked."""
    total = allocations_checked(
        source=source, invoices=invoices, allocations=allocations, effective_date=effective_date
    )
    source_field = "payment" if isinstance(source, Payment) else "credit_memo"
    created = []
    for allocation in allocations:
        invoice = invoices[allocation.invoice_id]
        amount = to_positive_money(allocation.amount)
        application = Application.objects.create(
            invoice=invoice,
            amount=amount,
            currency_id=invoice.currency_id,
            effective_date=effective_date,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **{source_field: source},
        )
        Invoice.objects.filter(pk=invoice.pk).update(
            open_amount=F("open_amount") - amount, **movement_dates_widened(effective_date)
        )
        invoice.open_amount -= amount
        before, after = application_audit(
            source=source, invoice=invoice, amount=amount, effective_date=effective_date
        )
        audit_record(
            actor=actor,
            action="application.create",
            instance=application,
            before=before,
            after=after,
        )
        created.append(application)
    if total:
        type(source).objects.filter(pk=source.pk).update(
            unapplied_amount=F("unapplied_amount") - total
        )
        source.unapplied_amount -= total
    run_cash_applied(invoices[a.invoice_id].customer_id for a in allocations)
    return created
