"""Letters and e-mails from editable templates, rendered in a sandbox, and their PDFs.

Admins edit templates in the app, so a template must not reach anything but the context we
hand it: a separate template Engine with no loaders ({% include %} / {% extends %} find
nothing), no tag libraries to {% load %}, and a context of plain dicts and strings — no model
instances whose managers or methods a template could walk to other customers' data.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.templatetags.money import money

from ..models import DunningCommunication, DunningTemplate

MAX_TEMPLATE_CHARS = 50_000

_ENGINE = Engine(loaders=[], libraries={}, autoescape=True, debug=False, string_if_invalid="")


def compile_template(source: str, *, field: str = "body"):
    """The sandboxed template, or a ServiceError naming the line that does not compile."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise ServiceError(f"a template is at most {MAX_TEMPLATE_CHARS} characters", field=field)
    try:
        return _ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        raise ServiceError(f"template error: {exc}", field=field) from None


def render_source(source: str, context: dict, *, field: str = "body") -> str:
    try:
        return compile_template(source, field=field).render(Context(context))
    except ServiceError:
        raise
    except Exception as exc:  # a filter fed the wrong type, an include that finds nothing
        raise ServiceError(f"template error: {exc}", field=field) from None


def template_for(code: str, language: str) -> DunningTemplate:
    """The template in the customer's language, else the default language, else any."""
    variants = {t.language: t for t in DunningTemplate.objects.filter(code=code)}
    for wanted in (language, settings.DUNNING_LANGUAGE, "en"):
        if wanted in variants:
            return variants[wanted]
    if variants:
        return variants[sorted(variants)[0]]
    raise ServiceError(f"no dunning template {code!r}", field="template_code")


def letterhead() -> dict:
    return {
        "name": settings.COMPANY_NAME,
        "address_lines": settings.COMPANY_ADDRESS.replace("\\n", "\n").splitlines(),
        "email": settings.COMPANY_EMAIL,
        "phone": settings.COMPANY_PHONE,
        "bank_details": settings.COMPANY_BANK_DETAILS,
    }


def sandbox_context(
    *,
    customer,
    contact,
    level,
    lines: list[dict],
    as_of: datetime.date,
) -> dict:
    """What a template may use; every value is a plain dict, list, string or date.

    ``lines``: dicts with number, issue_date, due_date, days_past_due, currency, open_amount.
    """
    groups: dict[str, dict] = defaultdict(lambda: {"invoices": [], "sum": Decimal(0)})
    for line in lines:
        group = groups[line["currency"]]
        group["invoices"].append(
            {
                "number": line["number"],
                "issue_date": line["issue_date"],
                "due_date": line["due_date"],
                "days_past_due": line["days_past_due"],
                "open_amount": money(line["open_amount"]),
                "level": line.get("level_number", ""),
            }
        )
        group["sum"] += line["open_amount"]
    currencies = [
        {"currency": code, "invoices": g["invoices"], "total": money(g["sum"])}
        for code, g in sorted(groups.items())
    ]
    return {
        "company": letterhead(),
        "customer": {
            "name": customer.name,
            "external_ref": customer.external_ref,
            "address_lines": customer.billing_address.splitlines(),
        },
        "contact": {"name": contact.name, "email": contact.email} if contact else None,
        "level": {"number": level.number, "name": level.name},
        "as_of": as_of,
        "groups": currencies,
        "totals": [{"currency": g["currency"], "total": g["total"]} for g in currencies],
        "invoice_count": len(lines),
    }


def communication_lines(comm: DunningCommunication) -> list[dict]:
    rows = comm.lines.order_by("currency_id", "invoice__due_date", "invoice_id").values_list(
        "currency_id",
        "invoice__number",
        "invoice__issue_date",
        "invoice__due_date",
        "days_past_due",
        "open_amount",
        "level_number",
    )
    keys = (
        "currency",
        "number",
        "issue_date",
        "due_date",
        "days_past_due",
        "open_amount",
        "level_number",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]


def communication_context(comm: DunningCommunication) -> dict:
    return sandbox_context(
        customer=comm.customer,
        contact=comm.contact,
        level=comm.level,
        lines=communication_lines(comm),
        as_of=comm.run.as_of,
    )


def render_letter(template: DunningTemplate, context: dict) -> tuple[str, str]:
    """(subject, HTML body) of a template for a context."""
    subject = render_source(template.subject, context, field="subject")
    body = render_source(template.body, context, field="body")
    return " ".join(subject.split()), body


def letter_html(*, subject: str, body: str, context: dict) -> str:
    return render_to_string(
        "collections_app/dunning/letter_pdf.html",
        {**context, "subject": subject, "body": body, "printed_on": timezone.localdate()},
    )


def pdf_from_html(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def letter_pdf(*, subject: str, body: str, context: dict) -> bytes:
    return pdf_from_html(letter_html(subject=subject, body=body, context=context))
