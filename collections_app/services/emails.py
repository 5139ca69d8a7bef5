"""E-mails to a customer's contact from a template, with the statement of account as PDF."""

from __future__ import annotations

import datetime
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.models import AuditEntry, Contact, Customer
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


# A mail server that is down or drops the line may be back soon: the task retries these.
# Anything else (an address the server refuses) is recorded as failed straight away.
TRANSIENT_SEND_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    ConnectionError,
    TimeoutError,
)
PERMANENT_SEND_ERRORS = (smtplib.SMTPException, OSError, ValueError)


def statement_email_send(
    *, actor, customer: Customer, contact: Contact, template: str, message: str = ""
) -> Activity:
    """Queue an e-mail with the statement: the timeline says "queued" at once, and a Celery
    task, enqueued when this transaction commits, sends it and records "sent" or "failed"
    (``statement_email_deliver``). Returns the "queued" timeline row."""
    chosen = _check_email(customer=customer, contact=contact, template=template)
    with transaction.atomic():
        activity = activity_add(
            actor=actor,
            customer=customer,
            kind=ActivityKind.SYSTEM,
            contact=contact,
            summary=f"E-mail “{chosen.label}” to {contact.email} queued",
            note=message,
        )
        audit_record(
            actor=actor,
            action=EMAIL_QUEUED,
            instance=activity,
            after={"to": contact.email, "template": template, "contact": contact.pk},
        )
        from ..tasks import statement_email_deliver

        # After commit: a task must not look for a row that is not there yet (or never will).
        queued = activity.pk
        transaction.on_commit(
            lambda: statement_email_deliver.delay(queued, contact.pk, template, message)
        )
    return activity


def _check_email(*, customer: Customer, contact: Contact, template: str) -> EmailTemplate:
    if template not in EMAIL_TEMPLATES:
        raise ServiceError(f"{template!r} is not an e-mail template", field="template")
    if contact.customer_id != customer.pk:
        raise ServiceError("that contact belongs to another customer", field="contact")
    if not contact.email:
        raise ServiceError(f"{contact.name} has no e-mail address", field="contact")
    if customer.do_not_contact:
        raise ServiceError("this account is marked do not contact", field="contact")
    if contact.do_not_contact:
        raise ServiceError(f"{contact.name} is marked do not contact", field="contact")
    return EMAIL_TEMPLATES[template]


def _outcome_recorded(queued: Activity) -> bool:
    return AuditEntry.objects.filter(
        object_type=Activity._meta.label_lower,
        object_id=str(queued.pk),
        action__in=[EMAIL_SENT, EMAIL_FAILED],
    ).exists()


EMAIL_QUEUED = "activity.email.queue"
EMAIL_SENT = "activity.email.sent"
EMAIL_FAILED = "activity.email.failed"


def statement_email_deliver(
    *, activity_id: int, contact_id: int, template: str, message: str = ""
) -> str:
    """Send a queued e-mail (the task's work) and record it on the timeline as sent, with
    the statement as sent; returns "sent", or "done" if its outcome was already recorded.

    A transient mail-server error (``TRANSIENT_SEND_ERRORS``) propagates for the task to
    retry; a refusal (an account now marked do not contact, a contact without an address)
    is recorded as failed. Other send errors propagate too; the task records them as
    failed (``statement_email_failed``).
    """
    queued = Activity.objects.select_related("customer").get(pk=activity_id)
    if _outcome_recorded(queued):
        return "done"
    customer = queued.customer
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        statement_email_failed(activity_id=activity_id, error="the contact was removed")
        return "failed"
    try:
        chosen = _check_email(customer=customer, contact=contact, template=template)
    except ServiceError as refusal:
        statement_email_failed(activity_id=activity_id, error=refusal.message)
        return "failed"
    context = {**statement_context(customer), "contact": contact, "message": message}
    subject = chosen.subject.format(name=customer.name)
    body = render_to_string(f"collections_app/email/{template}.txt", context)
    pdf = documents.statement_pdf(context["statement"])
    name = f"statement-{customer.external_ref}-{context['as_of']:%Y%m%d}.pdf"
    email = EmailMessage(subject=subject, body=body, to=[contact.email])
    email.attach(name, pdf, "application/pdf")
    email.send(fail_silently=False)
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity_id)
        if _outcome_recorded(locked):
            return "done"
        sent = activity_add(
            actor=queued.actor,
            customer=customer,
            kind=ActivityKind.EMAIL,
            contact=contact,
            summary=f"E-mail “{chosen.label}” to {contact.email} sent with statement",
            note=message,
        )
        sent.document.save(name, ContentFile(pdf), save=True)
        audit_record(
            actor=queued.actor,
            action=EMAIL_SENT,
            instance=locked,
            after={
                "to": contact.email,
                "template": template,
                "subject": subject,
                "activity": sent.pk,
            },
        )
        queue_state_refresh(customer_ids=[customer.pk])
    return "sent"


def statement_email_failed(*, activity_id: int, error: str) -> None:
    """Record on the timeline that a queued e-mail could not be sent, and why."""
    with transaction.atomic():
        locked = Activity.objects.select_for_update().select_related("customer").get(pk=activity_id)
        if _outcome_recorded(locked):
            return
        failed = activity_add(
            actor=None,
            customer=locked.customer,
            kind=ActivityKind.SYSTEM,
            contact=locked.contact,
            summary=locked.summary.removesuffix(" queued") + " could not be sent",
            note=error,
        )
        audit_record(
            actor=None,
            action=EMAIL_FAILED,
            instance=locked,
            after={"error": error[:500], "activity": failed.pk},
        )
