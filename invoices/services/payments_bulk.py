"""Posting a batch of payments, each applied to at most one invoice, set-based.

``payment_post`` with an allocation sends about twenty statements a payment: well under a
hundred payments a second. An import of tens of thousands needs the same rows, checks and
audit entries in a few statements a batch. The invoices are locked in one statement
(ascending id, as every ledger write takes them) and read as plain records; every check
runs on them in the batch's order, so each payment sees what the ones before it applied;
then each table gets one INSERT or UPDATE from arrays (``unnest``).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.audit import snapshot
from accounts.errors import ServiceError
from accounts.models import Currency, Customer

from ..hooks import run_cash_applied
from ..models import Application, Invoice, Payment, PaymentStatus
from .allocations import (
    AccountParent,
    Allocation,
    LockedInvoice,
    allocations_checked,
    application_audit,
)
from .batches import refused_at
from .payments import PAYMENT_FIELDS, new_payment


@dataclass(frozen=True, slots=True)
class NewPayment:
    """One payment of ``payment_post_many``: what ``payment_post`` takes, with at most one
    allocation, applied at the received date."""

    customer: Customer
    reference: str
    received_date: datetime.date
    amount: Decimal | str
    currency: Currency | str | None = None
    method: str = ""
    allocation: Allocation | None = None


def payment_post_many(*, actor, payments: Sequence[NewPayment]) -> list[Payment]:
    """``payment_post`` for a batch: the same checks, rows, balances and audit entries, and
    the cash-applied hooks once for every customer whose invoices were paid.

    All or nothing. The refusal is the one ``payment_post`` would give the first refused
    payment once those before it were posted, naming it by position
    (``payments[3].allocations[0]``); a reference already booked, or twice in the batch,
    is a ``duplicate``."""
    if not payments:
        return []
    user_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    codes = {getattr(n.currency, "code", n.currency) or n.customer.currency_id for n in payments}
    currencies = {row.code: row for row in Currency.objects.filter(code__in=codes)}
    rows: list[Payment] = []
    try:
        with transaction.atomic():
            invoices = _locked_invoices([n.allocation.invoice_id for n in payments if n.allocation])
            booked = set(
                Payment.objects.filter(
                    reference__in={(n.reference or "").strip() for n in payments}
                ).values_list("reference", flat=True)
            )
            rows, applied = _checked(payments, currencies, invoices, booked, user_id)
            _write(rows, applied)
            if applied:
                run_cash_applied({invoice.customer_id for _, invoice, *_ in applied})
    except IntegrityError:
        # booked by someone else since the check above: refused as payment_post refuses it
        taken = set(
            Payment.objects.filter(reference__in=[row.reference for row in rows]).values_list(
                "reference", flat=True
            )
        )
        index = next((i for i, row in enumerate(rows) if row.reference in taken), None)
        if index is None:
            raise
        raise refused_at("payments", index, _duplicate(rows[index].reference)) from None
    return rows


def _locked_invoices(ids: list[int]) -> dict[int, LockedInvoice]:
    """``lock_invoices`` for a batch: one statement, ascending id, the invoices alone
    locked (not their customers)."""
    rows = (
        Invoice.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(ids)))
        .order_by("pk")
        .values_list(
            "pk", "number", "customer", "customer__parent", "issue_date", "currency", "open_amount"
        )
    )
    accounts: dict[int, AccountParent] = {}
    locked = {}
    for pk, number, customer_id, parent_id, issued, currency, open_amount in rows:
        account = accounts.setdefault(customer_id, AccountParent(parent_id))
        locked[pk] = LockedInvoice(pk, number, customer_id, account, issued, currency, open_amount)
    return locked


def _duplicate(reference: str) -> ServiceError:
    return ServiceError(f"payment {reference} already exists", field="reference", code="duplicate")


# an application to write: its payment, its (locked) invoice, the amount, and the before and
# after of its audit entry (one flat tuple: a batch makes thousands)
Applied = tuple[Payment, LockedInvoice, Decimal, dict, dict]


def _checked(
    payments: Sequence[NewPayment],
    currencies: dict[str, Currency],
    invoices: dict[int, LockedInvoice],
    booked: set[str],
    user_id: int | None,
) -> tuple[list[Payment], list[Applied]]:
    """The unsaved payments and their applications, checked in order as ``payment_post``
    checks each (its own fields, then ``apply_locked``'s rules on the locked invoices), the
    invoices' balances lowered in memory by each application as it would lower them."""
    rows: list[Payment] = []
    applied: list[Applied] = []
    seen: set[str] = set()
    today = timezone.localdate()
    for index, new in enumerate(payments):
        try:
            payment = _payment(new, currencies, user_id)
            if payment.reference in booked or payment.reference in seen:
                raise _duplicate(payment.reference)
            seen.add(payment.reference)
            amount = None
            if new.allocation is not None:
                amount = allocations_checked(
                    source=payment,
                    invoices=invoices,
                    allocations=[new.allocation],
                    effective_date=payment.received_date,
                    today=today,
                )
        except ServiceError as exc:
            raise refused_at("payments", index, exc) from None
        rows.append(payment)
        if amount is not None:
            invoice = invoices[new.allocation.invoice_id]
            invoice.open_amount -= amount
            payment.unapplied_amount -= amount
            before, after = application_audit(
                source=payment, invoice=invoice, amount=amount, effective_date=payment.received_date
            )
            applied.append((payment, invoice, amount, before, after))
    return rows, applied


def _payment(new: NewPayment, currencies: dict[str, Currency], user_id: int | None) -> Payment:
    """The unsaved payment, or the refusal ``payment_post`` gives for it."""
    return new_payment(
        customer=new.customer,
        reference=new.reference,
        received_date=new.received_date,
        amount=new.amount,
        currency=new.currency,
        method=new.method,
        created_by_id=user_id,
        currencies=currencies,
    )


# Every invoice the batch applied to: its balance lowered by what was applied to it, its
# movement-date bounds widened over the applications' dates (``movement_dates_widened``).
# The ids twice: ``= ANY`` lets the planner fetch the batch's rows by primary key instead
# of hashing the whole table.
INVOICES_MOVED_SQL = """
UPDATE invoices_invoice AS invoice
SET open_amount = invoice.open_amount - moved.amount,
    first_movement_date = LEAST(
        COALESCE(invoice.first_movement_date, moved.first_day), moved.first_day),
    last_movement_date = GREATEST(
        COALESCE(invoice.last_movement_date, moved.last_day), moved.last_day)
FROM unnest(%(ids)s::bigint[], %(amounts)s::numeric[], %(firsts)s::date[], %(lasts)s::date[])
    AS moved(id, amount, first_day, last_day)
WHERE invoice.id = moved.id AND invoice.id = ANY(%(ids)s::bigint[])
"""


PAYMENTS_INSERT_SQL = """
INSERT INTO invoices_payment (reference, customer_id, received_date, amount, currency_id,
    unapplied_amount, method, status, created_by_id, created_at)
SELECT given.*, %s, %s, %s
FROM unnest(%s::varchar[], %s::bigint[], %s::date[], %s::numeric[], %s::varchar[],
    %s::numeric[], %s::varchar[]) AS given
RETURNING reference, id
"""
APPLICATIONS_INSERT_SQL = """
INSERT INTO invoices_application (invoice_id, payment_id, amount, currency_id,
    effective_date, note, created_by_id, created_at)
SELECT given.*, '', %s, %s
FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::varchar[], %s::date[]) AS given
RETURNING payment_id, id
"""
# The entries ``accounts.audit.audit_record`` writes (actor, action, object, before,
# after), a batch of one action in one statement with what they share given once.
AUDIT_INSERT_SQL = """
INSERT INTO accounts_auditentry (action, object_type, actor_id, created_at, object_id,
    before, after)
SELECT %s, %s, %s, %s, given.object_id, given.before::jsonb, given.after::jsonb
FROM unnest(%s::varchar[], %s::text[], %s::text[]) AS given(object_id, before, after)
"""
PAYMENT_COLUMNS = (
    "reference",
    "customer_id",
    "received_date",
    "amount",
    "currency_id",
    "unapplied_amount",
    "method",
)


def _write(rows: list[Payment], applied: list[Applied]) -> None:
    """The payments, their applications, the audit entries of both: one INSERT each, with
    what a batch shares (status, author, time, action) given once rather than a row at a
    time; the invoices moved in one UPDATE.

    Not ``accounts.bulk_rows`` and ``audit_record_many``: they send every column as an
    array and need an instance an entry, and at 50,000 payments that made the import some
    20 % slower (4,300 rows/s against 5,300 in tests/bench/test_bench_imports.py)."""
    now = timezone.now()
    user_id = rows[0].created_by_id
    with connection.cursor() as cursor:
        cursor.execute(
            PAYMENTS_INSERT_SQL,
            [
                PaymentStatus.POSTED,
                user_id,
                now,
                *([getattr(row, name) for row in rows] for name in PAYMENT_COLUMNS),
            ],
        )
        ids = dict(cursor.fetchall())
        for payment in rows:
            payment.pk = ids[payment.reference]
            payment.created_at = now
            payment._state.adding = False
            payment._state.db = connection.alias
        _audit(
            cursor,
            Payment,
            "payment.post",
            user_id,
            now,
            [(payment.pk, None, snapshot(payment, PAYMENT_FIELDS)) for payment in rows],
        )
        if not applied:
            return
        cursor.execute(
            APPLICATIONS_INSERT_SQL,
            [
                user_id,
                now,
                [invoice.pk for _, invoice, *_ in applied],
                [payment.pk for payment, *_ in applied],
                [amount for _, _, amount, *_ in applied],
                [invoice.currency_id for _, invoice, *_ in applied],
                [payment.received_date for payment, *_ in applied],
            ],
        )
        application_ids = dict(cursor.fetchall())  # one application a payment
        _audit(
            cursor,
            Application,
            "application.create",
            user_id,
            now,
            [(application_ids[p.pk], before, after) for p, _, _, before, after in applied],
        )
        cursor.execute(INVOICES_MOVED_SQL, _moved(applied))


def _audit(cursor, model, action: str, user_id, now, entries: list[tuple]) -> None:
    """``AuditEntry`` rows (object id, before, after) as ``audit_record`` writes them."""
    cursor.execute(
        AUDIT_INSERT_SQL,
        [
            action,
            model._meta.label_lower,
            user_id,
            now,
            [str(pk) for pk, _, _ in entries],
            [None if before is None else json.dumps(before) for _, before, _ in entries],
            [json.dumps(after) for _, _, after in entries],
        ],
    )


def _moved(applied: list[Applied]) -> dict[str, list]:
    """Per invoice: the total applied, the first and the last effective date."""
    moved: dict[int, tuple[Decimal, datetime.date, datetime.date]] = {}
    for payment, invoice, amount, *_ in applied:
        day = payment.received_date
        if invoice.pk in moved:
            total, first, last = moved[invoice.pk]
            moved[invoice.pk] = (total + amount, min(first, day), max(last, day))
        else:
            moved[invoice.pk] = (amount, day, day)
    ids = sorted(moved)
    return {
        "ids": ids,
        "amounts": [moved[pk][0] for pk in ids],
        "firsts": [moved[pk][1] for pk in ids],
        "lasts": [moved[pk][2] for pk in ids],
    }
