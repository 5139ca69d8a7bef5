"""A timeline kind for the account's contact details: contacts added or changed, the
billing address traced to a new place (collections_app/services/contacts.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0010_queue_sums_wide_enough"),
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
                    ("details", "Contact details"),
                ],
                max_length=20,
            ),
        ),
    ]
