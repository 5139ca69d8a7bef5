"""The shipped letter templates that nobody edited take this version's text: the dates of
earlier letters as the language lists them (``reminder_dates``: "24.09.2026, 14.10.2026 und
03.11.2026"), German and French grammar that follows the number of letters, and the French
closing formula. A template an admin changed (its body differs from the one shipped) is
left as it is."""

import hashlib

from django.db import migrations

# sha256 of each body as the previous version shipped it (dunning/defaults/<language>/<code>.html
# without its two header lines)
SHIPPED_BEFORE = {
    ("de", "final_demand"): "b6e6663eca6d6f853ca9776fe847a04f323086b0544df3e3228b84a2ecde8ab3",
    ("de", "firm_reminder"): "41aad89829bcd8eada75de1e531cd65cb57611e968e8aedccb24c8c963b5da3b",
    ("de", "pre_agency"): "872d363ca042e55069b75c52b83e21d498ee943cad474c0b012077ec86444b3a",
    ("en", "final_demand"): "1b7760089190c25a3de36697a5d7ad91f9fe4d34e393b8e7e9f101e1b3f6bfc1",
    ("en", "firm_reminder"): "eec3bde0ea5ad05dc62524a2bd726572548e027896be832bfb6a357874a39f32",
    ("en", "pre_agency"): "e5b43360064355cbc7fbf0f9922a6a3ed6a320911cf48a2c922bbc666fc92c15",
    ("fr", "final_demand"): "5ed025867e593fd277403004304c1150978f7221e44d22ec8b73c1080c72ce21",
    ("fr", "firm_reminder"): "a41b2cbfe53ec8c61a37e3d7a5dae5ccb0ea7d8bac9bff4b7224daa251943ffd",
    ("fr", "friendly_reminder"): "be14f58e5da1cbe385a11179dbfe553a56c27f325ac1e893f319cffb3b379a4f",
    ("fr", "pre_agency"): "a5adda38aca949d20cea375669c69ae65f2193e9c180735581d8ca4dea05d3b8",
}


def take_new_defaults(apps, schema_editor):
    from dunning.defaults import HERE, read_default

    template_model = apps.get_model("dunning", "DunningTemplate")
    for (language, code), digest in SHIPPED_BEFORE.items():
        _name, _subject, body = read_default(HERE / language / f"{code}.html")
        for row in template_model.objects.filter(language=language, code=code):
            if hashlib.sha256(row.body.encode()).hexdigest() == digest:
                row.body = body
                row.save(update_fields=["body"])


class Migration(migrations.Migration):
    dependencies = [("dunning", "0004_compensation_in_line_currency")]

    operations = [migrations.RunPython(take_new_defaults, migrations.RunPython.noop)]
