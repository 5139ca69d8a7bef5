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

from accounts import mail_delivery
from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.mail_delivery import TransientSendError
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


EMAIL_QUEUED = "activity.email.queue"
EMAIL_SENDING = "activity.email.sending"
EMAIL_DEFERRED = "activity.email.deferred"
EMAIL_SENT = "activity.email.sent"
EMAIL_FAILED = "activity.email.failed"
LOCK_NAMESPACE = 0x53544D  # "STM": the statement e-mails' advisory locks, apart from dunning's


def email_message_id(activity_id: int) -> str:
    """The same Message-ID on every attempt, so the backend can say whether it went out."""
    return mail_delivery.message_id("statement-email", str(activity_id))


def _state(activity_id: int) -> str:
    """Where a queued e-mail stands: its latest sending entry in the audit trail ("" if none)."""
    latest = (
        AuditEntry.objects.filter(
            object_type=Activity._meta.label_lower,
            object_id=str(activity_id),
            action__in=[EMAIL_SENDING, EMAIL_DEFERRED, EMAIL_SENT, EMAIL_FAILED],
        )
        .order_by("-pk")
        .values_list("action", flat=True)
        .first()
    )
    return latest or ""


def statement_email_deliver(
    *,
    activity_id: int,
    contact_id: int,
    template: str,
    message: str = "",
    final_attempt: bool = True,
) -> str:
    """Send a queued e-mail (the task's work), at most once, and record on the timeline that
    it was sent, with the statement as sent; returns "sent", "failed", "done" (its outcome
    was already recorded) or "busy" (another delivery of the task is sending it).

    As dunning's letters (docs/dunning.md): "sending" is committed to the audit trail just
    before the hand-over, so a delivery that finds it knows an earlier one died mid-send and
    asks the backend about the Message-ID; SMTP cannot tell, so it is recorded as failed for
    a person to check the mail log, never sent twice. A server that accepted nothing
    (unreachable, 4xx) raises TransientSendError for the task to retry unless
    ``final_attempt``; a refusal (5xx, an account now marked do not contact, a contact
    without an address) is recorded as failed.
    """
    with mail_delivery.sending_lock(LOCK_NAMESPACE, activity_id) as got:
        if not got:
            return "busy"
        state = _state(activity_id)
        if state in (EMAIL_SENT, EMAIL_FAILED):
            return "done"
        queued = Activity.objects.select_related("customer").get(pk=activity_id)
        customer = queued.customer
        contact = Contact.objects.filter(pk=contact_id).first()
        mid = email_message_id(activity_id)
        if state == EMAIL_SENDING:
            delivered = mail_delivery.was_delivered(mid)
            if delivered is None:
                statement_email_failed(
                    activity_id=activity_id,
                    error="interrupted while handing the e-mail over: check the mail log for "
                    f"Message-ID {mid} before sending it again",
                )
                return "failed"
            if delivered and contact is not None:
                return _sent(
                    queued,
                    contact,
                    template,
                    message,
                    _composed(queued, contact, template, message),
                )
        if contact is None:
            statement_email_failed(activity_id=activity_id, error="the contact was removed")
            return "failed"
        try:
            _check_email(customer=customer, contact=contact, template=template)
        except ServiceError as refusal:
            statement_email_failed(activity_id=activity_id, error=refusal.message)
            return "failed"
        composed = _composed(queued, contact, template, message)
        _record(queued, EMAIL_SENDING, {"message_id": mid})
        try:
            mail_delivery.deliver(composed.email)
        except mail_delivery.Deferred as exc:
            if final_attempt:
                statement_email_failed(activity_id=activity_id, error=str(exc))
                return "failed"
            _record(queued, EMAIL_DEFERRED, {"error": str(exc)[:500]})
            raise TransientSendError(str(exc)) from exc
        except mail_delivery.Uncertain as exc:
            statement_email_failed(
                activity_id=activity_id,
                error=f"connection lost while handing the e-mail over ({exc}): check the mail "
                f"log for Message-ID {mid} before sending it again",
            )
            return "failed"
        except (smtplib.SMTPException, ValueError, OSError) as exc:
            statement_email_failed(activity_id=activity_id, error=mail_delivery.describe(exc))
            return "failed"
        return _sent(queued, contact, template, message, composed)


@dataclass(frozen=True)
class Composed:
    email: EmailMessage
    subject: str
    name: str
    pdf: bytes


def _composed(queued: Activity, contact: Contact, template: str, message: str) -> Composed:
    customer = queued.customer
    chosen = EMAIL_TEMPLATES[template]
    context = {**statement_context(customer), "contact": contact, "message": message}
    subject = chosen.subject.format(name=customer.name)
    body = render_to_string(f"collections_app/email/{template}.txt", context)
    pdf = documents.statement_pdf(context["statement"])
    name = f"statement-{customer.external_ref}-{context['as_of']:%Y%m%d}.pdf"
    email = EmailMessage(
        subject=subject,
        body=body,
        to=[contact.email],
        headers={"Message-ID": email_message_id(queued.pk)},
    )
    email.attach(name, pdf, "application/pdf")
    return Composed(email, subject, name, pdf)


def _record(queued: Activity, action: str, after: dict) -> None:
    with transaction.atomic():
        audit_record(actor=None, action=action, instance=queued, after=after)


def _sent(
    queued: Activity, contact: Contact, template: str, message: str, composed: Composed
) -> str:
    chosen = EMAIL_TEMPLATES[template]
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=queued.pk)
        if _state(locked.pk) in (EMAIL_SENT, EMAIL_FAILED):
            return "done"
        sent = activity_add(
            actor=queued.actor,
            customer=queued.customer,
            kind=ActivityKind.EMAIL,
            contact=contact,
            summary=f"E-mail “{chosen.label}” to {contact.email} sent with statement",
            note=message,
        )
        sent.document.save(composed.name, ContentFile(composed.pdf), save=True)
        audit_record(
            actor=queued.actor,
            action=EMAIL_SENT,
            instance=locked,
            after={
                "to": contact.email,
                "template": template,
                "subject": composed.subject,
                "activity": sent.pk,
                "message_id": email_message_id(queued.pk),
            },
        )
        queue_state_refresh(customer_ids=[queued.customer_id])
    return "sent"


def statement_email_failed(*, activity_id: int, error: str) -> None:
    """Record on the timeline that a queued e-mail could not be sent, and why."""
    with transaction.atomic():
        locked = Activity.objects.select_for_update().select_related("customer").get(pk=activity_id)
        if _state(locked.pk) in (EMAIL_SENT, EMAIL_FAILED):
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
