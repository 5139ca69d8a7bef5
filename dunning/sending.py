"""Sending one communication, at most once, whatever the broker or the worker does.

- An advisory lock on the communication keeps a duplicate delivery of the task from
  running it twice at the same time; the lock dies with a killed worker's connection.
- Status moves QUEUED → SENDING (committed) → SENT. SENDING is written just before the
  e-mail is handed over, so a task that finds SENDING knows the previous attempt died
  mid-delivery and asks the mail backend whether that Message-ID went out before sending.
- Letters and call tasks have no outside effect: their whole effect commits in one
  transaction, and a re-run finds them SENT.
- The run row is locked while a communication is finished, so the last one to finish
  (and only it) sees no pending work and closes the run.
"""

from __future__ import annotations

import contextlib
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.mail_delivery import TransientSendError, sending_lock
from accounts.models import CreditStatus
from accounts.services import customer_update
from collections_app.models import ActivityKind
from collections_app.services.activities import activity_add
from collections_app.services.escalations import credit_manager_for, escalation_raise
from collections_app.services.follow_ups import follow_up_schedule
from collections_app.services.queue import queue_state_refresh
from invoices import statements

from . import delivery, documents
from .models import (
    COMMUNICATION_PENDING,
    CommunicationStatus,
    DunningChannel,
    DunningCommunication,
    DunningRun,
    DunningRunStatus,
    DunningStepSource,
    EscalationAction,
    InvoiceDunning,
    InvoiceDunningStep,
    communication_move,
)

LOCK_NAMESPACE = 0x44554E  # "DUN": keeps these advisory locks apart from any others


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str  # the letter's body
    pdf: bytes  # the letter and the statement of account
    email_subject: str = ""  # an e-mail's: the subject and the account number
    email_text: str = ""
    email_html: str = ""


def advisory_lock(pk: int):
    return sending_lock(LOCK_NAMESPACE, pk)


def render(comm: DunningCommunication) -> Rendered:
    """The letter and, after it, the customer's statement of account with its remittance
    slip, laid out by WeasyPrint as one document (one pass is faster than two PDFs merged)."""
    template = documents.template_for(comm.level.template_code, comm.language)
    # Every word in the template's language (the customer's when there is one in it): the
    # labels, dates, amounts and page numbers around the text the template writes.
    with translation.override(template.language):
        context = documents.communication_context(comm)
        subject, html = documents.render_letter(template, context)
        statement = statements.statement_data(comm.customer, as_of=comm.run.as_of)
        pdf = documents.letter_pdf(subject=subject, body=html, context=context, statement=statement)
        if comm.channel != DunningChannel.EMAIL:
            return Rendered(subject, html, pdf)
        text, email_html = documents.email_bodies(subject=subject, body=html, context=context)
        ref = comm.customer.external_ref
        email_subject = (
            subject
            if ref in subject  # the template names the account already
            else gettext("%(subject)s (account %(account)s)") % {"subject": subject, "account": ref}
        )
    return Rendered(subject, html, pdf, email_subject, text, email_html)


def reply_address(comm: DunningCommunication) -> str:
    """Replies go to the customer's collector, who knows the account; else the team address."""
    collector = comm.customer.assigned_collector
    return (collector.email if collector else "") or settings.DUNNING_REPLY_TO


