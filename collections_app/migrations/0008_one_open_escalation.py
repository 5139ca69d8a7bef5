"""At most one open escalation per customer: a partial unique index.

A database that already holds duplicates (a collector's click and a dunning worker that
raced before the index existed) keeps each customer's oldest open escalation; the later
ones are resolved as duplicates of it, on the timeline and in the audit trail, so the
index can be built.
"""

from django.db import migrations, models
from django.utils import timezone

RESOLUTION = "Resolved as a duplicate of escalation #{keep} (one open escalation per customer)"


def resolve_duplicates(apps, schema_editor):
    Escalation = apps.get_model("collections_app", "Escalation")
    Activity = apps.get_model("collections_app", "Activity")
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    open_rows = (
        Escalation.objects.filter(status="open")
        .order_by("customer_id", "raised_at", "id")
        .values_list("pk", "customer_id")
    )
    kept: dict[int, int] = {}
    now = timezone.now()
    for pk, customer_id in open_rows:
        if customer_id not in kept:
            kept[customer_id] = pk
            continue
        resolution = RESOLUTION.format(keep=kept[customer_id])
        Escalation.objects.filter(pk=pk).update(status="resolved")
        Activity.objects.create(
            customer_id=customer_id,
            kind="escalation",
            summary="Escalation resolved",
            note=resolution,
            occurred_at=now,
        )
        AuditEntry.objects.create(
            action="escalation.resolve",
            object_type="collections_app.escalation",
            object_id=str(pk),
            before={"status": "open"},
            after={"status": "resolved", "resolution": resolution},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("collections_app", "0007_buckets_from_accounts"),
    ]

    operations = [
        migrations.RunPython(resolve_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="escalation",
            constraint=models.UniqueConstraint(
                condition=models.Q(status="open"),
                fields=("customer",),
                name="one_open_escalation_per_customer",
            ),
        ),
    ]
