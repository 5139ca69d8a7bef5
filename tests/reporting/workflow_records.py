"""Promises and disputes as the workflow leaves them, for reporting tests (reporting never
writes them; the collections and disputes services are tested in their own trees)."""

from decimal import Decimal

from django.utils import timezone

from collections_app.models import Promise
from disputes.models import DisputeStatus
from tests.factories import dispute_record, invoice


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
    return dispute_record(
        customer,
        {item: Decimal(amount)},
        status=status,
        reason=reason_code,
        opened_at=opened_at,
        closed_at=resolved_at,
    )
