"""At most one open escalation per customer (placeholder)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [('collections_app', '0007_buckets_from_accounts')]

    operations = []
