"""The release queue's sort and filters (``/credit/releases/?…``): a django-filter set over
the held orders within the user's reach; plain GET parameters, so a filtered queue is a
link and every control is a native, labelled form field."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from .order_selectors import over_authority_q

# The reasons a rule in credit/order_rules.py gives (a new rule adds its code here).
REASONS = [
    ("over_limit", "Over the limit"),
    ("group_over_limit", "Over the group's limit"),
    ("no_limit", "No limit set"),
    ("account_stop", "Account on stop"),
    ("account_hold", "Account on hold"),
    ("overdue", "Overdue invoices"),
    ("broken_promise", "Broken promise"),
    ("missing_rate", "Missing exchange rate"),
    ("risk_high", "High risk class"),
]

# sort key → the order of the rows; each ends on pk so pages are stable
SORTS = {
    "ship": ("Ship date, then the larger", ("requested_ship_date", "-amount", "pk")),
    "amount": ("Amount, the larger first", ("-amount", "requested_ship_date", "pk")),
    "age": ("Waiting longest first", ("created_at", "pk")),
    "customer": ("Customer", ("customer__name", "requested_ship_date", "-amount", "pk")),
}

AUTHORITY = [("over", "Over my authority"), ("within", "Within my authority")]


class ReleaseQueueFilter(django_filters.FilterSet):
    customer = django_filters.CharFilter(
        method="filter_customer", label="Customer", help_text="name or reference"
    )
    reason = django_filters.ChoiceFilter(
        choices=REASONS, method="filter_reason", label="Reason", empty_label="any"
    )
    amount_min = django_filters.NumberFilter(
        field_name="amount", lookup_expr="gte", label="Amount from"
    )
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label="to")
    authority = django_filters.ChoiceFilter(
        choices=AUTHORITY, method="filter_authority", label="Authority", empty_label="any"
    )
    sort = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        method="filter_sort",
        label="Sort by",
        empty_label=None,
    )

    def filter_customer(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(customer__name__icontains=value) | Q(customer__external_ref__iexact=value)
        )

    def filter_reason(self, queryset, name, value):
        # jsonb containment: a reason with this code among the order's reasons
        return queryset.filter(reasons__contains=[{"code": value}])

    def filter_authority(self, queryset, name, value):
        over = over_authority_q(self.request.user, day=timezone.localdate())
        return queryset.filter(over) if value == "over" else queryset.exclude(over)

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORTS[value][1])

    @property
    def qs(self):
        """Sorted by ship date when no sort is given (a ChoiceFilter skips an empty value)."""
        queryset = super().qs
        if not self.is_bound or not self.form.is_valid() or not self.form.cleaned_data.get("sort"):
            queryset = queryset.order_by(*SORTS["ship"][1])
        return queryset
