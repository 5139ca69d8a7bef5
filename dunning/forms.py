"""Forms of the dunning pages and the account's dunning panel: they parse, services decide."""

from __future__ import annotations

from django import forms
from django.conf import settings

from .models import DunningChannel, DunningLevel, EscalationAction


class DunningLevelForm(forms.Form):
    name = forms.CharField(max_length=80)
    days_past_due = forms.IntegerField(min_value=1, max_value=3650, label="Days past due")
    channel = forms.ChoiceField(choices=DunningChannel.choices)
    template_code = forms.ChoiceField(label="Template")
    minimum_overdue_amount = forms.CharField(max_length=20, label="Minimum overdue")
    minimum_invoice_amount = forms.CharField(
        max_length=20, required=False, label="Minimum per invoice"
    )
    minimum_days_since_previous = forms.IntegerField(
        min_value=0, max_value=3650, label="Minimum days since previous level"
    )
    escalation_action = forms.ChoiceField(choices=EscalationAction.choices, label="Escalation")

    def __init__(self, *args, level: DunningLevel, template_codes, **kwargs):
        kwargs.setdefault("prefix", "level")
        if not args:
            kwargs.setdefault(
                "initial",
                {
                    "name": level.name,
                    "days_past_due": level.days_past_due,
                    "channel": level.channel,
                    "template_code": level.template_code,
                    "minimum_overdue_amount": f"{level.minimum_overdue_amount:.2f}",
                    "minimum_invoice_amount": f"{level.minimum_invoice_amount:.2f}",
                    "minimum_days_since_previous": level.minimum_days_since_previous,
                    "escalation_action": level.escalation_action,
                },
            )
        super().__init__(*args, **kwargs)
        self.level = level
        self.fields[
            "minimum_overdue_amount"
        ].label = f"Minimum overdue ({settings.REPORTING_CURRENCY})"
        self.fields[
            "minimum_invoice_amount"
        ].label = f"Minimum per invoice ({settings.REPORTING_CURRENCY})"
        choices = [(code, f"{name} ({code})") for code, name in template_codes]
        if level.template_code not in dict(template_codes):  # its template was removed
            choices.append((level.template_code, f"{level.template_code} (missing)"))
        self.fields["template_code"].choices = choices


class DunningStopForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False)
    until = forms.DateField(
        required=False, label="Until", widget=forms.DateInput(attrs={"type": "date"})
    )


class DunningPolicyForm(forms.Form):
    policy = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    language = forms.ChoiceField()

    def __init__(self, *args, policies, languages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = [("", "The default policy")] + [
            (p.pk, p.name) for p in policies
        ]
        self.fields["language"].choices = [(code, code) for code in languages]
