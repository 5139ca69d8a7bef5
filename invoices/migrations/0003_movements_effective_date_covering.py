"""Covering indexes for aging as of a past date (reporting/aging.py, the "forward" form).

That form sums every application and adjustment effective on or before ``as_of`` per
invoice; with ``(effective_date) INCLUDE (invoice_id, amount)`` PostgreSQL reads the
index alone instead of the whole heap. Raw SQL rather than ``AddIndex`` because the
indexes are a reporting concern and ``invoices/models.py`` stays owned by the ledger;
the state of the models is unchanged, so ``makemigrations`` sees nothing to do.
"""

from django.db import migrations

INDEXES = {
    "invoices_application": "invoices_application_effective_cover",
    "invoices_adjustment": "invoices_adjustment_effective_cover",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} (effective_date) "
            "INCLUDE (invoice_id, amount)"
        )
        schema_editor.execute(f"ANALYZE {table}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES.values():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("invoices", "0002_applications_append_only")]

    operations = [migrations.RunPython(forwards, backwards)]
