"""A follow-up knows the escalation it was created for, so resolving the escalation closes
it; the open ones created before are linked by their customer, assignee and note."""

import django.db.models.deletion
from django.db import migrations, models


def link_open_escalation_follow_ups(apps, schema_editor):
    Escalation = apps.get_model("collections_app", "Escalation")
    FollowUp = apps.get_model("collections_app", "FollowUp")
    for escalation in Escalation.objects.filter(status="open").order_by("pk"):
        follow_up = (
            FollowUp.objects.filter(
                customer_id=escalation.customer_id,
                assigned_to_id=escalation.assigned_to_id,
                status="open",
                escalation__isnull=True,
                note__startswith="Escalation: ",
            )
            .order_by("pk")
            .first()
        )
        if follow_up is not None:
            follow_up.escalation = escalation
            follow_up.save(update_fields=["escalation"])


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0011_activity_kind_contact_details"),
    ]

    operations = [
        migrations.AddField(
            model_name="followup",
            name="escalation",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="follow_up",
                to="collections_app.escalation",
            ),
        ),
        migrations.RunPython(link_open_escalation_follow_ups, migrations.RunPython.noop),
    ]
