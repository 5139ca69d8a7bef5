"""E-mails to a customer's contact from a template, with the statement of account as PDF."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.models import Contact, Customer
from invoices.models import Invoice

from ..models import Activity, ActivityKind
from .activities import activity_add
from .queue import queue_state_refresh


@dataclass(frozen=True)
class EmailTemplate:
    code: str
    label: str
    subject: str


EMAIL_TEMPLATES = {
    t.code: t
    for t in [
        EmailTemplate("statement", "Statement of account", "Statement of account — {name}"),
        EmailTemplate("reminder", "Friendly reminder", "Payment reminder — {name}"),
        EmailTemplate("past_due", "Past-due notice", "Past-due invoices — {name}"),
    ]
}


def statement_context(customer: Customer) -> dict:
    today = timezone.localdate()
    items = list(
        Invoice.objects.filter(customer=customer, open_amount__gt=0)
        .order_by("due_date", "id")
        .values("number", "issue_date", "due_date", "amount", "open_amount", "currency_id")
    )
    totals: dict[str, dict] = {}
    for item in items:
        item["days_past_due"] = max((today - item["due_date"]).days, 0)
        row = totals.setdefault(item["currency_id"], {"currency": item["currency_id"], "open": 0})
        row["open"] += item["open_amount"]
        if item["days_past_due"]:
            row["overdue"] = row.get("overdue", 0) + item["open_amount"]
    return {
        "customer": customer,
        "items": items,
        "totals": list(totals.values()),
        "as_of": today,
        "company": getattr(settings, "COMPANY_NAME", "Dunwell"),
    }


def statement_pdf(customer: Customer) -> bytes:
    from weasyprint import HTML

    html = render_to_string("collections_app/statement_pdf.html", statement_context(customer))
    return HTML(string=html).write_pdf()


def statement_email_send(
    *, actor, customer: Customer, contact: Contact, template: str, message: str = ""
) -> Activity:
    if template not in EMAIL_TEMPLATES:
        raise ServiceError(f"{template!r} is not an e-mail template", field="template")
    if contact.customer_id != customer.pk:
        raise ServiceError("that contact belongs to another customer", field="contact")
    if not contact.email:
        raise ServiceError(f"{contact.name} has no e-mail address", field="contact")
    if customer.do_not_contact:
        raise ServiceError("this account is marked do not contact", field="contact")
    chosen = EMAIL_TEMPLATES[template]
    context = {**statement_context(customer), "contact": contact, "message": message}
    subject = chosen.subject.format(name=customer.name)
    body = render_to_string(f"collections_app/email/{template}.txt", context)
    pdf = statement_pdf(customer)
    email = EmailMessage(subject=subject, body=body, to=[contact.email])
    email.attach(
        f"statement-{customer.external_ref}-{context['as_of']:%Y%m%d}.pdf", pdf, "application/pdf"
    )
    with transaction.atomic():
        activity = activity_add(
            actor=actor,
            customer=customer,
            kind=ActivityKind.EMAIL,
            contact=contact,
            summary=f"E-mail “{chosen.label}” to {contact.email} with statement",
            note=message,
        )
        audit_record(
            actor=actor,
            action="activity.email",
            instance=activity,
            after={"to": contact.email, "template": template, "subject": subject},
        )
        queue_state_refresh(customer_ids=[customer.pk])
        # Sent after commit: a rolled-back activity must not leave a sent e-mail behind,
        # and a mail server that is down must not hold the transaction open.
        transaction.on_commit(lambda: email.send(fail_silently=False))
    return activity
