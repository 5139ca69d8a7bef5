"""The upload form of the customers, invoices and payments CSV imports."""

from __future__ import annotations

from django import forms
from django.conf import settings

from .models import CsvImportKind


class CsvImportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=CsvImportKind.choices,
        initial=CsvImportKind.INVOICES,
        label="What the file holds",
    )
    file = forms.FileField(
        label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"the file is {upload.size:,} bytes; at most {limit:,} are accepted"
            )
        return upload
