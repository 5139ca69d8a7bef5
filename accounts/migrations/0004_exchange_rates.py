"""Exchange rates through services (placeholder)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [('accounts', '0003_customer_billing_address')]

    operations = []
