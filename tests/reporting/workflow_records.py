"""Promises and disputes as the workflow leaves them, for reporting tests (reporting never
writes them; the collections and disputes services are tested in their own trees)."""

from decimal import Decimal

from django.utils import timezone

from collections_app.models import Promise
from disputes.models import Dispute, DisputeStatus
from tests.factories import invoice


def promise(customer, status, promised_date, taken_by):
    return Promise.objects.create(
        customer=customer,
        amount=Decimal("100.00"),
        currency_id=customer.currency_id,
        promised_date=promised_date,
        status=status,
        created_by=taken_by,
    )


def dispute(
    customer,
    reason_code,
    amount,
    status=DisputeStatus.OPEN,
    currency=None,
    opened_at=None,
    resolved_at=None,
):
    """A resolved dispute without ``resolved_at`` is resolved the moment it was opened."""
    item = invoice(customer, "5000.00", currency=currency)
    opened_at = opened_at or timezone.now()
    if status == DisputeStatus.RESOLVED and resolved_at is None:
        resolved_at = opened_at
    found = Dispute.objects.create(
        customer=customer,
        amount=Decimal(amount),
        currency_id=item.currency_id,
        reason_code=reason_code,
        status=status,
        opened_at=opened_at,
        resolved_at=resolved_at,
        resolution="settled" if resolved_at else "",
    )
    found.invoices.set([item])
    return found
