"""Permission-scoped reads of customers: every page, API view and export starts here."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Contact, Customer
from .roles import TEAM_VIEW


def sees_all_portfolios(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(TEAM_VIEW))


def scope_to_portfolio(queryset: QuerySet, user, *, customer_path: str) -> QuerySet:
    """Limit any queryset reached through a customer to what ``user`` may see."""
    if not (user and user.is_authenticated and user.is_active):
        return queryset.none()
    if sees_all_portfolios(user):
        return queryset
    lookup = "assigned_collector" if not customer_path else f"{customer_path}__assigned_collector"
    return queryset.filter(**{lookup: user})


def customers_for(user) -> QuerySet[Customer]:
    return scope_to_portfolio(
        Customer.objects.select_related(
            "currency", "payment_terms", "assigned_collector", "parent"
        ),
        user,
        customer_path="",
    )


def customer_for(user, pk: int) -> Customer:
    return get_object_or_404(customers_for(user), pk=pk)


def contacts_for(user) -> QuerySet[Contact]:
    return scope_to_portfolio(
        Contact.objects.select_related("customer"), user, customer_path="customer"
    )
