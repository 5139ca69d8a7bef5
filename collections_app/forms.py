"""Forms of the workspace and the team page: they parse and show errors; services decide."""

from __future__ import annotations

import datetime
from decimal import ROUND_DOWN, Decimal

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from accounts.models import CreditStatus
from disputes.forms import InvoiceAmountsField
from disputes.selectors import dispute_reason_choices

from .models import BUCKET_CHOICES, CallOutcome
from .services.emails import EMAIL_TEMPLATES


class QuickSelect(forms.Select):
    """A <select> rendered in Python: the workspace draws six forms on every request and
    the template-per-option widget rendering was most of its server time."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, " selected" if str(key) == chosen else "", label)
                for key, label in self._options()
            ),
        )
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>{}</select>", flatatt(final), options)

    def _options(self):
        for key, label in self.choices:
            yield ("" if key is None else getattr(key, "value", key)), label


class QuickInputMixin:
    """Inputs rendered in Python, for the same reason as ``QuickSelect``."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        shown = self.format_value(value)
        if self.input_type == "textarea":
            return format_html("<textarea{}>\n{}</textarea>", flatatt(final), shown or "")
        final["type"] = self.input_type
        if shown not in (None, ""):
            final["value"] = shown
        return format_html("<input{}>", flatatt(final))


class QuickText(QuickInputMixin, forms.TextInput):
    pass


class QuickNumber(QuickInputMixin, forms.NumberInput):
    pass


class QuickEmail(QuickInputMixin, forms.EmailInput):
    pass


class QuickDate(QuickInputMixin, forms.DateInput):
    input_type = "date"


class QuickTextarea(QuickInputMixin, forms.Textarea):
    input_type = "textarea"

    def __init__(self, attrs=None):
        super().__init__({"cols": "40", "rows": "2", **(attrs or {})})


class InvoiceIdsField(forms.TypedMultipleChoiceField):
    """Ids of selected invoices; the service checks they are this customer's open items."""

    def __init__(self, **kwargs):
        super().__init__(coerce=int, required=False, **kwargs)

    def valid_value(self, value):
        return str(value).isdigit()


class _CustomerForm(forms.Form):
    """A workspace form; the selected invoices are the open-items checkboxes, unprefixed,
    because one selection serves every action."""

    def add_prefix(self, field_name):
        return "invoices" if field_name == "invoices" else super().add_prefix(field_name)

    def __init__(self, *args, customer, contacts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        if "contact" in self.fields:
            self.fields["contact"].queryset = (
                contacts if contacts is not None else (customer.contacts.all())
            )


class CallForm(_CustomerForm):
    contact = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="— no one named —", widget=QuickSelect
    )
    outcome = forms.ChoiceField(
        choices=[("", "— outcome —"), *CallOutcome.choices], widget=QuickSelect
    )
    note = forms.CharField(widget=QuickTextarea, required=False)
    promise_amount = forms.DecimalField(
        max_digits=18,
        decimal_places=2,
        min_value=0.01,
        required=False,
        label="Promised amount",
        widget=QuickNumber,
    )
    promise_date = forms.DateField(required=False, label="Promised date", widget=QuickDate)
    invoices = InvoiceIdsField()

    def clean(self):
        data = super().clean()
        if data.get("outcome") == CallOutcome.PROMISED:
            if data.get("promise_amount") is None and "promise_amount" not in self.errors:
                self.add_error("promise_amount", "Enter the amount the customer promised.")
            if data.get("promise_date") is None and "promise_date" not in self.errors:
                self.add_error("promise_date", "Enter the date the customer promised to pay by.")
        return data


class PromiseForm(_CustomerForm):
    contact = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="— no one named —", widget=QuickSelect
    )
    amount = forms.DecimalField(max_digits=18, decimal_places=2, min_value=0.01, widget=QuickNumber)
    promised_date = forms.DateField(widget=QuickDate)
    note = forms.CharField(widget=QuickTextarea, required=False)
    invoices = InvoiceIdsField()


class PaymentPlanForm(_CustomerForm):
    """Expands a total, a count, a first date and an interval into equal instalments (the
    cents left over go on the last one); the service judges the schedule."""

    total_amount = forms.DecimalField(
        max_digits=18, decimal_places=2, min_value=0.01, label="Total", widget=QuickNumber
    )
    count = forms.IntegerField(
        min_value=2, max_value=12, initial=3, label="Instalments", widget=QuickNumber
    )
    first_date = forms.DateField(label="First instalment due", widget=QuickDate)
    interval_days = forms.IntegerField(
        min_value=7, max_value=92, initial=30, label="Days between instalments", widget=QuickNumber
    )
    note = forms.CharField(widget=QuickTextarea, required=False)

    def clean(self):
        data = super().clean()
        total, count = data.get("total_amount"), data.get("count")
        first, interval = data.get("first_date"), data.get("interval_days")
        if None in (total, count, first, interval):
            return data
        each = (total / count).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        if each <= 0:
            self.add_error("total_amount", "The total is too small to split that many ways.")
            return data
        data["installments"] = [
            (
                first + datetime.timedelta(days=interval * n),
                each if n < count - 1 else total - each * (count - 1),
            )
            for n in range(count)
        ]
        return data


