"""The aging parameters, parsed the same way for the page, the API and exports."""

import datetime

from django import forms
from django.utils import timezone

from accounts.models import Currency

from .aging import BASES, GROUPINGS
from .selectors import AgingFilters


class AgingForm(forms.Form):
    as_of = forms.DateField(required=False)
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
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)

    def clean(self):
        data = super().clean()
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - datetime.timedelta(days=29)
        if start > end:
            raise forms.ValidationError("start must not be after end")
        data["start"], data["end"] = start, end
        return data