def communication_send(communication_id: int, *, final_attempt: bool = True) -> str:
    """Send one communication unless it was sent; returns its status afterwards.

    ``final_attempt=False`` lets a transient failure raise TransientSendError for Celery to
    retry; on the final attempt it lands in the run's retry queue instead.
    """
    with advisory_lock(communication_id) as got:
        if not got:
            return "busy"  # another worker holds it; that one finishes it
        comm = DunningCommunication.objects.select_related(
            "run", "customer__assigned_collector", "customer__payment_terms", "level", "contact"
        ).get(pk=communication_id)
        if comm.status == CommunicationStatus.SENDING and comm.channel == DunningChannel.EMAIL:
            delivered = delivery.was_delivered(comm.key)
            if delivered is None:
                _fail(
                    comm,
                    "interrupted while handing the e-mail over: check the mail log "
                    "for this Message-ID before retrying",
                )
                return CommunicationStatus.FAILED
            if delivered:
                _finish(comm, render(comm))
                return CommunicationStatus.SENT
        elif comm.status != CommunicationStatus.QUEUED:
            return comm.status
        try:
            rendered = render(comm)
        except ServiceError as exc:  # a template that no longer compiles
            _fail(comm, str(exc))
            return CommunicationStatus.FAILED
        if comm.channel == DunningChannel.EMAIL:
            _mark_sending(comm)
            try:
                delivery.send_email(
                    key=comm.key,
                    to=comm.to_address,
                    reply_to=reply_address(comm),
                    subject=rendered.email_subject,
                    text=rendered.email_text,
                    html=rendered.email_html,
                    attachments=[(_pdf_name(comm), rendered.pdf, "application/pdf")],
                )
            except delivery.Deferred as exc:
                if final_attempt:
                    _fail(comm, f"mail server: {exc}")
                    return CommunicationStatus.FAILED
                _requeue(comm, f"mail server: {exc}")
                raise TransientSendError(str(exc)) from exc
            except delivery.Uncertain as exc:
                # It may have gone out: a person checks the mail log rather than risk a second.
                _fail(
                    comm,
                    f"connection lost while handing the e-mail over ({exc}): check the mail "
                    f"log for Message-ID {delivery.message_id(comm.key)} before retrying",
                )
                return CommunicationStatus.FAILED
            except (smtplib.SMTPException, ValueError, OSError) as exc:
                _fail(comm, delivery.describe(exc))
                return CommunicationStatus.FAILED
        _finish(comm, rendered)
        return CommunicationStatus.SENT


def _pdf_name(comm: DunningCommunication) -> str:
    return f"{comm.level.template_code}-{comm.customer.external_ref}-{comm.run.as_of:%Y%m%d}.pdf"


def _mark_sending(comm: DunningCommunication) -> None:
    communication_move(comm, to_status=CommunicationStatus.SENDING, attempts=comm.attempts + 1)


def _requeue(comm: DunningCommunication, error: str) -> None:
    communication_move(comm, to_status=CommunicationStatus.QUEUED, last_error=error[:2000])


@transaction.atomic
def _fail(comm: DunningCommunication, error: str) -> None:
    DunningRun.objects.select_for_update().get(pk=comm.run_id)
    communication_move(comm, to_status=CommunicationStatus.FAILED, last_error=error[:2000])
    audit_record(actor=None, action="dunning.failed", instance=comm, after={"error": error[:500]})
    close_run_if_done(comm.run_id)


def _finish(comm: DunningCommunication, rendered: Rendered) -> None:
    document = ContentFile(rendered.pdf, name=_pdf_name(comm))
    with transaction.atomic():
        DunningRun.objects.select_for_update().get(pk=comm.run_id)
        locked = DunningCommunication.objects.select_for_update().get(pk=comm.pk)
        if locked.status == CommunicationStatus.SENT:
            return
        activity = _log_on_timeline(comm, rendered, document)
        lines = list(comm.lines.all())
        _advance_invoice_levels(comm, lines)
        if any(
            ln.level_number == comm.level.number and ln.previous_level_number < ln.level_number
            for ln in lines
        ):
            _escalate(comm)
        communication_move(
            locked,
            to_status=CommunicationStatus.SENT,
            sent_at=timezone.now(),
            activity=activity,
            document=activity.document.name,
            last_error="",
        )
        audit_record(
            actor=None,
            action="dunning.sent",
            instance=locked,
            after={"key": comm.key, "channel": comm.channel, "to": comm.to_address},
        )
        queue_state_refresh(customer_ids=[comm.customer_id])
        close_run_if_done(comm.run_id)