class FollowUpForm(_CustomerForm):
    due_date = forms.DateField(widget=QuickDate)
    assigned_to = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="— me —", widget=QuickSelect
    )
    note = forms.CharField(max_length=300, required=False, widget=QuickText)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = people


class EmailForm(_CustomerForm):
    contact = forms.ModelChoiceField(queryset=None, empty_label="— to —", widget=QuickSelect)
    template = forms.ChoiceField(
        choices=[(t.code, t.label) for t in EMAIL_TEMPLATES.values()], widget=QuickSelect
    )
    message = forms.CharField(widget=QuickTextarea, required=False, label="Personal note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # a contact who asked not to be written to is not offered
        field = self.fields["contact"]
        field.queryset = field.queryset.filter(do_not_contact=False)


class DisputeForm(_CustomerForm):
    reason_code = forms.ChoiceField(choices=(), widget=QuickSelect)
    amount = forms.DecimalField(
        max_digits=18,
        decimal_places=2,
        min_value=0.01,
        required=False,
        widget=QuickNumber,
        help_text="Leave empty for the full open amount of the selected invoices.",
    )
    amounts = InvoiceAmountsField(
        widget=QuickTextarea,
        label="Per invoice",
        help_text="Or each invoice's own disputed amount: INV-1001 120.00; INV-1002 80",
    )
    note = forms.CharField(widget=QuickTextarea, required=False)
    invoices = InvoiceIdsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the reasons are a table admins edit: read once per form, not per rendering
        self.fields["reason_code"].choices = dispute_reason_choices()

    def clean_amounts(self):
        """Invoice numbers → this customer's invoice ids (the service checks the rest)."""
        typed = self.cleaned_data["amounts"]
        if not typed:
            return None
        ids = dict(self.customer.invoices.filter(number__in=typed).values_list("number", "pk"))
        unknown = sorted(set(typed) - set(ids))
        if unknown:
            raise forms.ValidationError(f"not an invoice of this customer: {', '.join(unknown)}")
        return {ids[number]: amount for number, amount in typed.items()}

    def clean(self):
        data = super().clean()
        if data.get("amounts") and data.get("amount"):
            self.add_error("amount", "give one amount or amounts per invoice, not both")
        return data

    def clean_invoices(self):
        ids = self.cleaned_data["invoices"]
        if not ids and not self.data.get(self.add_prefix("amounts"), "").strip():
            raise forms.ValidationError("Select the disputed invoices in the open items.")
        return ids


class EscalationForm(_CustomerForm):
    reason = forms.CharField(widget=QuickTextarea)


class ContactForm(forms.Form):
    """A contact of the account, added or changed from the workspace."""

    name = forms.CharField(max_length=120, widget=QuickText)
    role = forms.CharField(max_length=80, required=False, widget=QuickText)
    phone = forms.CharField(max_length=40, required=False, widget=QuickText)
    email = forms.EmailField(required=False, label="E-mail", widget=QuickEmail)
    is_primary = forms.BooleanField(required=False, label="Primary contact")
    do_not_contact = forms.BooleanField(required=False, label="Do not contact")

    @classmethod
    def for_contact(cls, contact, data=None):
        return cls(
            data,
            prefix=f"contact-{contact.pk}",
            initial={name: getattr(contact, name) for name in cls.base_fields},
        )


class BillingAddressForm(forms.Form):
    billing_address = forms.CharField(
        required=False,
        label="Billing address",
        widget=QuickTextarea(attrs={"rows": "4"}),
        help_text="As printed in the envelope's window: one line each.",
    )


class QueueFilterForm(forms.Form):
    owner = forms.CharField(required=False)
    bucket = forms.ChoiceField(
        choices=[("", "Any age"), *BUCKET_CHOICES[1:]], required=False, label="Oldest"
    )
    currency = forms.RegexField(regex=r"^[A-Z]{3}$", required=False)
    status = forms.ChoiceField(
        choices=[("", "Any status"), *CreditStatus.choices], required=False, label="Credit status"
    )

    def clean_owner(self):
        owner = self.cleaned_data["owner"] or "mine"
        if owner not in ("mine", "all") and not owner.isdigit():
            raise forms.ValidationError("Choose mine, all or a collector.")
        return owner


class ReassignForm(forms.Form):
    to_collector = forms.ModelChoiceField(queryset=None, empty_label="— move to —")
    customers = forms.TypedMultipleChoiceField(coerce=int)

    def __init__(self, *args, collectors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_collector"].queryset = collectors
        self.fields["customers"].valid_value = lambda value: str(value).isdigit()
        self.fields["customers"].error_messages["required"] = "Select the accounts to move."
