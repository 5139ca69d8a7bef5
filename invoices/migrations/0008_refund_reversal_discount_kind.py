"""Refunds become append-only with reversals (a negative row that ``reverses`` one, once);
the database refuses UPDATE and DELETE of a refund as it does for applications and
adjustments (0002). Adjustments get the kind ``discount`` (an early-payment discount taken
within terms) and a CHECK that their kind is one the ledger knows."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "invoices_refund"
APPEND_ONLY = f"""
CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '{TABLE} is append-only: write a reversal instead'
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
  FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only();
"""
APPEND_ONLY_UNDONE = (
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};"
    f"DROP FUNCTION IF EXISTS {TABLE}_append_only();"
)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_contact_do_not_contact"),
        ("invoices", "0007_refunds_and_contra"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="refund",
            name="refund_amount_positive",
        ),
        migrations.AddField(
            model_name="refund",
            name="reverses",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reversed_by",
                to="invoices.refund",
            ),
        ),
        migrations.AlterField(
            model_name="adjustment",
            name="kind",
            field=models.CharField(
                choices=[
                    ("write_off", "Write-off (bad debt)"),
                    ("small_balance", "Small-balance write-off"),
                    ("contra", "Contra against our payables"),
                    ("discount", "Early-payment discount"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="adjustment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("kind__in", ["write_off", "small_balance", "contra", "discount"])
                ),
                name="adjustment_kind_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("reverses__isnull", True), ("amount__gt", 0)),
                    models.Q(("reverses__isnull", False), ("amount__lt", 0)),
                    _connector="OR",
                ),
                name="refund_positive_or_reversal_negative",
            ),
        ),
        migrations.RunSQL(APPEND_ONLY, APPEND_ONLY_UNDONE),
    ]