def _log_on_timeline(comm: DunningCommunication, rendered: Rendered, document: ContentFile):
    kind = {
        DunningChannel.EMAIL: ActivityKind.EMAIL,
        DunningChannel.LETTER: ActivityKind.LETTER,
        DunningChannel.CALL_TASK: ActivityKind.FOLLOW_UP,
    }[comm.channel]
    where = {
        DunningChannel.EMAIL: f" to {comm.to_address}",
        DunningChannel.LETTER: " by post",
        DunningChannel.CALL_TASK: ": call task for the collector",
    }[comm.channel]
    if comm.channel == DunningChannel.CALL_TASK:
        _call_task(comm)
    activity = activity_add(
        actor=None,
        customer=comm.customer,
        kind=kind,
        contact=comm.contact,
        summary=f"Dunning {comm.level.name} (level {comm.level.number}){where}",
        note=rendered.subject,
    )
    activity.document.save(document.name, document, save=True)
    return activity


def _call_task(comm: DunningCommunication) -> None:
    collector = comm.customer.assigned_collector or credit_manager_for(comm.customer)
    if collector is None:
        return
    follow_up_schedule(
        actor=None,
        customer=comm.customer,
        due_date=timezone.localdate(),
        assigned_to=collector,
        note=f"Dunning {comm.level.name}: call about the overdue invoices",
    )


def _advance_invoice_levels(comm: DunningCommunication, lines) -> None:
    moved = [ln for ln in lines if ln.level_number > ln.previous_level_number]
    InvoiceDunning.objects.bulk_create(
        [
            InvoiceDunning(
                invoice_id=ln.invoice_id,
                level_number=ln.level_number,
                last_dunned_on=comm.run.as_of,
                last_communication=comm,
            )
            for ln in moved
        ],
        update_conflicts=True,
        unique_fields=["invoice"],
        update_fields=["level_number", "last_dunned_on", "last_communication"],
    )
    InvoiceDunningStep.objects.bulk_create(
        [
            InvoiceDunningStep(
                invoice_id=ln.invoice_id,
                level_number=ln.level_number,
                sent_on=comm.run.as_of,
                source=DunningStepSource.SENT,
                communication=comm,
            )
            for ln in moved
        ],
        ignore_conflicts=True,
    )


def _escalate(comm: DunningCommunication) -> None:
    action = comm.level.escalation_action
    reason = f"Dunning reached {comm.level.name} (level {comm.level.number})"
    if action == EscalationAction.CREDIT_HOLD:
        if comm.customer.credit_status in (CreditStatus.GOOD, CreditStatus.WATCH):
            customer_update(
                actor=None,
                customer=comm.customer,
                credit_status=CreditStatus.HOLD,
                credit_source="dunning",
                credit_comment=reason,
            )
    elif action in (EscalationAction.AGENCY, EscalationAction.NOTIFY_MANAGER):
        if action == EscalationAction.AGENCY:
            reason += ": mark for agency placement"
        # already escalated: one open escalation at a time
        with contextlib.suppress(ServiceError), transaction.atomic():
            escalation_raise(actor=None, customer=comm.customer, reason=reason, follow_up=False)


def close_run_if_done(run_id: int) -> bool:
    """Close a sending run with no pending communication; the caller holds the run's lock."""
    pending = DunningCommunication.objects.filter(
        run=OuterRef("pk"), status__in=COMMUNICATION_PENDING
    )
    closed = (
        DunningRun.objects.filter(pk=run_id, status=DunningRunStatus.SENDING)
        .exclude(Exists(pending))
        .update(status=DunningRunStatus.DONE, finished_at=timezone.now())
    )
    if closed:
        from .tasks import dunning_print_build

        transaction.on_commit(
            lambda: dunning_print_build.apply_async(args=[run_id], queue=settings.DUNNING_QUEUE)
        )
    return bool(closed)
