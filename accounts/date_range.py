"""The dates anyone may ask a page, the API or a service about: far enough back for any
ledger's history, far enough ahead for a forecast. Outside them a report's date arithmetic
overflows (9999-12-31 plus a day), so such a date is refused naming its parameter (a 400),
never a 500.

One definition for reports, list filters and the dates a service stores (an order's ship
date); the ledger's own dates have tighter bounds of their own (an effective date is never
after today: ``invoices.services.allocations.effective_date_bounded``)."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.utils import timezone

from .errors import ServiceError

DATE_MIN = datetime.date(1900, 1, 1)
YEARS_AHEAD = 10


def date_max() -> datetime.date:
    """Today plus ``YEARS_AHEAD`` years (the 28th at most, so 29 February has a twin)."""
    today = timezone.localdate()
    return today.replace(year=today.year + YEARS_AHEAD, day=min(today.day, 28))


def out_of_range(value: datetime.date) -> str | None:
    """Why ``value`` is refused, or None when it is within the range."""
    latest = date_max()
    if DATE_MIN <= value <= latest:
        return None
    return (
        f"{value.isoformat()} is out of range: give a date from "
        f"{DATE_MIN.isoformat()} to {latest.isoformat()}"
    )


def date_in_range(value: datetime.date, *, field: str) -> datetime.date:
    """``value``, or the service's refusal naming ``field``."""
    reason = out_of_range(value)
    if reason is not None:
        raise ServiceError(reason, field=field)
    return value


class BoundedDateField(forms.DateField):
    """A form's (or a filter's) date within DATE_MIN .. ``date_max()``."""

    def validate(self, value):
        super().validate(value)
        if value is not None and (reason := out_of_range(value)) is not None:
            raise forms.ValidationError(reason, code="out_of_range")


class BoundedDateFilter(django_filters.DateFilter):
    field_class = BoundedDateField
