"""The queue keeps its own copy of the credit risk class ('' until the nightly risk score
sends one: credit sits above this app, so nothing here reads credit's table)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_contact_do_not_contact"),
        ("collections_app", "0012_follow_up_of_escalation"),
    ]

    operations = [
        migrations.AddField(
            model_name="queuestate",
            name="risk_class",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Not scored"),
                    ("low", "Low"),
                    ("medium", "Medium"),
                    ("high", "High"),
                ],
                default="",
                max_length=6,
            ),
        ),
        migrations.AddConstraint(
            model_name="queuestate",
            constraint=models.CheckConstraint(
                condition=models.Q(("risk_class__in", ["", "low", "medium", "high"])),
                name="queue_risk_class_known",
            ),
        ),
    ]
