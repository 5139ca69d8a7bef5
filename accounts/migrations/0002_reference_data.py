"""Currencies most B2B ledgers meet, and the usual net terms."""

from django.db import migrations

from accounts.reference_data import ensure_reference_data


def forwards(apps, schema_editor):
    ensure_reference_data(apps.get_model("accounts", "Currency"), apps.get_model("accounts", "PaymentTerms"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
