"""Letters and e-mails from editable templates, rendered in a sandbox, and their PDFs.

Admins edit templates in the app, so a template must not reach anything but the context we
hand it: a separate template Engine with no loaders and without the tags that reach beyond
the template ({% include %}, {% extends %}, {% load %}, {% debug %}, {% url %}); no
``safe``/``autoescape off``, so a customer's name imported from the ERP never becomes markup;
a context of plain dicts and strings — no model instances whose managers or methods a
template could walk to other customers' data; and WeasyPrint fetches nothing but data: URLs,
so ``<img src="file:///…">`` or an attachment link cannot pull a server file into a PDF.
"""

from __future__ import annotations

import contextvars
import datetime
import re
import time
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

import css_inline
from babel.lists import format_list
from babel.numbers import parse_decimal
from django.conf import settings
from django.template import Context, Engine, Library, Node, TemplateSyntaxError, defaultfilters
from django.template.defaulttags import do_for
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.buckets import BUCKETS, bucket_of
from accounts.errors import ServiceError
from accounts.locale_format import active_locale, format_amount, format_day
from accounts.models import Customer
from accounts.pdf import pdf_from_html
from accounts.templatetags import locale_format
from invoices.models import Invoice
from invoices.statements import bucket_headings, letterhead, terms_text

from .models import DunningCommunication, DunningLevel, DunningTemplate, InvoiceDunningStep
from .plain_text import html_to_text

MAX_TEMPLATE_CHARS = 50_000
# A letter loops over a few hundred invoices; an editor's nested loops must not tie up a
# worker (or the preview's request) for minutes.
MAX_LOOP_ITERATIONS = 100_000
MAX_RENDER_SECONDS = 2.0
MAX_PADDING = 1_000

FORBIDDEN_TAGS = ("include", "extends", "load", "debug", "url", "autoescape")
FORBIDDEN_FILTERS = ("safe", "safeseq")


class RenderTooLong(Exception):
    pass


class _Budget:
    def __init__(self) -> None:
        self.iterations = 0
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS

    def spend(self) -> None:
        self.iterations += 1
        if self.iterations > MAX_LOOP_ITERATIONS:
            raise RenderTooLong(
                f"the template takes too long to render: its loops ran more than "
                f"{MAX_LOOP_ITERATIONS:,} times"
            )
        if self.iterations % 256 == 0 and time.monotonic() > self.deadline:
            raise RenderTooLong(
                f"the template takes too long to render (more than {MAX_RENDER_SECONDS:g} s)"
            )


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "dunning_template_budget", default=None
)


class _LoopTick(Node):
    """First node of every loop body in the sandbox: each pass spends from the budget."""

    def render(self, context):
        budget = _BUDGET.get()
        if budget is not None:
            budget.spend()
        return ""


def _bounded_for(parser, token):
    node = do_for(parser, token)
    tick = _LoopTick()
    tick.token, tick.origin = token, parser.origin
    node.nodelist_loop.insert(0, tick)
    return node


def _bounded_padding(pad):
    def bounded(value, arg):
        try:
            width = int(arg)
        except (TypeError, ValueError):
            width = 0
        if width > MAX_PADDING:
            raise RenderTooLong(f"a padding width is at most {MAX_PADDING:,}")
        return pad(value, arg)

    return bounded


def _sandbox_engine() -> Engine:
    # debug=True only so that an error carries the line it is on, for the editor to show.
    engine = Engine(loaders=[], libraries={}, autoescape=True, debug=True, string_if_invalid="")
    allowed = Library()
    for library in engine.template_builtins:
        allowed.tags.update(library.tags)
        allowed.filters.update(library.filters)
    for tag in FORBIDDEN_TAGS:
        del allowed.tags[tag]
    for name in FORBIDDEN_FILTERS:
        del allowed.filters[name]
    allowed.tags["for"] = _bounded_for
    for name in ("ljust", "rjust", "center"):
        allowed.filters[name] = _bounded_padding(getattr(defaultfilters, name))
    # Dates and amounts in the letter's language: |day, |amount:currency, |figure:currency.
    allowed.filters.update(locale_format.register.filters)
    engine.template_builtins = [allowed]
    return engine


_ENGINE = _sandbox_engine()
_LINE = re.compile(r"\bline \d+")
_UNKNOWN_TAG = re.compile(r"Invalid block tag on line (\d+): '(\w+)'")


