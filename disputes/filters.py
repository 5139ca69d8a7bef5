"""Filters of the disputes list (django-filter)."""

from __future__ import annotations

import django_filters
from django.utils import timezone

from .models import ACTIVE_STATUSES, Department, DisputeReason, DisputeStatus

SLA_CHOICES = [("breached", "past its SLA"), ("within", "within its SLA")]
STATUS_CHOICES = [("active", "Any open status"), *DisputeStatus.choices]


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

    def filter_sla(self, queryset, name, value):
        breached = {"status__in": ACTIVE_STATUSES, "due_date__lt": timezone.localdate()}
        return queryset.filter(**breached) if value == "breached" else queryset.exclude(**breached)
