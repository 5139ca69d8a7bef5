"""Forms of the credit page: they parse; the services decide."""

from __future__ import annotations

from django import forms

from accounts.models import CreditStatus

from .models import PERSON_REASONS
from .services import KEEP_STATUS

REASON_CHOICES = [("", "— choose a reason —"), *PERSON_REASONS]


class _ReasonFields(forms.Form):
    reason = forms.ChoiceField(choices=REASON_CHOICES, label="Reason")
    comment = forms.CharField(
        required=False,
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class CreditStatusForm(_ReasonFields):
    status = forms.ChoiceField(choices=CreditStatus.choices, label="New status")
    until = forms.DateField(
        required=False,
        label="Until (optional)",
        help_text="A watch or hold ends by itself after this day.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    field_order = ["status", "until", "reason", "comment"]


class CreditLimitForm(_ReasonFields):
    limit = forms.CharField(
        label="New limit",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    field_order = ["limit", "reason", "comment"]


class EscalationDecisionForm(_ReasonFields):
    status = forms.ChoiceField(label="Decision")
    until = forms.DateField(
        required=False,
        label="Until (optional)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    field_order = ["status", "until", "reason", "comment"]

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        keep = (KEEP_STATUS, f"Keep the status ({CreditStatus(current).label})")
        self.fields["status"].choices = [
            keep,
            *[
                (value, f"Set to: {label}")
                for value, label in CreditStatus.choices
                if value != current
            ],
        ]


class LimitRequestDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")],
        widget=forms.RadioSelect,
        label="Decision",
    )
    comment = forms.CharField(
        label="Reason for the decision",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