def compile_template(source: str, *, field: str = "body"):
    """The sandboxed template, or a ServiceError naming the line that does not compile."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise ServiceError(f"a template is at most {MAX_TEMPLATE_CHARS} characters", field=field)
    try:
        return _ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        raise ServiceError(f"template error: {_explain(exc)}", field=field) from None


def _explain(exc: TemplateSyntaxError) -> str:
    found = _UNKNOWN_TAG.match(str(exc))
    if found and found[2] in FORBIDDEN_TAGS:
        return (
            f"line {found[1]}: {{% {found[2]} %}} is not available in dunning templates; "
            "they see only the context listed beside the editor"
        )
    message = str(exc)
    for name in FORBIDDEN_FILTERS:
        if message == f"Invalid filter: '{name}'":
            message = (
                f"the |{name} filter is not available in dunning templates: values are escaped"
            )
    return _with_line(exc, message)


def _with_line(exc: Exception, message: str) -> str:
    line = getattr(exc, "template_debug", {}).get("line")
    return f"line {line}: {message}" if line and not _LINE.search(message) else message


def render_source(
    source: str, context: dict, *, field: str = "body", autoescape: bool = True
) -> str:
    """A template's text rendered in the sandbox; ``autoescape=False`` for plain text (a
    subject), which every HTML page and document escapes once where it shows it."""
    compiled = compile_template(source, field=field)
    budget = _BUDGET.set(_Budget())
    try:
        return compiled.render(Context(context, autoescape=autoescape))
    except ServiceError:
        raise
    except Exception as exc:  # a filter fed the wrong type, say, or a budget spent
        raise ServiceError(f"template error: {_with_line(exc, str(exc))}", field=field) from None
    finally:
        _BUDGET.reset(budget)


def template_for(code: str, language: str) -> DunningTemplate:
    """The template in the customer's language, else the default language, else any."""
    variants = {t.language: t for t in DunningTemplate.objects.filter(code=code)}
    for wanted in (language, settings.DUNNING_LANGUAGE, "en"):
        if wanted in variants:
            return variants[wanted]
    if variants:
        return variants[sorted(variants)[0]]
    raise ServiceError(f"no dunning template {code!r}", field="template_code")


def money(amount, currency="") -> str:
    """An amount as the letter's language writes it, without the code (tables name it)."""
    return format_amount(amount, currency, code=False)


def sandbox_context(
    *,
    customer,
    contact,
    level,
    lines: list[dict],
    as_of: datetime.date,
    reminders: list[dict] | None = None,
) -> dict:
    """What a template may use; every value is a plain dict, list, string or date.

    ``lines``: dicts with number, issue_date, due_date, days_past_due, currency, open_amount
    and optionally informational, interest_rate, interest_amount, compensation_amount.
    ``reminders``: the earlier levels really sent for these invoices, one per date
    ({"date", "levels"}), so a text refers only to letters that went out.
    """
    groups: dict[str, dict] = defaultdict(lambda: {"invoices": [], "sum": Decimal(0)})
    small = [line for line in lines if line.get("informational")]
    lines = [line for line in lines if not line.get("informational")]
    for line in lines:
        group = groups[line["currency"]]
        group["invoices"].append(
            {
                "number": line["number"],
                "issue_date": line["issue_date"],
                "due_date": line["due_date"],
                "days_past_due": line["days_past_due"],
                "open_amount": money(line["open_amount"], line["currency"]),
                "level": line.get("level_number", ""),
            }
        )
        group["sum"] += line["open_amount"]
    currencies = [
        {"currency": code, "invoices": g["invoices"], "total": money(g["sum"], code)}
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
        "reminders": reminders or [],
        # the same dates as the language lists them: "Sep 24, 2026 and Oct 14, 2026",
        # "24.09.2026 und 14.10.2026", "24 sept. 2026 et 14 oct. 2026"
        "reminder_dates": format_list(
            [format_day(r["date"]) for r in reminders or []], locale=active_locale()
        )
        if reminders
        else "",
        "small_balances": [
            {
                "number": line["number"],
                "due_date": line["due_date"],
                "currency": line["currency"],
                "open_amount": money(line["open_amount"], line["currency"]),
            }
            for line in small
        ],
        "charges": letter_charges(lines),
    }


