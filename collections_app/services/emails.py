"""E-mails to a customer's contact from a template, with the statement of account as PDF."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.models import Contact, Customer
from invoices import statements as documents

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


def statement_context(customer: Customer, *, as_of: datetime.date | None = None) -> dict:
    """The statement of account (``statement``, laid out by statement_pdf.html) and, for the
    e-mail texts, its open items and per-currency totals in the shape they read."""
    statement = documents.statement_data(customer, as_of=as_of)
    items = [
        {**item, "currency_id": group["currency"]}
        for group in statement["currencies"]
        for item in group["items"]
    ]
    totals = [
        {"currency": g["currency"], "open": g["open"], "overdue": g["overdue"]}
        for g in statement["currencies"]
    ]
    return {
        "customer": customer,
        "items": items,
        "totals": totals,
        "as_of": statement["as_of"],
        "company": settings.COMPANY_NAME,
        "statement": statement,
    }


def statement_pdf(customer: Customer, *, as_of: datetime.date | None = None) -> bytes:
    """The statement of account with its remittance slip, as the workspace downloads it."""
    return documents.statement_pdf(documents.statement_data(customer, as_of=as_of))


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
    pdf = documents.statement_pdf(context["statement"])
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
