"""Forms of the release queue and an order's page: they parse; the services decide."""

from __future__ import annotations

from django import forms

from accounts.locale_format import format_amount

from . import selectors


class OrderDecisionForm(forms.Form):
    comment = forms.CharField(
        label="Comment", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    confirm_over_limit = forms.BooleanField(
        required=False,
        label="Release over the limit",
        help_text="Needed when the release takes the account past its limit; your authority "
        "must cover the exposure after it.",
    )


class OrderRejectForm(forms.Form):
    comment = forms.CharField(
        label="Reason for rejecting", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class OrderForwardForm(forms.Form):
    to = forms.ModelChoiceField(queryset=None, label="Forward to", empty_label="— choose —")
    comment = forms.CharField(
        required=False,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = (
            selectors.deciders().exclude(pk=user.pk).select_related("credit_authority")
        )
        self.fields["to"].label_from_instance = lambda u: (
            f"{u.get_username()} (up to "
            f"{format_amount(u.credit_authority.amount, u.credit_authority.currency_id)})"
            if hasattr(u, "credit_authority")
            else f"{u.get_username()} (no authority)"
        )


BULK_ACTIONS = [("release", "Release"), ("reject", "Reject")]


class BulkDecisionForm(forms.Form):
    orders = forms.TypedMultipleChoiceField(coerce=int, label="Orders")
    action = forms.ChoiceField(choices=BULK_ACTIONS)
    comment = forms.CharField(label="Comment", max_length=2000)
    confirm_over_limit = forms.BooleanField(required=False, label="Release over the limit")

    def __init__(self, *args, order_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["orders"].choices = [(pk, pk) for pk in order_ids]
