"""Filters of the disputes list (django-filter)."""

from __future__ import annotations

import datetime

import django_filters
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from .age_bands import AGE_BANDS
from .models import ACTIVE_STATUSES, Department, DisputeReason, DisputeStatus

SLA_CHOICES = [("breached", "past its SLA"), ("within", "within its SLA")]
STATUS_CHOICES = [("active", "Any open status"), *DisputeStatus.choices]
AGE_CHOICES = [(band.code, band.label) for band in AGE_BANDS]


class DisputeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, empty_label="Any status", method="filter_status"
    )
    reason = django_filters.ModelChoiceFilter(
        queryset=DisputeReason.objects.order_by("label"), empty_label="Any reason"
    )
    department = django_filters.ChoiceFilter(
        choices=Department.choices, empty_label="Any department"
    )
    assignee = django_filters.ChoiceFilter(
        choices=[("me", "Assigned to me"), ("none", "Nobody")],
        empty_label="Anyone",
        method="filter_assignee",
    )
    sla = django_filters.ChoiceFilter(
        choices=SLA_CHOICES, empty_label="Any SLA state", method="filter_sla", label="SLA"
    )
    customer = django_filters.CharFilter(
        field_name="customer__name", lookup_expr="icontains", label="Customer"
    )
    age = django_filters.ChoiceFilter(
        choices=AGE_CHOICES, empty_label="Any age", method="filter_age", label="Age"
    )
    # the dispute's amount in its own currency: a floor and a ceiling
    amount_min = django_filters.NumberFilter(
        field_name="amount", lookup_expr="gte", label="Amount from"
    )
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label="to")

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def filter_status(self, queryset, name, value):
        if value == "active":
            return queryset.filter(status__in=ACTIVE_STATUSES)
        return queryset.filter(status=value)

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.user)
        return queryset.filter(assignee__isnull=True)

    def filter_age(self, queryset, name, value):
        """Opened within the band's days (both ends included), by the company's date."""
        band = next((band for band in AGE_BANDS if band.code == value), None)
        if band is None:
            return queryset
        today = timezone.localdate()
        queryset = queryset.filter(
            opened_at__date__lte=today - datetime.timedelta(days=band.youngest)
        )
        if band.oldest is not None:
            queryset = queryset.filter(
                opened_at__date__gte=today - datetime.timedelta(days=band.oldest)
            )
        return queryset

    def filter_sla(self, queryset, name, value):
        breached = {"status__in": ACTIVE_STATUSES, "due_date__lt": timezone.localdate()}
        return queryset.filter(**breached) if value == "breached" else queryset.exclude(**breached)


class DisputeApiFilter(DisputeFilter):
    """The API's filters: the page's, with the customer and the assignee by id (plain ids on
    a queryset already scoped to the caller, so another's id answers like an unknown one)."""

    customer = django_filters.NumberFilter(field_name="customer_id", label="Customer id")
    customer_name = django_filters.CharFilter(
        field_name="customer__name", lookup_expr="icontains", label="Customer name contains"
    )
    assignee = django_filters.CharFilter(
        method="filter_assignee", label='Assignee: a user id, "me" or "none"'
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label='A status, or "active"'
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = getattr(self.request, "user", None)

    def filter_assignee(self, queryset, name, value):
        value = (value or "").strip().lower()
        if value == "me":
            return queryset.filter(assignee=self.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value.isdigit():
            return queryset.filter(assignee_id=int(value))
        raise ValidationError({"assignee": 'a user id, "me" or "none"'})
