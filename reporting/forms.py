"""The aging parameters, parsed the same way for the page, the API and exports."""

import datetime

from django import forms
from django.utils import timezone

from accounts.date_range import DATE_MIN, BoundedDateField
from accounts.models import Currency

from .aging import BASES, GROUPINGS
from .selectors import AgingFilters

# Report dates a business asks about: far enough back for any ledger's history, far enough
# ahead for a forecast; outside them the date arithmetic of the reports would overflow.
REPORT_DATE_MIN = DATE_MIN
KPI_PERIOD_MAX_DAYS = 366 * 10


class ReportDateField(BoundedDateField):
    """A date within REPORT_DATE_MIN .. today plus ``accounts.date_range.YEARS_AHEAD`` years."""


class AsOfDateField(ReportDateField):
    """An aging date: the ledger says what was open up to today; a later date would show
    today's balances aged as if time had passed, which reads as a forecast it is not."""

    def validate(self, value):
        super().validate(value)
        today = timezone.localdate()
        if value is not None and value > today:
            raise forms.ValidationError(
                f"{value.isoformat()} is in the future: aging is as of today "
                f"({today.isoformat()}) or an earlier date",
                code="future",
            )


class AgingForm(forms.Form):
    as_of = AsOfDateField(required=False)
    basis = forms.ChoiceField(choices=[(b, b) for b in BASES], required=False)
    grouping = forms.ChoiceField(choices=[(g, g) for g in GROUPINGS], required=False)
    collector = forms.IntegerField(required=False, min_value=1)
    currency = forms.ModelChoiceField(
        queryset=Currency.objects.all(), to_field_name="code", required=False
    )
    customer = forms.IntegerField(required=False, min_value=1)
    in_dispute = forms.TypedChoiceField(
        choices=[("", "all"), ("yes", "yes"), ("no", "no")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
    )

    def filters(self) -> AgingFilters:
        data = self.cleaned_data
        return AgingFilters(
            as_of=data.get("as_of") or timezone.localdate(),
            basis=data.get("basis") or "due",
            grouping=data.get("grouping") or "customer",
            collector=data.get("collector"),
            currency=data["currency"].code if data.get("currency") else None,
            customer=data.get("customer"),
            in_dispute=data.get("in_dispute"),
        )


class KpiForm(forms.Form):
    start = ReportDateField(required=False)
    end = ReportDateField(required=False)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or max(end - datetime.timedelta(days=29), REPORT_DATE_MIN)
        if start > end:
            self.add_error("start", "start must not be after end")
        elif (end - start).days >= KPI_PERIOD_MAX_DAYS:
            self.add_error("start", f"the period is longer than {KPI_PERIOD_MAX_DAYS} days")
        data["start"], data["end"] = start, end
        return data
