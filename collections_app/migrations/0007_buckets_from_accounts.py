"""Queue buckets named as in accounts/buckets.py, and the currencies a queue row left out.

"91+" splits by the stored days: 91-120 days is "91_120", more is "over_120". The reverse
folds them back so the migration can be unapplied.
"""

import django.contrib.postgres.fields
from django.db import migrations, models

FORWARD = {"1-30": "1_30", "31-60": "31_60", "61-90": "61_90"}


def to_account_buckets(apps, schema_editor):
    QueueState = apps.get_model("collections_app", "QueueState")
    for old, new in FORWARD.items():
        QueueState.objects.filter(oldest_bucket=old).update(oldest_bucket=new)
    ninety = QueueState.objects.filter(oldest_bucket="91+")
    ninety.filter(oldest_days_past_due__lte=120).update(oldest_bucket="91_120")
    ninety.filter(oldest_days_past_due__gt=120).update(oldest_bucket="over_120")


def to_queue_buckets(apps, schema_editor):
    QueueState = apps.get_model("collections_app", "QueueState")
    for old, new in FORWARD.items():
        QueueState.objects.filter(oldest_bucket=new).update(oldest_bucket=old)
    QueueState.objects.filter(oldest_bucket__in=["91_120", "over_120"]).update(oldest_bucket="91+")


class Migration(migrations.Migration):
    dependencies = [("collections_app", "0006_dunning_moves_out")]

    operations = [
        migrations.AlterField(
            model_name="queuestate",
            name="oldest_bucket",
            field=models.CharField(
                choices=[
                    ("current", "Current"),
                    ("1_30", "1\u201330"),
                    ("31_60", "31\u201360"),
                    ("61_90", "61\u201390"),
                    ("91_120", "91\u2013120"),
                    ("over_120", "Over 120"),
                ],
                default="current",
                max_length=10,
            ),
        ),
        migrations.RunPython(to_account_buckets, to_queue_buckets, elidable=False),
        migrations.AddField(
            model_name="queuestate",
            name="missing_rates",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=3), blank=True, default=list, size=None
            ),
        ),
    ]