def letter_charges(lines: list[dict]) -> dict:
    """Late-payment interest and fixed compensation per invoice, as the letter shows them:
    claimed, not booked (nothing here reaches the ledger). Each is in its line's currency
    (the compensation converted when the run was built, docs/dunning.md)."""
    interest, totals = [], defaultdict(Decimal)
    compensation: dict[str, list[Decimal]] = defaultdict(list)
    for line in lines:
        amount = line.get("interest_amount") or Decimal(0)
        if amount > 0:
            interest.append(
                {
                    "number": line["number"],
                    "currency": line["currency"],
                    "days_past_due": line["days_past_due"],
                    "rate": line.get("interest_rate"),
                    "amount": money(amount, line["currency"]),
                }
            )
            totals[line["currency"]] += amount
        if (line.get("compensation_amount") or 0) > 0:
            compensation[line["currency"]].append(line["compensation_amount"])
    return {
        "interest": interest,
        "interest_totals": [
            {"currency": code, "total": money(total, code)}
            for code, total in sorted(totals.items())
        ],
        # one entry per currency: the same sum for each of its invoices (one rate, one day)
        "compensation": [
            {
                "count": len(amounts),
                "per_invoice": money(amounts[0], code),
                "total": money(sum(amounts), code),
                "currency": code,
            }
            for code, amounts in sorted(compensation.items())
        ],
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
        "informational",
        "interest_rate",
        "interest_amount",
        "compensation_amount",
    )
    keys = (
        "currency",
        "number",
        "issue_date",
        "due_date",
        "days_past_due",
        "open_amount",
        "level_number",
        "informational",
        "interest_rate",
        "interest_amount",
        "compensation_amount",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]


def communication_reminders(comm: DunningCommunication) -> list[dict]:
    """The levels sent before this communication for the invoices it dunns, by date."""
    invoices = comm.lines.filter(informational=False).values("invoice_id")
    steps = (
        InvoiceDunningStep.objects.filter(invoice_id__in=invoices, sent_on__lte=comm.run.as_of)
        .exclude(communication=comm)
        .order_by("sent_on", "level_number")
        .values_list("sent_on", "level_number")
    )
    by_date: dict[datetime.date, list[int]] = defaultdict(list)
    for sent_on, level in steps:
        if level not in by_date[sent_on]:
            by_date[sent_on].append(level)
    return [{"date": day, "levels": levels} for day, levels in by_date.items()]


def communication_context(comm: DunningCommunication) -> dict:
    return sandbox_context(
        customer=comm.customer,
        contact=comm.contact,
        level=comm.level,
        lines=communication_lines(comm),
        as_of=comm.run.as_of,
        reminders=communication_reminders(comm),
    )


def render_letter(template: DunningTemplate, context: dict) -> tuple[str, str]:
    """(subject as plain text, HTML body) of a template for a context."""
    subject = render_source(template.subject, context, field="subject", autoescape=False)
    body = render_source(template.body, context, field="body")
    return " ".join(subject.split()), body


# What the editor lists as help: every key of sandbox_context and what it holds.
CONTEXT_HELP = [
    ("company", "name, address_lines, email, phone, bank_details"),
    ("customer", "name, external_ref, address_lines"),
    ("contact", "name, email — or empty when the letter goes to the account"),
    ("level", "number, name"),
    ("as_of", "the run's date: |day writes it in the letter's language"),
    (
        "groups",
        "one per currency: currency, total, invoices "
        "(number, issue_date, due_date, days_past_due, open_amount, level)",
    ),
    ("totals", "one per currency: currency, total"),
    ("invoice_count", "how many invoices the letter covers"),
    ("reminders", "earlier letters really sent for these invoices: date, levels"),
    ("reminder_dates", "the dates of those letters as one list in the letter's language"),
    ("small_balances", "balances too small to dun, listed for information"),
    (
        "charges",
        "interest (number, rate, amount…), interest_totals, "
        "compensation (per currency: count, per_invoice, total, currency)",
    ),
    ("|day, |amount:currency, |figure:currency", "a date, an amount with or without its code"),
]


def sample_context(*, as_of: datetime.date | None = None) -> dict:
    """Built-in sample data for the editor's preview when no customer is overdue."""
    as_of = as_of or timezone.localdate()
    customer = SimpleNamespace(
        name="Sample Trading Ltd",
        external_ref="SAMPLE-001",
        billing_address="12 Example Street\nSampletown 12345",
    )
    contact = SimpleNamespace(name="Sam Payable", email="ap@sample.example")
    level = SimpleNamespace(number=2, name="Firm reminder")
    lines = [
        _sample_line("SMP-1001", as_of, 45, "USD", "1250.00", 2),
        _sample_line("SMP-1007", as_of, 18, "USD", "310.40", 2),
        _sample_line("SMP-2003", as_of, 9, "EUR", "980.00", 1),
    ]
    return sandbox_context(
        customer=customer,
        contact=contact,
        level=level,
        lines=lines,
        as_of=as_of,
        reminders=[{"date": as_of - datetime.timedelta(days=24), "levels": [1]}],
    )


