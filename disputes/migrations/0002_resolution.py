"""When and how a dispute was resolved, for the dispute cycle time.

Disputes resolved before this migration get ``resolved_at`` from their ``dispute.resolve``
audit entry (the moment the service resolved them) and ``resolution`` from the text the
entry recorded; a resolved dispute without such an entry (made outside the service) gets
its ``opened_at``, a cycle of zero days, rather than an invented date. Then the CHECKs
are added: a resolved dispute has ``resolved_at``, an open one has none.
"""

from django.db import migrations, models

BACKFILL_FROM_AUDIT = """
UPDATE disputes_dispute d
SET resolved_at = GREATEST(a.created_at, d.opened_at),
    resolution = LEFT(COALESCE(a.after->>'resolution', ''), 500)
FROM (
    SELECT DISTINCT ON (object_id) object_id, created_at, after
    FROM accounts_auditentry
    WHERE object_type = 'disputes.dispute' AND action = 'dispute.resolve'
    ORDER BY object_id, created_at, id
) a
WHERE d.status = 'resolved' AND d.resolved_at IS NULL AND a.object_id = d.id::text
"""
BACKFILL_REST = """
UPDATE disputes_dispute SET resolved_at = opened_at
WHERE status = 'resolved' AND resolved_at IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_reference_data"),
        ("disputes", "0001_dispute"),
    ]

    operations = [
        migrations.AddField(
            model_name="dispute",
            name="resolution",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="dispute",
            name="resolved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(BACKFILL_FROM_AUDIT, migrations.RunSQL.noop),
        migrations.RunSQL(BACKFILL_REST, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="dispute",
            index=models.Index(
                condition=models.Q(("resolved_at__isnull", False)),
                fields=["resolved_at"],
                name="dispute_resolved_at",
            ),
        ),
        migrations.AddConstraint(
            model_name="dispute",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("resolved_at__isnull", False), ("status", "resolved")),
                    models.Q(
                        models.Q(("status", "resolved"), _negated=True),
                        ("resolved_at__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="dispute_resolved_at_iff_resolved",
            ),
        ),
        migrations.AddConstraint(
            model_name="dispute",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("resolved_at__isnull", True),
                    ("resolved_at__gte", models.F("opened_at")),
                    _connector="OR",
                ),
                name="dispute_resolved_after_opened",
            ),
        ),
    ]
