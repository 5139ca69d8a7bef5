"""Applications and adjustments are append-only: the database refuses UPDATE and DELETE."""

from django.db import migrations

TABLES = ["invoices_application", "invoices_adjustment"]

FORWARDS = [
    f"""
    CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION '{table} is append-only: write a reversal instead'
        USING ERRCODE = 'integrity_constraint_violation';
    END $$ LANGUAGE plpgsql;
    CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
      FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
    """
    for table in TABLES
]
BACKWARDS = [
    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
    f"DROP FUNCTION IF EXISTS {table}_append_only();"
    for table in TABLES
]


class Migration(migrations.Migration):
    dependencies = [("invoices", "0001_initial")]
    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
