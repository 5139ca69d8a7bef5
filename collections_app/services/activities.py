"""Calls, notes and the timeline rows every other service writes."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from accounts.audit import audit_record
from accounts.bulk_rows import insert_values
from accounts.errors import ServiceError
from accounts.models import Contact, Customer

from ..models import Activity, ActivityKind, CallOutcome, Promise
from .queue import queue_state_refresh

# A call that reached no one does not settle the follow-up that asked for it.
UNREACHED = {CallOutcome.NO_ANSWER, CallOutcome.LEFT_VOICEMAIL, CallOutcome.WRONG_NUMBER}


def activity_add(
    *,
    actor,
    customer: Customer,
    kind: str,
    summary: str,
    note: str = "",
    outcome: str = "",
    contact: Contact | None = None,
) -> Activity:
    """A timeline row; callers are services that already hold a transaction."""
    return Activity.objects.create(
        customer=customer,
        kind=kind,
        outcome=outcome,
        contact=contact,
        summary=summary[:300],
        note=note,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def activity_add_many(
    *, actor, kind: str, lines: Sequence[tuple[Customer, str]], note: str = ""
) -> int:
    """Timeline rows of one kind for many accounts (customer, summary) in one INSERT: what
    ``activity_add`` writes one by one, for callers working a batch. Returns how many."""
    who = actor.pk if getattr(actor, "is_authenticated", False) else None
    rows = [
        {
            "customer_id": customer.pk,
            "kind": kind,
            "summary": summary[:300],
            "note": note,
            "actor_id": who,
        }
        for customer, summary in lines
    ]
    return len(insert_values(Activity, rows))


def _check_contact(customer: Customer, contact: Contact | None) -> None:
    if contact is not None and contact.customer_id != customer.pk:
        raise ServiceError("that contact belongs to another customer", field="contact")


def call_log(
    *,
    actor,
    customer: Customer,
    outcome: str,
    note: str = "",
    contact: Contact | None = None,
    promise_amount: Decimal | None = None,
    promise_date: datetime.date | None = None,
    promise_invoice_ids: list[int] | None = None,
) -> tuple[Activity, Promise | None]:
    """Log a call; an outcome of "promised" records the promise in the same transaction."""
    if outcome not in CallOutcome.values:
        raise ServiceError(f"{outcome!r} is not a call outcome", field="outcome")
    _check_contact(customer, contact)
    if outcome == CallOutcome.PROMISED and (promise_amount is None or promise_date is None):
        raise ServiceError(
            "a call that ends in a promise needs the promised amount and date",
            field="promise_amount" if promise_amount is None else "promise_date",
        )
    from .promises import promise_record

    with transaction.atomic():
        label = CallOutcome(outcome).label
        who = f" with {contact.name}" if contact else ""
        activity = activity_add(
            actor=actor,
            customer=customer,
            kind=ActivityKind.CALL,
            outcome=outcome,
            contact=contact,
            summary=f"Call{who}: {label}",
            note=note,
        )
        audit_record(
            actor=actor,
            action="activity.call",
            instance=activity,
            after={"customer": customer.pk, "outcome": outcome, "note": note},
        )
        if outcome not in UNREACHED:
            from .follow_ups import follow_ups_close_on_contact

            follow_ups_close_on_contact(actor=actor, customer=customer)
        promise = None
        if outcome == CallOutcome.PROMISED:
            promise = promise_record(
                actor=actor,
                customer=customer,
                amount=promise_amount,
                promised_date=promise_date,
                invoice_ids=promise_invoice_ids or [],
                contact=contact,
                note=note,
                on_call=True,
            )
        queue_state_refresh(customer_ids=[customer.pk])
    return activity, promise


def note_add(*, actor, customer: Customer, note: str) -> Activity:
    if not note.strip():
        raise ServiceError("write the note first", field="note")
    with transaction.atomic():
        activity = activity_add(
            actor=actor, customer=customer, kind=ActivityKind.NOTE, summary="Note", note=note
        )
        audit_record(actor=actor, action="activity.note", instance=activity, after={"note": note})
    return activity
