"""Queue buckets named as in accounts/buckets.py (placeholder, filled by the bucket change)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [('collections_app', '0006_dunning_moves_out')]

    operations = []
