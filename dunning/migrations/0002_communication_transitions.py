"""Communication status moves only along its transition table: a trigger refuses any other
UPDATE of ``status``, whoever writes it (a service, a shell, a bulk UPDATE).

The pairs are ``COMMUNICATION_TRANSITIONS`` in dunning/models.py as of this migration;
tests/dunning/test_communication_transitions.py checks the two agree. A change to the table
needs a migration that replaces the function.
"""

from django.db import migrations

TABLE = "dunning_dunningcommunication"

ALLOWED = [
    ("planned", "queued"),
    ("planned", "cancelled"),
    ("queued", "sending"),
    ("queued", "sent"),
    ("queued", "failed"),
    ("sending", "sent"),
    ("sending", "failed"),
    ("sending", "queued"),
    ("sending", "sending"),  # another attempt; the trigger only looks at real changes
    ("failed", "queued"),
]

_pairs = ", ".join(f"('{a}', '{b}')" for a, b in ALLOWED)

FORWARDS = [
    f"""
CREATE OR REPLACE FUNCTION {TABLE}_status_move() RETURNS trigger AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM (VALUES {_pairs}) AS allowed(from_status, to_status)
    WHERE from_status = OLD.status AND to_status = NEW.status
  ) THEN
    RAISE EXCEPTION 'a dunning communication cannot move from % to %', OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql
""",
    f"""
CREATE TRIGGER {TABLE}_status_move BEFORE UPDATE OF status ON {TABLE}
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION {TABLE}_status_move()
""",
]

BACKWARDS = [
    f"DROP TRIGGER IF EXISTS {TABLE}_status_move ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_status_move()",
]


class Migration(migrations.Migration):
    dependencies = [("dunning", "0001_initial")]

    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
