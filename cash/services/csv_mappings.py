"""Finance saves how a bank's CSV export reads, once per bank; every upload of that bank's
files is then read with it."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.forms.models import model_to_dict

from accounts.audit import audit_record
from accounts.errors import ServiceError

from ..models import BankCsvMapping


def csv_mapping_save(*, actor, mapping: BankCsvMapping) -> BankCsvMapping:
    """Create or change a mapping (a form's unsaved instance), audited with before/after."""
    if not mapping.currency_id and not mapping.currency_column.strip():
        raise ServiceError(
            "name the currency column, or the one currency of the files", field="currency"
        )
    try:
        datetime.date(2026, 3, 2).strftime(mapping.date_format)
        datetime.datetime.strptime(
            datetime.date(2026, 3, 2).strftime(mapping.date_format), mapping.date_format
        )
    except ValueError:
        raise ServiceError(
            f"{mapping.date_format!r} is not a date format", field="date_format"
        ) from None
    with transaction.atomic():
        before = None
        if mapping.pk:
            before = {
                k: str(v)
                for k, v in model_to_dict(
                    BankCsvMapping.objects.select_for_update().get(pk=mapping.pk)
                ).items()
            }
        mapping.save()
        audit_record(
            actor=actor,
            action="csv_mapping.save",
            instance=mapping,
            before=before,
            after={k: str(v) for k, v in model_to_dict(mapping).items()},
        )
    return mapping
