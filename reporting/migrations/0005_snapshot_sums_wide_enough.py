"""Snapshot sums wide enough for many amounts at settings.AMOUNT_MAX at any stored rate."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0004_collector_snapshot"),
    ]

    operations = [
        migrations.AlterField(
            model_name="arsnapshot",
            name="cash_collected",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="arsnapshot",
            name="credit_sales",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="arsnapshot",
            name="current",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="arsnapshot",
            name="days_1_30",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="arsnapshot",
            name="days_31_60",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="arsnapshot",
            name="days_61_90",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="arsnapshot",
            name="days_91_120",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="arsnapshot",
            name="over_120",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="arsnapshot",
            name="total",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="collectorsnapshot",
            name="cash_collected",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="collectorsnapshot",
            name="credit_sales",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="collectorsnapshot",
            name="current",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="collectorsnapshot",
            name="days_1_30",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="collectorsnapshot",
            name="days_31_60",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="collectorsnapshot",
            name="days_61_90",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="collectorsnapshot",
            name="days_91_120",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="collectorsnapshot",
            name="over_120",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name="collectorsnapshot",
            name="total",
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
    ]
