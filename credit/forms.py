"""Forms of the credit page: they parse; the services decide."""

from __future__ import annotations

from django import forms

from accounts.models import CreditStatus, Currency, PaymentTerms

from .models import PERSON_REASONS, HoldRuleAction, HoldRuleKind
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


class HoldRuleForm(forms.Form):
    """One form for every kind: the fields a kind does not use are left empty (the service
    refuses a rule without its own parameters)."""

    name = forms.CharField(label="Name", max_length=80)
    kind = forms.ChoiceField(choices=HoldRuleKind.choices, label="Checks")
    action = forms.ChoiceField(choices=HoldRuleAction.choices, label="Then")
    over_limit_pct = forms.CharField(
        required=False, label="% over the limit", help_text="Exposure over the limit only."
    )
    days = forms.IntegerField(
        required=False,
        min_value=0,
        label="Days",
        help_text="Past due: more than N days. Broken promise: within M days.",
    )
    amount = forms.CharField(
        required=False, label="Invoice above", help_text="Past due only, with its currency."
    )
    currency = forms.ModelChoiceField(
        queryset=Currency.objects.order_by("code"),
        required=False,
        to_field_name="code",
        label="Currency",
    )
    lift_when_clear = forms.BooleanField(
        required=False,
        label="Lift the hold or watch when the condition clears",
        help_text="Only if nobody changed the status since the rule set it.",
    )
    active = forms.BooleanField(required=False, initial=True, label="Active")


class CreditReviewForm(forms.Form):
    financials = forms.CharField(
        label="Financials summary",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="What the latest statements, bank or agency reports say.",
    )
    limit = forms.CharField(
        label="Credit limit",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="Keep it or change it; above your authority it is forwarded.",
    )
    terms = forms.ModelChoiceField(
        queryset=PaymentTerms.objects.order_by("net_days"), label="Terms"
    )
    next_review_on = forms.DateField(
        required=False,
        label="Next review (optional)",
        help_text="Empty: by the risk class (high monthly, medium quarterly, low yearly).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    comment = forms.CharField(
        required=False, label="Comment", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class CreditApplicationForm(forms.Form):
    company_name = forms.CharField(label="Company", max_length=200)
    external_ref = forms.CharField(label="Customer number", max_length=40)
    registration_number = forms.CharField(
        label="Registration number", max_length=60, required=False
    )
    address = forms.CharField(label="Address", widget=forms.Textarea(attrs={"rows": 3}))
    contact_name = forms.CharField(label="Contact", max_length=120)
    contact_email = forms.EmailField(label="Contact e-mail", required=False)
    contact_phone = forms.CharField(label="Contact phone", max_length=40, required=False)
    currency = forms.ModelChoiceField(
        queryset=Currency.objects.order_by("code"), to_field_name="code", label="Currency"
    )
    requested_limit = forms.CharField(
        label="Limit asked for",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    requested_terms = forms.ModelChoiceField(
        queryset=PaymentTerms.objects.order_by("net_days"), label="Terms asked for"
    )
    trade_references = forms.CharField(
        label="Trade references",
        help_text="One per line: company, contact, how long, credit given.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    bank_reference = forms.CharField(
        label="Bank reference", widget=forms.Textarea(attrs={"rows": 2})
    )


class ApplicationDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")],
        widget=forms.RadioSelect,
        label="Decision",
    )
    limit = forms.CharField(
        label="Limit granted",
        required=False,
        help_text="Approve only; empty: the limit asked for.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    terms = forms.ModelChoiceField(
        queryset=PaymentTerms.objects.order_by("net_days"), label="Terms granted", required=False
    )
    comment = forms.CharField(
        label="Reason for the decision", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
