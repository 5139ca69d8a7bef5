"""The default dunning policy and its templates (dunning/defaults/)."""

from django.db import migrations

from dunning.defaults import ensure_dunning_defaults


def create_defaults(apps, schema_editor):
    ensure_dunning_defaults(
        apps.get_model("collections_app", "DunningTemplate"),
        apps.get_model("collections_app", "DunningPolicy"),
        apps.get_model("collections_app", "DunningLevel"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_customer_billing_address"),
        ("collections_app", "0004_dunning"),
    ]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
