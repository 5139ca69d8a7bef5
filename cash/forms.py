"""Forms of the cash pages: they parse text into values; the ledger services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.models import Currency, Customer
from accounts.money import to_positive_money
from invoices.models import AdjustmentKind, RefundKind

METHODS = [
    ("wire", "Wire / bank transfer"),
    ("ach", "ACH / direct credit"),
    ("cheque", "Cheque"),
    ("card", "Card"),
    ("cash", "Cash"),
    ("other", "Other"),
]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AMOUNT = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "num"})


def _amount(text: str):
    """An amount typed with thousands separators ("1,250.00"), positive, as Decimal."""
    try:
        return to_positive_money(text.strip().replace(",", ""))
    except ServiceError as error:
        raise forms.ValidationError(error.message) from None


class _CustomerMoneyForm(forms.Form):
    """A customer named by its reference, among those the user may see; an amount as text."""

    customer = forms.CharField(
        label="Customer reference",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "customer-refs"}),
    )
    amount = forms.CharField(label="Amount", widget=AMOUNT)
    currency = forms.ModelChoiceField(
        queryset=Currency.objects.order_by("code"),
        required=False,
        empty_label="the customer's currency",
        label="Currency",
    )

    def __init__(self, *args, customers, **kwargs):
        self.customers = customers
        super().__init__(*args, **kwargs)

    def clean_customer(self) -> Customer:
        ref = self.cleaned_data["customer"].strip()
        customer = self.customers.filter(external_ref__iexact=ref).first()
        if customer is None:
            raise forms.ValidationError(f"no customer with the reference {ref!r}")
        return customer

    def clean_amount(self):
        return _amount(self.cleaned_data["amount"])


class PaymentPostForm(_CustomerMoneyForm):
    received_date = forms.DateField(label="Received on", widget=DATE, initial=timezone.localdate)
    reference = forms.CharField(label="Bank reference", max_length=60)
    method = forms.ChoiceField(label="Method", choices=METHODS, initial="wire")
    field_order = ["customer", "amount", "currency", "received_date", "reference", "method"]


class CreditMemoIssueForm(_CustomerMoneyForm):
    number = forms.CharField(label="Credit memo number", max_length=40)
    issue_date = forms.DateField(label="Issued on", widget=DATE, initial=timezone.localdate)
    reason = forms.CharField(label="Reason", max_length=200)
    field_order = ["customer", "number", "amount", "currency", "issue_date", "reason"]


class ReverseForm(forms.Form):
    note = forms.CharField(label="Why", max_length=200)


class RefundReverseForm(forms.Form):
    """Why a refund or contra is taken back, and the bank's return reference if any."""

    reason = forms.CharField(label="Why", max_length=200)
    reference = forms.CharField(label="Return reference", max_length=80, required=False)


class VoidForm(forms.Form):
    return_date = forms.DateField(label="Returned on", widget=DATE, initial=timezone.localdate)
    reason = forms.CharField(
        label="Reason", max_length=200, initial="Returned unpaid (NSF)", help_text="e.g. NSF, R01"
    )


class WriteOffForm(forms.Form):
    # a contra names the payable it is settled against: the refund page's job
    kind = forms.ChoiceField(
        label="Kind", choices=[c for c in AdjustmentKind.choices if c[0] != AdjustmentKind.CONTRA]
    )
    amount = forms.CharField(label="Amount", widget=AMOUNT)
    reason = forms.CharField(label="Reason", max_length=200)

    def clean_amount(self):
        return _amount(self.cleaned_data["amount"])


class BankFileForm(forms.Form):
    file = forms.FileField(
        label="Statement file (camt.053/054 XML, BAI2, MT940, lockbox, or CSV with a mapping)"
    )
    csv_mapping = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="CSV column mapping",
        empty_label="— not a CSV file —",
    )

    def __init__(self, *args, **kwargs):
        from .models import BankCsvMapping

        super().__init__(*args, **kwargs)
        self.fields["csv_mapping"].queryset = BankCsvMapping.objects.all()


class CsvMappingForm(forms.ModelForm):
    delimiter = forms.ChoiceField(
        choices=[(",", "comma ,"), (";", "semicolon ;"), ("\t", "tab"), ("|", "pipe |")]
    )

    class Meta:
        from .models import BankCsvMapping

        model = BankCsvMapping
        fields = [
            "name",
            "account",
            "delimiter",
            "has_header",
            "date_column",
            "date_format",
            "amount_column",
            "decimal_comma",
            "currency_column",
            "currency",
            "reference_column",
            "payer_name_column",
            "payer_account_column",
            "remittance_column",
        ]
        help_texts = {
            "date_column": "the header's title, or the column's number (1 = the first)",
            "date_format": "as Python writes it: %Y-%m-%d, %d.%m.%Y, %m/%d/%Y",
        }


class WriteOffDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(required=False, max_length=200)


class RefundForm(forms.Form):
    """A refund of unapplied money, or a contra against our payables (an invoice: contra only)."""

    kind = forms.ChoiceField(label="What", choices=RefundKind.choices)
    amount = forms.CharField(label="Amount", widget=AMOUNT)
    reference = forms.CharField(
        label="Reference",
        max_length=80,
        help_text="the bank transfer paying it back, or the supplier document it is netted against",
    )
    reason = forms.CharField(label="Reason", max_length=200)

    def __init__(self, *args, contra_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if contra_only:
            self.fields["kind"].choices = [(RefundKind.CONTRA, RefundKind.CONTRA.label)]

    def clean_amount(self):
        return _amount(self.cleaned_data["amount"])


class RefundDecisionForm(WriteOffDecisionForm):
    pass
