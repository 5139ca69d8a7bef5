"""Levels one at a time, minimums per level (placeholder)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [('dunning', '0002_communication_transitions')]

    operations = []
