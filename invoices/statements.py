"""The statement of account: every open invoice of a customer, grouped by currency, aged in
the one set of buckets, with the company's letterhead. Sent by collectors, attached to
dunning letters, downloaded from the workspace."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext

from accounts.buckets import BUCKET_LABELS, BUCKETS, bucket_of
from accounts.models import Customer
from accounts.pdf import pdf_from_html

from .models import Invoice


def letterhead() -> dict:
    return {
        "name": settings.COMPANY_NAME,
        "address_lines": settings.COMPANY_ADDRESS.replace("\\n", "\n").splitlines(),
        "email": settings.COMPANY_EMAIL,
        "phone": settings.COMPANY_PHONE,
        "bank_details": settings.COMPANY_BANK_DETAILS,
    }


# The words among the bucket labels (accounts/buckets.py), for makemessages to find; the
# ranges ("1-30") read the same in every language.
_BUCKET_WORDS = (gettext_noop("Current"), gettext_noop("Over 120"))


def bucket_headings() -> list[str]:
    """The aging buckets' labels in the active language (a statement's aging table)."""
    return [gettext(BUCKET_LABELS[b]) for b in BUCKETS]


def terms_text(net_days: int | None) -> str:
    """Payment terms in the active language (their stored name is the English one)."""
    if net_days is None:
        return ""
    if net_days == 0:
        return gettext("Due on receipt")
    return ngettext("Net %(days)s day", "Net %(days)s days", net_days) % {"days": net_days}


def statement_data(customer: Customer, *, as_of: datetime.date | None = None) -> dict:
    """The statement of account: every open invoice, grouped by currency, with its aging
    (the reporting buckets: day 0 is current, day 30 is in 1-30) and the amount due."""
    as_of = as_of or timezone.localdate()
    rows = (
        Invoice.objects.filter(customer=customer, open_amount__gt=0)
        .order_by("currency_id", "due_date", "id")
        .values_list("number", "issue_date", "due_date", "currency_id", "amount", "open_amount")
    )
    currencies: dict[str, dict] = {}
    for number, issued, due, currency, amount, open_amount in rows:
        days_past_due = (as_of - due).days
        group = currencies.setdefault(
            currency,
            {
                "currency": currency,
                "items": [],
                "open": Decimal("0.00"),
                "overdue": Decimal("0.00"),
                "buckets": dict.fromkeys(BUCKETS, Decimal("0.00")),
            },
        )
        group["items"].append(
            {
                "number": number,
                "issue_date": issued,
                "due_date": due,
                "days_past_due": max(days_past_due, 0),
                "amount": amount,
                "open_amount": open_amount,
            }
        )
        group["open"] += open_amount
        if days_past_due > 0:
            group["overdue"] += open_amount
        group["buckets"][bucket_of(days_past_due)] += open_amount
    groups = [currencies[code] for code in sorted(currencies)]
    for group in groups:
        group["aging"] = [group["buckets"][b] for b in BUCKETS]
    return {
        "company": letterhead(),
        "customer": {
            "name": customer.name,
            "external_ref": customer.external_ref,
            "address_lines": customer.billing_address.splitlines(),
            "terms": terms_text(getattr(customer.payment_terms, "net_days", None)),
        },
        "as_of": as_of,
        "currencies": groups,
        "bucket_labels": bucket_headings(),
        "item_count": sum(len(g["items"]) for g in groups),
    }


def statement_html(statement: dict) -> str:
    return render_to_string("invoices/statement_pdf.html", {"statement": statement})


def statement_pdf(statement: dict) -> bytes:
    return pdf_from_html(statement_html(statement))
