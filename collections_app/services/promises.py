"""Promises to pay: recorded by the collector, kept or broken by the ledger's cash.

A promise is **kept** when cash applied to the invoices it covers (or to any of the
customer's invoices, when it names none) with an effective date from the day it was made
to ``promised_date + PROMISE_GRACE_DAYS`` reaches its amount; after that deadline it is
**partially kept** if some cash came, **broken** if none. A reversal counts on the date
of the application it undoes, so a bounced payment un-keeps the promise.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.models import Contact, Customer
from accounts.money import in_minor_units, to_positive_money
from invoices.models import Invoice

from ..models import (
    PROMISE_TRANSITIONS,
    ActivityKind,
    FollowUp,
    Promise,
    PromiseStatus,
)
from .activities import activity_add
from .commitments import commitment_cancel
from .payment_plans import payment_plans_evaluate
from .queue import queue_state_refresh

# Promises are re-judged when cash moves for this long after their deadline: a bank
# file imported late can still keep a promise, a bounced cheque can still break one.
REEVALUATE_FOR_DAYS = 90

COLLECTED_SQL = """
SELECT p.id,
       COALESCE((
           SELECT SUM(a.amount)
           FROM invoices_application a
           JOIN invoices_invoice i ON i.id = a.invoice_id
           LEFT JOIN invoices_application o ON o.id = a.reverses_id
           WHERE a.payment_id IS NOT NULL
             AND a.currency_id = p.currency_id
             AND COALESCE(o.effective_date, a.effective_date)
                 BETWEEN (p.created_at AT TIME ZONE %(tz)s)::date
                     AND p.promised_date + %(grace)s
             AND CASE WHEN EXISTS (SELECT 1 FROM collections_app_promise_invoices pi
                                   WHERE pi.promise_id = p.id)
                      THEN a.invoice_id IN (SELECT pi.invoice_id
                                            FROM collections_app_promise_invoices pi
                                            WHERE pi.promise_id = p.id)
                      ELSE i.customer_id = p.customer_id END
       ), 0)
