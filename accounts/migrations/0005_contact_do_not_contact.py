from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_exchange_rates"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="do_not_contact",
            field=models.BooleanField(default=False),
        ),
    ]
