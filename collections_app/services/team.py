"""The credit manager's moves across portfolios."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts import roles
from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.models import Customer

from ..models import FollowUp, FollowUpStatus


def customers_reassign(*, actor, customer_ids: list[int], to_collector) -> int:
    """Move accounts to another collector; their open follow-ups for the old one move too."""
    if not customer_ids:
        raise ServiceError("select at least one account", field="customers")
    if not (
        isinstance(to_collector, get_user_model())
        and to_collector.is_active
        and to_collector.groups.filter(name=roles.COLLECTOR).exists()
    ):
        raise ServiceError("accounts go to an active collector", field="to_collector")
    with transaction.atomic():
        customers = list(
            Customer.objects.select_for_update()
            .filter(pk__in=sorted(set(customer_ids)))
            .order_by("pk")
        )
        if len(customers) != len(set(customer_ids)):
            raise ServiceError("some of those accounts do not exist", field="customers")
        moved = 0
        for customer in customers:
            previous = customer.assigned_collector_id
            if previous == to_collector.pk:
                continue
            Customer.objects.filter(pk=customer.pk).update(assigned_collector=to_collector)
            if previous is not None:
                FollowUp.objects.filter(
                    customer=customer, assigned_to_id=previous, status=FollowUpStatus.OPEN
                ).update(assigned_to=to_collector)
            audit_record(
                actor=actor,
                action="customer.reassign",
                instance=customer,
                before={"assigned_collector": previous},
                after={"assigned_collector": to_collector.pk},
            )
            moved += 1
    return moved
