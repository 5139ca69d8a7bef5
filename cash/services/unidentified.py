"""Marking a payment unidentified: researched, and nobody can tell what it pays yet."""

from __future__ import annotations

from django.db import transaction

from accounts.audit import audit_record
from accounts.errors import ServiceError
from invoices.models import Payment, PaymentStatus
from invoices.services.allocations import lock_source

from ..models import UnidentifiedMark


def payment_mark_unidentified(*, actor, payment: Payment, note: str) -> UnidentifiedMark:
    """Flag a payment with something unapplied as unidentified, with why (marking it again
    changes the note). The money stays on account; nothing in the ledger moves."""
    note = (note or "").strip()
    if not note:
        raise ServiceError("say what was tried, or why it cannot be placed", field="note")
    with transaction.atomic():
        locked = lock_source(payment)
        if locked.status == PaymentStatus.VOID or locked.unapplied_amount <= 0:
            raise ServiceError(
                f"payment {locked.reference} has nothing unapplied to mark", field="payment"
            )
        before = UnidentifiedMark.objects.filter(payment=locked).values_list("note", flat=True)
        previous = before.first()
        mark, _created = UnidentifiedMark.objects.update_or_create(
            payment=locked,
            defaults={
                "note": note[:200],
                "marked_by": actor if getattr(actor, "is_authenticated", False) else None,
            },
        )
        audit_record(
            actor=actor,
            action="payment.mark_unidentified",
            instance=locked,
            before={"note": previous} if previous is not None else None,
            after={"note": mark.note},
        )
    return mark
