"""Currencies most B2B ledgers meet, and the usual net terms."""

from django.db import migrations

CURRENCIES = [
    ("USD", "US dollar"),
    ("EUR", "Euro"),
    ("GBP", "Pound sterling"),
    ("CAD", "Canadian dollar"),
    ("AUD", "Australian dollar"),
    ("CHF", "Swiss franc"),
    ("JPY", "Japanese yen"),
    ("MXN", "Mexican peso"),
    ("SEK", "Swedish krona"),
    ("NZD", "New Zealand dollar"),
]
NET_DAYS = [0, 10, 15, 30, 45, 60, 90]


def forwards(apps, schema_editor):
    Currency = apps.get_model("accounts", "Currency")
    PaymentTerms = apps.get_model("accounts", "PaymentTerms")
    for code, name in CURRENCIES:
        Currency.objects.get_or_create(
            code=code, defaults={"name": name, "decimal_places": 0 if code == "JPY" else 2}
        )
    for days in NET_DAYS:
        PaymentTerms.objects.get_or_create(
            net_days=days,
            defaults={
                "code": "DUE" if days == 0 else f"NET{days}",
                "name": "Due on receipt" if days == 0 else f"Net {days}",
            },
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
