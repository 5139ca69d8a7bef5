"""A timeline kind for credit decisions (status, limit, requests), written by ``credit``."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0008_one_open_escalation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="activity",
            name="kind",
            field=models.CharField(
                choices=[
                    ("call", "Call"),
                    ("email", "E-mail"),
                    ("letter", "Letter"),
                    ("note", "Note"),
                    ("promise", "Promise to pay"),
                    ("dispute", "Dispute"),
                    ("escalation", "Escalation"),
                    ("follow_up", "Follow-up"),
                    ("payment", "Payment"),
                    ("system", "System event"),
                    ("credit", "Credit decision"),
                ],
                max_length=20,
            ),
        ),
    ]
