"""Communication status moves only along its transition table (placeholder)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [('dunning', '0001_initial')]

    operations = []
