"""Filters of the unapplied-cash list (django-filter), used for payments and credit memos."""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import Q
from django.utils import timezone

from accounts.models import Currency

AGE_CHOICES = [
    ("", "any age"),
    ("7", "older than 7 days"),
    ("30", "older than 30 days"),
    ("60", "older than 60 days"),
    ("90", "older than 90 days"),
]


class UnappliedFilter(django_filters.FilterSet):
    """``date_field`` is the day the money arrived: received (payment) or issued (credit)."""

    customer = django_filters.CharFilter(method="filter_customer", label="Customer")
    currency = django_filters.ModelChoiceFilter(
        field_name="currency",
        queryset=Currency.objects.order_by("code"),
        empty_label="any currency",
        label="Currency",
    )
    older_than = django_filters.ChoiceFilter(
        choices=AGE_CHOICES[1:], empty_label=AGE_CHOICES[0][1], method="filter_age", label="Age"
    )

    def __init__(self, *args, date_field: str, **kwargs):
        self.date_field = date_field
        super().__init__(*args, **kwargs)

    def filter_customer(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(customer__name__icontains=value) | Q(customer__external_ref__iexact=value)
        )

    def filter_age(self, queryset, name, value):
        days = int(value)
        cutoff = timezone.localdate() - datetime.timedelta(days=days)
        return queryset.filter(**{f"{self.date_field}__lt": cutoff})
