"""The default dunning policy the issue ships with, and its templates in English and German.

Template bodies live in collections_app/dunning/defaults/<language>/<code>.html; their first
two lines name the template and its subject.
"""

from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "dunning" / "defaults"

LEVELS = [
    # number, name, days past due, channel, template, minimum days since previous, escalation
    (1, "Friendly reminder", 1, "email", "friendly_reminder", 0, "none"),
    (2, "Firm reminder", 15, "email", "firm_reminder", 7, "none"),
    (3, "Final demand", 30, "letter", "final_demand", 7, "notify_manager"),
    (4, "Pre-agency notice", 60, "letter", "pre_agency", 14, "agency"),
]


def read_default(path: Path) -> tuple[str, str, str]:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    name = lines[0].removeprefix("{# name: ").removesuffix(" #}\n")
    subject = lines[1].removeprefix("{# subject: ").removesuffix(" #}\n")
    return name, subject, "".join(lines[2:])


def create_defaults(apps, schema_editor):
    Policy = apps.get_model("collections_app", "DunningPolicy")
    Level = apps.get_model("collections_app", "DunningLevel")
    Template = apps.get_model("collections_app", "DunningTemplate")
    for language_dir in sorted(DEFAULTS.iterdir()):
        for path in sorted(language_dir.glob("*.html")):
            name, subject, body = read_default(path)
            Template.objects.get_or_create(
                code=path.stem,
                language=language_dir.name,
                defaults={"name": name, "subject": subject, "body": body},
            )
    policy, created = Policy.objects.get_or_create(name="Standard", defaults={"is_default": True})
    if created:
        for number, name, days, channel, template, gap, action in LEVELS:
            Level.objects.create(
                policy=policy,
                number=number,
                name=name,
                days_past_due=days,
                channel=channel,
                template_code=template,
                minimum_overdue_amount=10,
                minimum_days_since_previous=gap,
                escalation_action=action,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_customer_billing_address"),
        ("collections_app", "0004_dunning"),
    ]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
