"""Invoice.first_movement_date / last_movement_date: bounds on its movements' effective dates.

Back-filled here from the applications and adjustments already written (the exact minimum
and maximum); from now on the ledger services widen them under the invoice's row lock.
``ledger_discrepancies()`` re-checks them nightly.
"""

from django.db import migrations, models

BACKFILL = """
UPDATE invoices_invoice
SET first_movement_date = m.first_date, last_movement_date = m.last_date
FROM (
    SELECT invoice_id, MIN(effective_date) AS first_date, MAX(effective_date) AS last_date
    FROM (
        SELECT invoice_id, effective_date FROM invoices_application
        UNION ALL
        SELECT invoice_id, effective_date FROM invoices_adjustment
    ) moves
    GROUP BY invoice_id
) m
WHERE m.invoice_id = invoices_invoice.id
"""


def backfill(apps, schema_editor):
    schema_editor.execute(BACKFILL)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE invoices_invoice")


class Migration(migrations.Migration):
    dependencies = [("invoices", "0003_movements_effective_date_covering")]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="first_movement_date",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="invoice",
            name="last_movement_date",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("first_movement_date__isnull", True), ("last_movement_date__isnull", True)
                )
                | models.Q(
                    ("first_movement_date__isnull", False),
                    ("first_movement_date__lte", models.F("last_movement_date")),
                    ("last_movement_date__isnull", False),
                ),
                name="invoice_movement_dates_ordered",
            ),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("open_amount", 0)),
                fields=["last_movement_date", "issue_date"],
                name="invoice_settled_by_last_move",
            ),
        ),
    ]
