"""The default dunning policy the issue ships with, and its templates in English, German and
French.

Template bodies live beside this file in <language>/<code>.html; their first two lines name
the template and its subject. Called by data migration 0005 (with historical models) and by
the post_migrate hook (a test database flush empties the tables; this puts the rows back).
Rows that exist are left as they are: admins edit them.
"""

from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent

# An invoice climbs one level at a time: the days past due make it eligible, the previous
# level must have been sent, and the gap gives the customer the time the last letter
# promised (the firm reminder and the final demand each give 7 days). Minimums are in the
# reporting currency: per invoice (a 4.95 balance never escalates an account) and for the
# letter's total.
LEVELS = [
    # number, name, days past due, channel, template, minimum days since previous, escalation,
    # minimum per invoice, minimum total
    (1, "Friendly reminder", 1, "email", "friendly_reminder", 0, "none", "10.00", "20.00"),
    (2, "Firm reminder", 15, "email", "firm_reminder", 10, "none", "10.00", "20.00"),
    (3, "Final demand", 30, "letter", "final_demand", 10, "notify_manager", "25.00", "100.00"),
    (4, "Pre-agency notice", 60, "letter", "pre_agency", 14, "agency", "50.00", "250.00"),
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
    # A historical model (migration 0005 of collections_app) may predate later fields.
    known = {f.name for f in level_model._meta.get_fields()}
    for number, name, days, channel, template, gap, action, per_invoice, total in LEVELS:
        fields = {
            "policy": policy,
            "number": number,
            "name": name,
            "days_past_due": days,
            "channel": channel,
            "template_code": template,
            "minimum_overdue_amount": Decimal(total),
            "minimum_invoice_amount": Decimal(per_invoice),
            "minimum_days_since_previous": gap,
            "escalation_action": action,
        }
        level_model.objects.create(**{k: v for k, v in fields.items() if k in known})
