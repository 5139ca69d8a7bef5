"""Permission-scoped entry points to the reports: every page, API call and export starts here."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.selectors import customers_for

from .aging import BASES, GROUPINGS, AgingQuery
from .models import ExportJob


@dataclass(frozen=True)
class AgingFilters:
    as_of: datetime.date
    basis: str = "due"
    grouping: str = "customer"
    collector: int | None = None
    currency: str | None = None
    customer: int | None = None
    in_dispute: bool | None = None  # True: only items an open dispute names; False: none


def customers_in_reach(user, filters: AgingFilters | None = None) -> QuerySet:
    customers = customers_for(user)
    if filters is not None:
        if filters.collector is not None:
            customers = customers.filter(assigned_collector_id=filters.collector)
        if filters.customer is not None:
            customers = customers.filter(pk=filters.customer)
    return customers


def aging_query_for(user, filters: AgingFilters) -> AgingQuery:
    if filters.basis not in BASES or filters.grouping not in GROUPINGS:
        raise ValueError("unknown basis or grouping")
    return AgingQuery(
        customers=customers_in_reach(user, filters),
        as_of=filters.as_of,
        basis=filters.basis,
        currency=filters.currency,
        in_dispute=filters.in_dispute,
    )


def export_jobs_for(user) -> QuerySet[ExportJob]:
    """A user sees only the exports they asked for."""
    if not (user and user.is_authenticated):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user=user)