def _sample_line(number, as_of, days_late, currency, amount, level_number) -> dict:
    due = as_of - datetime.timedelta(days=days_late)
    return {
        "number": number,
        "issue_date": due - datetime.timedelta(days=30),
        "due_date": due,
        "days_past_due": days_late,
        "currency": currency,
        "open_amount": Decimal(amount),
        "level_number": level_number,
    }


def sample_statement(context: dict) -> dict:
    """A statement for the sample letter's invoices, so the PDF preview shows the slip."""
    currencies = []
    for group in context["groups"]:
        items = [
            {**i, "amount": _amount(i["open_amount"]), "open_amount": _amount(i["open_amount"])}
            for i in group["invoices"]
        ]
        buckets = dict.fromkeys(BUCKETS, Decimal("0.00"))
        for item in items:
            buckets[bucket_of(item["days_past_due"])] += item["open_amount"]
        total = sum((i["open_amount"] for i in items), Decimal("0.00"))
        currencies.append(
            {
                "currency": group["currency"],
                "items": items,
                "open": total,
                "overdue": total,
                "aging": [buckets[b] for b in BUCKETS],
            }
        )
    return {
        "company": context["company"],
        "customer": {**context["customer"], "terms": terms_text(30)},
        "as_of": context["as_of"],
        "currencies": currencies,
        "bucket_labels": bucket_headings(),
        "item_count": context["invoice_count"],
    }


def _amount(formatted: str) -> Decimal:
    return parse_decimal(formatted.split(" ")[0], locale=active_locale())


def customer_preview_context(
    customer: Customer, *, template_code: str, as_of: datetime.date | None = None
) -> dict:
    """What a letter from this template would say to this customer today: its overdue
    invoices, its primary contact, and the policy level that uses the template."""
    as_of = as_of or timezone.localdate()
    rows = (
        Invoice.objects.filter(customer=customer, open_amount__gt=0, due_date__lt=as_of)
        .order_by("currency_id", "due_date", "id")
        .values_list("number", "issue_date", "due_date", "currency_id", "open_amount")
    )
    lines = [
        {
            "number": number,
            "issue_date": issued,
            "due_date": due,
            "days_past_due": (as_of - due).days,
            "currency": currency,
            "open_amount": open_amount,
        }
        for number, issued, due, currency, open_amount in rows
    ]
    level = DunningLevel.objects.filter(template_code=template_code).order_by(
        "number"
    ).first() or SimpleNamespace(number=1, name=template_code.replace("_", " ").capitalize())
    contact = customer.contacts.order_by("-is_primary", "pk").first()
    return sandbox_context(
        customer=customer, contact=contact, level=level, lines=lines, as_of=as_of
    )


def letter_html(*, subject: str, body: str, context: dict, statement: dict | None = None) -> str:
    """One HTML document: the letter and, when given, the statement of account after a
    page break; WeasyPrint lays both out in one pass."""
    return render_to_string(
        "dunning/letter_pdf.html",
        {
            **context,
            "subject": subject,
            "body": body,
            "printed_on": timezone.localdate(),
            "statement": statement,
        },
    )


def letter_screen_html(*, subject: str, body: str, context: dict) -> str:
    """The letter as a browser shows it in the editor's sandboxed preview frame."""
    return render_to_string(
        "dunning/template_preview_document.html",
        {**context, "subject": subject, "body": body, "printed_on": timezone.localdate()},
    )


def letter_pdf(*, subject: str, body: str, context: dict, statement: dict | None = None) -> bytes:
    return pdf_from_html(
        letter_html(subject=subject, body=body, context=context, statement=statement)
    )


def email_bodies(*, subject: str, body: str, context: dict) -> tuple[str, str]:
    """(plain text, HTML) of a dunning e-mail in the active language: the letter's body with
    the account, the payment details and the company below. The text lays tables out as
    aligned columns; the HTML carries its styles inline (mail clients drop <style>)."""
    # the interest, compensation and small balances the letter lists below its body
    extras = render_to_string("dunning/_letter_extras.html", context).strip()
    parts = {
        **context,
        "subject": subject,
        "body": body,
        "extras": extras,
        "printed_on": timezone.localdate(),
    }
    html = css_inline.inline(render_to_string("dunning/email.html", parts))
    text = render_to_string(
        "dunning/email.txt",
        {**parts, "body_text": html_to_text(body), "extras_text": html_to_text(extras)},
    )
    return text.strip() + "\n", html
