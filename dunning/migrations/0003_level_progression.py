"""Levels one at a time, minimums per invoice and per level, the collector's work respected,
interest and compensation shown on letters (docs/dunning.md).

- ``InvoiceDunningStep``: each level actually sent for an invoice, and when; filled here
  from the communications already sent, so the next level and the letters rely only on
  what really went out.
- The default policy ("Standard") gets the per-invoice minimums, totals and gaps of
  ``dunning/defaults`` where its levels still have the values shipped before.
"""

from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

OLD_GAPS = {1: 0, 2: 7, 3: 7, 4: 14}


def backfill_steps(apps, schema_editor):
    line_model = apps.get_model("dunning", "DunningLine")
    step_model = apps.get_model("dunning", "InvoiceDunningStep")
    moved = (
        line_model.objects.filter(
            communication__status="sent", level_number__gt=models.F("previous_level_number")
        )
        .order_by("communication__run__as_of", "pk")
        .values_list("invoice_id", "level_number", "communication__run__as_of", "communication_id")
    )
    step_model.objects.bulk_create(
        [
            step_model(
                invoice_id=invoice_id,
                level_number=level,
                sent_on=as_of,
                source="sent",
                communication_id=comm_id,
            )
            for invoice_id, level, as_of, comm_id in moved
        ],
        ignore_conflicts=True,
        batch_size=5000,
    )


def update_default_policy(apps, schema_editor):
    from dunning.defaults import LEVELS

    level_model = apps.get_model("dunning", "DunningLevel")
    for number, _name, _days, _ch, _tpl, gap, _action, per_invoice, total in LEVELS:
        standard = level_model.objects.filter(
            policy__is_default=True, policy__name="Standard", number=number
        )
        standard.filter(minimum_invoice_amount=0).update(
            minimum_invoice_amount=Decimal(per_invoice)
        )
        standard.filter(minimum_overdue_amount=Decimal("10.00")).update(
            minimum_overdue_amount=Decimal(total)
        )
        standard.filter(minimum_days_since_previous=OLD_GAPS.get(number, -1)).update(
            minimum_days_since_previous=gap
        )


class Migration(migrations.Migration):
    dependencies = [
        ("dunning", "0002_communication_transitions"),
        ("invoices", "0004_invoice_movement_dates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="InvoiceDunningStep",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("level_number", models.PositiveSmallIntegerField()),
                ("sent_on", models.DateField()),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("sent", "Sent by a dunning run"),
                            ("imported", "Recorded from earlier history"),
                        ],
                        max_length=10,
                    ),
                ),
                ("recorded_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "communication",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="dunning.dunningcommunication",
                    ),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="dunning_steps",
                        to="invoices.invoice",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["invoice", "level_number"]},
        ),
        migrations.AddConstraint(
            model_name="invoicedunningstep",
            constraint=models.UniqueConstraint(
                fields=("invoice", "level_number"), name="invoice_dunning_step_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoicedunningstep",
            constraint=models.CheckConstraint(
                condition=models.Q(("level_number__gte", 1)), name="dunning_step_from_one"
            ),
        ),
        migrations.AddField(
            model_name="dunninglevel",
            name="minimum_invoice_amount",
            field=models.DecimalField(
                decimal_places=2,
                default=0,
                help_text="An invoice reaches this level only when its open amount, converted "
                "to the reporting currency, is at least this much.",
                max_digits=18,
            ),
        ),
        migrations.AddConstraint(
            model_name="dunninglevel",
            constraint=models.CheckConstraint(
                condition=models.Q(("minimum_invoice_amount__gte", 0)),
                name="dunning_level_invoice_minimum_positive",
            ),
        ),
        migrations.AddField(
            model_name="dunningline",
            name="compensation_amount",
            field=models.DecimalField(
                decimal_places=2,
                default=0,
                help_text="Fixed compensation in EUR (Directive 2011/7/EU, art. 6).",
                max_digits=18,
            ),
        ),
        migrations.AddField(
            model_name="dunningline",
            name="informational",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="dunningline",
            name="interest_amount",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=18),
        ),
        migrations.AddField(
            model_name="dunningline",
            name="interest_rate",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True),
        ),
        migrations.AddField(
            model_name="dunningpolicy",
            name="catch_up",
            field=models.BooleanField(
                default=False,
                help_text="Start an invoice at the highest level its age allows, skipping "
                "levels never sent. Off: every invoice starts at level 1 and climbs one level "
                "at a time.",
            ),
        ),
        migrations.AddField(
            model_name="dunningpolicy",
            name="compensation_enabled",
            field=models.BooleanField(
                default=False, help_text="Show the fixed 40 EUR compensation per overdue invoice."
            ),
        ),
        migrations.AddField(
            model_name="dunningpolicy",
            name="interest_enabled",
            field=models.BooleanField(
                default=False, help_text="Show late-payment interest (reference rate + 8 points)."
            ),
        ),
        migrations.AddField(
            model_name="dunningpolicy",
            name="interest_reference_rate",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="ECB reference rate in percent; empty: "
                "settings.DUNNING_INTEREST_REFERENCE_RATE.",
                max_digits=5,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="dunningskip",
            name="reason",
            field=models.CharField(
                choices=[
                    ("disputed", "Invoice in dispute"),
                    ("promise", "Promise to pay not yet due, or kept lately"),
                    ("payment_plan", "Payment plan on schedule"),
                    ("recent_contact", "Contacted by a person lately"),
                    ("escalation", "Open escalation with the credit manager"),
                    ("customer_stop", "Dunning stop on the customer"),
                    ("invoice_stop", "Dunning stop on the invoice"),
                    ("do_not_contact", "Do not contact"),
                    ("below_minimum", "Below the level's minimum amount"),
                    ("no_address", "No contact address for the channel"),
                    ("too_soon", "Too soon since the previous level"),
                    ("no_rate", "No exchange rate to compare with the minimum"),
                    ("in_other_run", "In another run not yet finished"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(backfill_steps, migrations.RunPython.noop),
        migrations.RunPython(update_default_policy, migrations.RunPython.noop),
    ]
