"""Queue sums wide enough for many amounts at settings.AMOUNT_MAX at any stored rate."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0009_credit_activity_kinds"),
    ]

    operations = [
        migrations.AlterField(
            model_name="queuestate",
            name="broken_promise_amount",
            field=models.DecimalField(blank=True, null=True, decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="queuestate",
            name="disputed_amount",
            field=models.DecimalField(default=0, decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="queuestate",
            name="open_amount",
            field=models.DecimalField(default=0, decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="queuestate",
            name="over_60_amount",
            field=models.DecimalField(default=0, decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="queuestate",
            name="overdue_amount",
            field=models.DecimalField(default=0, decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="queuestate",
            name="plan_next_amount",
            field=models.DecimalField(blank=True, null=True, decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="queuestate",
            name="promise_due_today_amount",
            field=models.DecimalField(blank=True, null=True, decimal_places=2, max_digits=30),
        ),
    ]
