"""The five role groups (accounts/roles.py), created with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from accounts.roles import sync_role_groups


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0002_reference_data"),
        ("invoices", "0002_applications_append_only"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