FROM collections_app_promise p
WHERE p.id = ANY(%(ids)s)
"""


def grace_days() -> int:
    return int(getattr(settings, "PROMISE_GRACE_DAYS", 3))


def promise_record(
    *,
    actor,
    customer: Customer,
    amount: Decimal,
    promised_date: datetime.date,
    invoice_ids: list[int] | None = None,
    contact: Contact | None = None,
    note: str = "",
    on_call: bool = False,
) -> Promise:
    """``on_call``: made on a call logged just before, whose timeline line has the note."""
    amount = to_positive_money(amount, field="amount")
    today = timezone.localdate()
    if promised_date < today:
        raise ServiceError("the promised date cannot be in the past", field="promised_date")
    if promised_date > today + datetime.timedelta(days=366):
        raise ServiceError(
            "a promise more than a year out is a payment plan", field="promised_date"
        )
    if contact is not None and contact.customer_id != customer.pk:
        raise ServiceError("that contact belongs to another customer", field="contact")
    ids = sorted(set(invoice_ids or []))
    invoices = list(Invoice.objects.filter(pk__in=ids, customer=customer, open_amount__gt=0))
    if len(invoices) != len(ids):
        raise ServiceError(
            "a promise may cover only this customer's open invoices", field="invoices"
        )
    currencies = {i.currency_id for i in invoices} or {customer.currency_id}
    if len(currencies) > 1:
        raise ServiceError("a promise covers invoices of one currency", field="invoices")
    currency = currencies.pop()
    in_minor_units(amount, currency)
    if invoices:
        covered = sum((i.open_amount for i in invoices), Decimal("0"))
        if amount > covered:
            raise ServiceError(
                f"{format_amount(amount, currency)} is more than the "
                f"{format_amount(covered, currency)} open on those invoices",
                field="amount",
            )
    else:
        # a typo (an extra zero) would hide the account behind a promise it cannot keep
        balance = Invoice.objects.filter(
            customer=customer, currency_id=currency, open_amount__gt=0
        ).aggregate(total=Sum("open_amount"))["total"] or Decimal("0")
        if amount > balance:
            raise ServiceError(
                f"{format_amount(amount, currency)} is more than the "
                f"{format_amount(balance, currency)} "
                "open on the account",
                field="amount",
            )
    with transaction.atomic():
        promise = Promise.objects.create(
            customer=customer,
            amount=amount,
            currency_id=currency,
            promised_date=promised_date,
            contact=contact,
            note=note,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if invoices:
            promise.invoices.set(invoices)
        numbers = ", ".join(i.number for i in invoices)
        activity_add(
            actor=actor,
            customer=customer,
            kind=ActivityKind.PROMISE,
            contact=contact,
            summary=f"Promise of {format_amount(amount, currency)} by {promised_date:%b %d, %Y}"
            + (f" for {numbers}" if numbers else ""),
            note="" if on_call else note,
        )
        audit_record(
            actor=actor,
            action="promise.record",
            instance=promise,
            after={
                "customer": customer.pk,
                "amount": str(amount),
                "currency": currency,
                "promised_date": promised_date.isoformat(),
                "invoices": [i.pk for i in invoices],
            },
        )
        queue_state_refresh(customer_ids=[customer.pk])
    return promise


def _collected(promise_ids: list[int]) -> dict[int, Decimal]:
    with connection.cursor() as cursor:
        cursor.execute(
            COLLECTED_SQL,
            {"ids": promise_ids, "grace": grace_days(), "tz": timezone.get_current_timezone_name()},
        )
        return {pk: Decimal(total) for pk, total in cursor.fetchall()}


def judge(*, amount: Decimal, collected: Decimal, deadline: datetime.date, today: datetime.date):
    if collected >= amount:
        return PromiseStatus.KEPT
    if today <= deadline:
        return PromiseStatus.OPEN
    return PromiseStatus.PARTIALLY_KEPT if collected > 0 else PromiseStatus.BROKEN


def promise_set_status(*, actor, promise: Promise, status: str, collected: Decimal) -> bool:
    """Move a promise (already locked by the caller) along its transition table."""
    if status == promise.status:
        if collected != promise.collected_amount:
            promise.collected_amount = collected
            promise.save(update_fields=["collected_amount"])
        return False
    if status not in PROMISE_TRANSITIONS[promise.status]:
        raise ServiceError(
            f"a {promise.get_status_display().lower()} promise cannot become {status}",
            field="status",
            code="invalid_transition",
        )
    before = {"status": promise.status, "collected_amount": str(promise.collected_amount)}
    promise.status = status
    promise.collected_amount = collected
    promise.evaluated_at = timezone.now()
    promise.save(update_fields=["status", "collected_amount", "evaluated_at"])
    audit_record(
        actor=actor,
        action="promise.status",
        instance=promise,
        before=before,
        after={"status": status, "collected_amount": str(collected)},
    )
    activity_add(
        actor=None,
        customer=promise.customer,
        kind=ActivityKind.SYSTEM,
        summary=f"Promise of {format_amount(promise.amount, promise.currency_id)} by "
        f"{promise.promised_date:%b %d} {promise.get_status_display().lower()}"
        f" ({format_amount(collected, promise.currency_id)} collected)",
    )
    if status == PromiseStatus.BROKEN:
        _follow_up_for_broken(promise)
    return True


def _follow_up_for_broken(promise: Promise) -> None:
    owner = promise.customer.assigned_collector or promise.created_by
    if owner is None or FollowUp.objects.filter(promise=promise).exists():
        return
    follow_up = FollowUp.objects.create(
        customer=promise.customer,
        assigned_to=owner,
        due_date=timezone.localdate(),
        note=f"Promise of {format_amount(promise.amount, promise.currency_id)} "
        f"by {promise.promised_date:%b %d} was broken",
        promise=promise,
    )
    audit_record(
        actor=None,
        action="follow_up.schedule",
        instance=follow_up,
        after={"customer": promise.customer_id, "due_date": follow_up.due_date.isoformat()},
    )


def promises_evaluate(*, customer_ids: set[int] | None = None, actor=None) -> int:
    """Re-judge the live promises of these customers (or, with None, every open promise
    whose deadline has passed — the daily sweep). Returns how many changed status."""
    today = timezone.localdate()
    grace = datetime.timedelta(days=grace_days())
    with transaction.atomic():
        promises = Promise.objects.select_for_update(of=("self",)).select_related(
            "customer", "customer__assigned_collector", "created_by"
        )
        if customer_ids is None:
            promises = promises.filter(status=PromiseStatus.OPEN, promised_date__lt=today - grace)
        else:
            promises = promises.filter(
                customer_id__in=customer_ids,
                promised_date__gte=today - grace - datetime.timedelta(days=REEVALUATE_FOR_DAYS),
            ).exclude(status=PromiseStatus.CANCELLED)
        promises = list(promises.order_by("pk"))
        if not promises:
            return 0
        collected = _collected([p.pk for p in promises])
        changed = 0
        touched: set[int] = set()
        for promise in promises:
            amount_in = collected.get(promise.pk, Decimal("0"))
            status = judge(
                amount=promise.amount,
                collected=amount_in,
                deadline=promise.promised_date + grace,
                today=today,
            )
            if promise_set_status(actor=actor, promise=promise, status=status, collected=amount_in):
                changed += 1
                touched.add(promise.customer_id)
        if customer_ids is None and touched:
            queue_state_refresh(customer_ids=touched)
    return changed


def promise_cancel(*, actor, promise: Promise, reason: str) -> Promise:
    return commitment_cancel(
        actor=actor,
        commitment=promise,
        transitions=PROMISE_TRANSITIONS,
        cancelled=PromiseStatus.CANCELLED,
        noun="promise",
        action="promise.cancel",
        amount="amount",
        reason=reason,
    )


def on_cash_applied(customer_ids: set[int]) -> None:
    """The ledger's hook: cash moved for these customers, inside its transaction."""
    promises_evaluate(customer_ids=customer_ids)
    payment_plans_evaluate(customer_ids=customer_ids)
    queue_state_refresh(customer_ids=customer_ids)
