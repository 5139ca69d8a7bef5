"""Forms of the dispute pages: they parse; the services decide."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.date_range import BoundedDateField

from .models import DISPUTE_TRANSITIONS, Department, DisputeOutcome, DisputeStatus


class MoveForm(forms.Form):
    to_status = forms.ChoiceField(choices=DisputeStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.ChoiceField(
        choices=[("", "—"), *DisputeOutcome.choices], required=False, label="Outcome"
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"credit_{line.invoice_id}"] = forms.DecimalField(
                max_digits=18,
                decimal_places=2,
                min_value=Decimal("0.00"),
                required=False,
                label=f"Credit on {line.invoice.number}",
            )

    def credits(self) -> dict[int, Decimal] | None:
        """Invoice id → credit; None when no amount was typed (the service credits each
        line in full for "credit issued")."""
        typed = {
            line.invoice_id: self.cleaned_data.get(f"credit_{line.invoice_id}")
            for line in self.lines
        }
        typed = {pk: amount for pk, amount in typed.items() if amount}
        return typed or None


class AssignForm(forms.Form):
    department = forms.ChoiceField(choices=Department.choices)
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Nobody"
    )

    def __init__(self, *args, assignees=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assignees is not None:
            self.fields["assignee"].queryset = assignees


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Internal comment")


class AttachmentForm(forms.Form):
    file = forms.FileField(label="Attach a PDF, PNG, JPEG or .eml (10 MB at most)")


MOVE_LABELS = {
    DisputeStatus.OPEN: "Reopen",
    DisputeStatus.IN_REVIEW: "Start review",
    DisputeStatus.AWAITING_CUSTOMER: "Wait for the customer",
    DisputeStatus.AWAITING_INTERNAL: "Wait for an internal answer",
    DisputeStatus.RESOLVED: "Resolve",
    DisputeStatus.WITHDRAWN: "Withdraw",
}


def moves_from(status: str) -> list[tuple[str, str]]:
    """The buttons of the dispute page: every move the table allows, in a stable order."""
    order = list(DisputeStatus.values)
    return [(to, MOVE_LABELS[to]) for to in sorted(DISPUTE_TRANSITIONS[status], key=order.index)]


class InvoiceAmountsField(forms.CharField):
    """Per-invoice disputed amounts typed as ``INV-1001 120.00; INV-1002 80`` (a space, ``=``
    or ``:`` between number and amount; ``;`` or new lines between pairs). Cleans to
    {invoice number: Decimal}; the form maps numbers to its customer's invoices."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        out: dict[str, Decimal] = {}
        for part in re.split(r"[;\n]+", text or ""):
            part = part.strip()
            if not part:
                continue
            match = re.fullmatch(r"(\S+?)\s*[\s=:]\s*([0-9]+(?:[.,][0-9]{1,2})?)", part)
            if not match:
                raise forms.ValidationError(
                    f"“{part}”: write an invoice number and an amount, e.g. INV-1001 120.00"
                )
            number, amount = match.group(1), Decimal(match.group(2).replace(",", "."))
            if number in out:
                raise forms.ValidationError(f"{number} is named twice")
            out[number] = amount
        return out


# the reports' period when none is given: the last 90 days
DEFAULT_PERIOD_DAYS = 90


class ReportForm(forms.Form):
    # bounded: the share of AR in dispute steps month by month to ``end``
    start = BoundedDateField(required=False)
    end = BoundedDateField(required=False)
    by = forms.ChoiceField(
        choices=[("reason", "Reason"), ("department", "Department"), ("customer", "Customer")],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if start > end:
            self.add_error(
                "start" if data.get("start") else "end", "the period ends before it starts"
            )
        data["start"], data["end"] = start, end
        return data


class BulkAssignForm(forms.Form):
    """Several disputes to a department and/or a person; blank keeps each one's."""

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), label="Disputes")
    department = forms.ChoiceField(
        choices=[("", "— keep department —"), *Department.choices], required=False
    )
    assignee = forms.ChoiceField(choices=(), required=False, label="Person")

    def __init__(self, *args, ids=(), assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(pk, pk) for pk in ids]
        self.fields["assignee"].choices = [
            ("", "— keep person —"),
            ("none", "Nobody"),
            *((str(user.pk), user.get_username()) for user in assignees),
        ]


class ProposalForm(forms.Form):
    """A resolver's credit proposal: the outcome, why, and per invoice how much."""

    outcome = forms.ChoiceField(
        choices=[
            (DisputeOutcome.CREDIT_ISSUED, "Credit in full"),
            (DisputeOutcome.PARTIAL_CREDIT, "Partial credit"),
        ]
    )
    note = forms.CharField(max_length=500, label="Why credit the customer")

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"credit_{line.invoice_id}"] = forms.DecimalField(
                max_digits=18,
                decimal_places=2,
                min_value=Decimal("0.00"),
                required=False,
                label=f"Credit on {line.invoice.number}",
            )

    credits = MoveForm.credits


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    note = forms.CharField(max_length=500, required=False)
