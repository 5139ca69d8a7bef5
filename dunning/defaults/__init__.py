"""The default dunning policy the issue ships with, and its templates in English and German.

Template bodies live beside this file in <language>/<code>.html; their first two lines name
the template and its subject. Called by data migration 0005 (with historical models) and by
the post_migrate hook (a test database flush empties the tables; this puts the rows back).
Rows that exist are left as they are: admins edit them.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent

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


def ensure_dunning_defaults(template_model, policy_model, level_model) -> None:
    for language_dir in sorted(p for p in HERE.iterdir() if p.is_dir() and p.name != "__pycache__"):
        for path in sorted(language_dir.glob("*.html")):
            name, subject, body = read_default(path)
            template_model.objects.get_or_create(
                code=path.stem,
                language=language_dir.name,
                defaults={"name": name, "subject": subject, "body": body},
            )
    if policy_model.objects.exists():
        return
    policy = policy_model.objects.create(name="Standard", is_default=True)
    for number, name, days, channel, template, gap, action in LEVELS:
        level_model.objects.create(
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
