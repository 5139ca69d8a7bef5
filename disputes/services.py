"""Writes to disputes (docs/disputes.md): open one (a collector's dispute or a short
payment's deduction), move it along ``DISPUTE_TRANSITIONS`` — resolving with credit issues
a credit memo through the ledger in the same transaction — assign it, comment, attach.

Every write locks the dispute row, records a ``DisputeEvent`` when the status or the owner
changes, writes an audit entry and runs ``dispute_changed_hooks`` (the queue score)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.models import Customer
from accounts.money import in_minor_units, to_money, to_positive_money
from invoices import services as ledger
from invoices.models import Invoice

from .attachments import checked_upload
from .hooks import run_dispute_changed, run_dispute_credited
from .models import (
    ACTIVE_STATUSES,
    CREDIT_OUTCOMES,
    DISPUTE_TRANSITIONS,
    RESOLUTION_MAX_LENGTH,
    Department,
    Dispute,
    DisputeAttachment,
    DisputeComment,
    DisputeEvent,
    DisputeEventKind,
    DisputeKind,
    DisputeLine,
    DisputeOutcome,
    DisputeProposal,
    DisputeProposalLine,
    DisputeReason,
    DisputeStatus,
    ProposalStatus,
    RaisedVia,
)
from .reference_data import DEDUCTION_REASON

ZERO = Decimal("0.00")
# who may resolve with a credit memo (the outcomes that issue one: models.CREDIT_OUTCOMES)
CREDIT_PERMISSION = "disputes.resolve_with_credit"


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _lines_from(
    invoices: list[Invoice], amounts: Mapping[int, Decimal] | None, total: Decimal | None
) -> dict[int, Decimal]:
    """Each invoice's disputed amount: as given per invoice; else ``total`` spread in due
    date order up to each one's open amount; else each one's whole open amount."""
    currency = invoices[0].currency
    if amounts is not None:
        lines = {}
        for invoice in invoices:
            amount = to_positive_money(amounts.get(invoice.pk), field="amounts")
            in_minor_units(amount, currency, field="amounts")
            if amount > invoice.open_amount:
                raise ServiceError(
                    f"{amount} disputed on {invoice.number} is more than its open "
                    f"{invoice.open_amount}",
                    field="amounts",
                )
            lines[invoice.pk] = amount
        return lines
    open_total = sum((i.open_amount for i in invoices), ZERO)
    if total is None:
        return {i.pk: i.open_amount for i in invoices}
    total = to_positive_money(total, field="amount")
    in_minor_units(total, currency)
    if total > open_total:
        raise ServiceError(
            f"{total} is more than the {open_total} open on those invoices", field="amount"
        )
    lines, left = {}, total
    for invoice in sorted(invoices, key=lambda i: (i.due_date, i.pk)):
        part = min(left, invoice.open_amount)
        if part > 0:
            lines[invoice.pk] = part
            left -= part
    return lines


def dispute_open(
    *,
    actor,
    customer: Customer,
    invoice_ids: list[int],
    reason_code: str,
    note: str = "",
    amount: Decimal | None = None,
    amounts: Mapping[int, Decimal] | None = None,
    raised_via: str = RaisedVia.COLLECTOR,
    kind: str = DisputeKind.DISPUTE,
) -> Dispute:
    """Open a dispute on some of a customer's open invoices, each with its own disputed
    amount (``amounts``, invoice id → amount, each at most the invoice's open amount). Without
    ``amounts`` the ``amount`` is spread in due-date order, or each invoice is disputed in
    full. Routed to the reason's department, due after the reason's SLA days."""
    reason = DisputeReason.objects.filter(code=reason_code, active=True).first()
    if reason is None:
        raise ServiceError(f"{reason_code!r} is not a dispute reason", field="reason_code")
    if raised_via not in RaisedVia.values:
        raise ServiceError(f"{raised_via!r} is not a way to raise a dispute", field="raised_via")
    if kind not in DisputeKind.values:
        raise ServiceError(f"{kind!r} is not a kind of dispute", field="kind")
    ids = sorted(set(invoice_ids) | set(amounts or ()))
    if not ids:
        raise ServiceError("select the invoices in dispute", field="invoices")
    with transaction.atomic():
        invoices = list(
            Invoice.objects.select_for_update(of=("self",))
            .select_related("currency")
            .filter(pk__in=ids, customer=customer, open_amount__gt=0)
            .order_by("pk")
        )
        if len(invoices) != len(ids):
            raise ServiceError(
                "a dispute may cover only this customer's open invoices", field="invoices"
            )
        if len({i.currency_id for i in invoices}) > 1:
            raise ServiceError("a dispute covers invoices of one currency", field="invoices")
        _refuse_if_in_an_open_dispute(ids)
        lines = _lines_from(invoices, amounts, amount)
        now = timezone.now()
        dispute = Dispute.objects.create(
            customer=customer,
            amount=sum(lines.values(), ZERO),
            currency_id=invoices[0].currency_id,
            kind=kind,
            reason=reason,
            raised_via=raised_via,
            note=note,
            department=reason.department,
            due_date=timezone.localdate(now) + datetime.timedelta(days=reason.sla_days),
            opened_by=_user(actor),
            opened_at=now,
        )
        DisputeLine.objects.bulk_create(
            DisputeLine(dispute=dispute, invoice_id=pk, amount=part) for pk, part in lines.items()
        )
        DisputeEvent.objects.create(
            dispute=dispute,
            kind=DisputeEventKind.OPENED,
            at=now,
            actor=_user(actor),
            status=DisputeStatus.OPEN,
            note=note,
        )
        audit_record(
            actor=actor,
            action="dispute.open",
            instance=dispute,
            after={
                "customer": customer.pk,
                "invoices": sorted(lines),
                "lines": {str(pk): str(part) for pk, part in sorted(lines.items())},
                "amount": str(dispute.amount),
                "currency": dispute.currency_id,
                "reason_code": reason.code,
                "kind": kind,
                "raised_via": raised_via,
                "department": dispute.department,
                "due_date": dispute.due_date.isoformat(),
            },
        )
        run_dispute_changed([customer.pk])
    return dispute


def deduction_open(
    *, actor, customer: Customer, invoice_id: int, amount: Decimal, note: str = ""
) -> Dispute:
    """The service cash application calls for a short payment: a deduction of the
    difference on the invoice, under the reason "to be coded" until someone codes it."""
    return dispute_open(
        actor=actor,
        customer=customer,
        invoice_ids=[invoice_id],
        amounts={invoice_id: amount},
        reason_code=DEDUCTION_REASON,
        note=note,
        raised_via=RaisedVia.CASH_APPLICATION,
        kind=DisputeKind.DEDUCTION,
    )


def _credit_lines(
    dispute: Dispute,
    lines: list[DisputeLine],
    outcome: str,
    credits: Mapping[int, Decimal] | None,
) -> dict[int, Decimal]:
    """What to credit per invoice: never more than a line's amount not yet credited."""
    left = {line.invoice_id: line.amount - line.credited for line in lines}
    if outcome == DisputeOutcome.NO_CREDIT:
        if credits:
            raise ServiceError("no credit means no credit amounts", field="credits")
        return {}
    if credits is None:
        if outcome == DisputeOutcome.PARTIAL_CREDIT:
            raise ServiceError("say how much to credit on each invoice", field="credits")
        credits = left
    unknown = set(credits) - set(left)
    if unknown:
        raise ServiceError("credit only the invoices the dispute names", field="credits")
    out: dict[int, Decimal] = {}
    for invoice_id, value in credits.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        # text that is no number is the caller's field error, never a 500
        if to_money(value, field="credits") == 0:
            continue
        amount = to_positive_money(value, field="credits")
        in_minor_units(amount, dispute.currency_id, field="credits")
        if amount > left[invoice_id]:
            raise ServiceError(
                f"{amount} is more than the {left[invoice_id]} disputed on that invoice",
                field="credits",
            )
        out[invoice_id] = amount
    total, disputed = sum(out.values(), ZERO), sum(left.values(), ZERO)
    if not out:
        raise ServiceError("a credit needs an amount", field="credits")
    if outcome == DisputeOutcome.CREDIT_ISSUED and total != disputed:
        raise ServiceError(
            f"credit issued means the whole {disputed} disputed; {total} is a partial credit",
            field="credits",
        )
    if outcome == DisputeOutcome.PARTIAL_CREDIT and total >= disputed:
        raise ServiceError(
            f"a partial credit is less than the {disputed} disputed", field="credits"
        )
    return out


def dispute_move(
    *,
    actor,
    dispute: Dispute,
    to_status: str,
    note: str = "",
    outcome: str = "",
    credits: Mapping[int, Decimal] | None = None,
) -> Dispute:
    """The one way a dispute's status changes: along ``DISPUTE_TRANSITIONS``, with an event
    (who, when, from, to). Resolving needs an outcome and says how (``note``); with credit
    it issues a credit memo for ``credits`` (invoice id → amount, default: every line's
    amount not yet credited) and applies it to the disputed invoices. Reopening needs a
    reason."""
    note = (note or "").strip()
    if to_status not in DisputeStatus.values:
        raise ServiceError(f"{to_status!r} is not a dispute status", field="status")
    if to_status == DisputeStatus.RESOLVED:
        if outcome not in DisputeOutcome.values:
            raise ServiceError("say how the dispute was resolved", field="outcome")
        if not note:
            raise ServiceError("say how the dispute was resolved", field="resolution")
        if len(note) > RESOLUTION_MAX_LENGTH:
            raise ServiceError(
                f"say how the dispute was resolved in at most {RESOLUTION_MAX_LENGTH} characters",
                field="resolution",
            )
    elif outcome or credits:
        raise ServiceError("only a resolution has an outcome", field="outcome")
    if outcome in CREDIT_OUTCOMES and not (actor and actor.has_perm(CREDIT_PERMISSION)):
        # a credit memo moves money: the rule holds for every caller, not only the pages
        raise ServiceError(
            "a credit is approved by a collector or credit manager",
            field="outcome",
            code="forbidden",
        )
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().select_related("customer").get(pk=dispute.pk)
        before = dispute.status
        if to_status not in DISPUTE_TRANSITIONS[before]:
            raise ServiceError(
                f"a dispute {dispute.get_status_display().lower()} cannot move to "
                f"{DisputeStatus(to_status).label.lower()}",
                field="status",
                code="invalid_transition",
            )
        if to_status == DisputeStatus.OPEN and not note:
            raise ServiceError("say why the dispute is reopened", field="note")
        if to_status in ACTIVE_STATUSES and before not in ACTIVE_STATUSES:
            # reopened: its invoices, locked as dispute_open locks them, may meanwhile be in
            # another open dispute; an invoice is in one open dispute at a time
            ids = list(dispute.lines.order_by("invoice_id").values_list("invoice_id", flat=True))
            list(Invoice.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
            _refuse_if_in_an_open_dispute(ids, besides=dispute)
        memo = None
        if to_status == DisputeStatus.RESOLVED:
            lines = list(dispute.lines.select_for_update().order_by("invoice_id"))
            credit = _credit_lines(dispute, lines, outcome, credits)
            if credit:
                memo = _credit_memo_issue(actor=actor, dispute=dispute, credit=credit, note=note)
                for line in lines:
                    if line.invoice_id in credit:
                        line.credited += credit[line.invoice_id]
                        line.save(update_fields=["credited"])
        now = max(timezone.now(), dispute.opened_at)
        dispute.status = to_status
        if to_status == DisputeStatus.RESOLVED:
            dispute.resolved_at, dispute.outcome, dispute.resolution = now, outcome, note
        else:
            dispute.resolved_at, dispute.outcome = None, ""
        dispute.save(update_fields=["status", "resolved_at", "outcome", "resolution"])
        if to_status not in ACTIVE_STATUSES:
            # a closed dispute has nothing left to approve
            DisputeProposal.objects.filter(dispute=dispute, status=ProposalStatus.PENDING).update(
                status=ProposalStatus.WITHDRAWN,
                decided_at=now,
                decision_note=f"the dispute was {DisputeStatus(to_status).label.lower()}",
            )
        DisputeEvent.objects.create(
            dispute=dispute,
            kind=DisputeEventKind.MOVED,
            at=now,
            actor=_user(actor),
            from_status=before,
            status=to_status,
            outcome=outcome,
            note=note,
            credit_memo=memo,
        )
        after = {"status": to_status, "note": note}
        if to_status == DisputeStatus.RESOLVED:
            after = {
                "status": to_status,
                "resolution": note,
                "resolved_at": now.isoformat(),
                "outcome": outcome,
                "credit_memo": memo.number if memo else None,
            }
        audit_record(
            actor=actor,
            action=f"dispute.{'resolve' if to_status == DisputeStatus.RESOLVED else 'move'}",
            instance=dispute,
            before={"status": before},
            after=after,
        )
        if memo is not None:
            run_dispute_credited(actor=actor, dispute=dispute, memo=memo)
        run_dispute_changed([dispute.customer_id])
    return dispute


def _refuse_if_in_an_open_dispute(invoice_ids, *, besides: Dispute | None = None) -> None:
    """On locked invoices: refuse any already in an open dispute (other than ``besides``)."""
    lines = DisputeLine.objects.filter(
        invoice_id__in=invoice_ids, dispute__status__in=ACTIVE_STATUSES
    )
    if besides is not None:
        lines = lines.exclude(dispute=besides)
    already = sorted(set(lines.values_list("invoice__number", flat=True)))
    if already:
        raise ServiceError(
            f"already in an open dispute: {', '.join(already)}",
            field="invoices",
            code="duplicate",
        )


def _credit_memo_issue(*, actor, dispute: Dispute, credit: dict[int, Decimal], note: str):
    number = f"CM-D{dispute.pk}-{dispute.events.exclude(credit_memo=None).count() + 1}"
    return ledger.credit_memo_issue(
        actor=actor,
        customer=dispute.customer,
        number=number,
        issue_date=timezone.localdate(),
        amount=sum(credit.values(), ZERO),
        reason=f"Dispute {dispute.pk}: {note}"[:200],
        currency=dispute.currency_id,
        allocations=[
            ledger.Allocation(invoice_id=pk, amount=amount) for pk, amount in sorted(credit.items())
        ],
    )


def dispute_resolve(
    *,
    actor,
    dispute: Dispute,
    resolution: str,
    outcome: str,
    credits: Mapping[int, Decimal] | None = None,
) -> Dispute:
    return dispute_move(
        actor=actor,
        dispute=dispute,
        to_status=DisputeStatus.RESOLVED,
        note=resolution,
        outcome=outcome,
        credits=credits,
    )


def dispute_assign(
    *, actor, dispute: Dispute, assignee=None, department: str | None = None, note: str = ""
) -> Dispute:
    """Route a dispute: to a department and/or a person (None: nobody)."""
    if department is not None and department not in Department.values:
        raise ServiceError(f"{department!r} is not a department", field="department")
    if assignee is not None and not assignee.is_active:
        raise ServiceError("assign the dispute to an active user", field="assignee")
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        before = {"department": dispute.department, "assignee": dispute.assignee_id}
        dispute.assignee = assignee
        if department is not None:
            dispute.department = department
        after = {"department": dispute.department, "assignee": dispute.assignee_id}
        if after == before:
            return dispute
        dispute.save(update_fields=["assignee", "department"])
        who = assignee.get_username() if assignee else "nobody"
        DisputeEvent.objects.create(
            dispute=dispute,
            kind=DisputeEventKind.ASSIGNED,
            actor=_user(actor),
            from_status=dispute.status,
            status=dispute.status,
            note=f"{dispute.get_department_display()} · {who}" + (f" — {note}" if note else ""),
        )
        audit_record(
            actor=actor, action="dispute.assign", instance=dispute, before=before, after=after
        )
    return dispute


def dispute_comment_add(*, actor, dispute: Dispute, body: str) -> DisputeComment:
    body = (body or "").strip()
    if not body:
        raise ServiceError("write a comment", field="body")
    if len(body) > 5000:
        raise ServiceError("a comment has at most 5000 characters", field="body")
    with transaction.atomic():
        comment = DisputeComment.objects.create(dispute=dispute, author=_user(actor), body=body)
        audit_record(
            actor=actor,
            action="dispute.comment",
            instance=dispute,
            after={"comment": comment.pk, "length": len(body)},
        )
    return comment


def dispute_attachment_add(*, actor, dispute: Dispute, upload: UploadedFile) -> DisputeAttachment:
    """Keep a PDF, PNG, JPEG or e-mail (.eml) of at most 10 MB, its type read from its
    content, its name made safe, stored through Django's storage API."""
    name, content_type, size = checked_upload(upload)
    with transaction.atomic():
        attachment = DisputeAttachment(
            dispute=dispute,
            name=name,
            content_type=content_type,
            size=size,
            uploaded_by=_user(actor),
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        audit_record(
            actor=actor,
            action="dispute.attach",
            instance=dispute,
            after={"attachment": attachment.pk, "name": name, "type": content_type, "size": size},
        )
    return attachment


KEEP = object()  # bulk assignment: leave the assignee as it is


def dispute_bulk_assign(
    *, actor, disputes: list[Dispute], department: str | None = None, assignee=KEEP
) -> list[Dispute]:
    """Route several disputes at once: each gets its own event and audit entry (through
    ``dispute_assign``), all in one transaction — one refusal leaves every one as it was.
    ``department`` None keeps each one's; ``assignee`` ``KEEP`` keeps each one's, None
    clears it."""
    if not disputes:
        raise ServiceError("select the disputes to assign", field="ids")
    if department is None and assignee is KEEP:
        raise ServiceError("choose a department or a person", field="department")
    with transaction.atomic():
        locked = list(
            Dispute.objects.select_for_update()
            .filter(pk__in=[d.pk for d in disputes])
            .order_by("pk")
        )
        return [
            dispute_assign(
                actor=actor,
                dispute=dispute,
                assignee=dispute.assignee if assignee is KEEP else assignee,
                department=department,
                note="bulk assignment",
            )
            for dispute in locked
        ]


# --- a resolver's credit proposal, approved by someone who may credit ----------------------


def dispute_credit_propose(
    *,
    actor,
    dispute: Dispute,
    outcome: str,
    note: str,
    credits: Mapping[int, Decimal] | None = None,
) -> DisputeProposal:
    """A resolver proposes to resolve with credit (issued in full, or partial with its
    amounts per invoice), checked as the resolution itself would be; a collector or credit
    manager approves it. One pending proposal per dispute."""
    note = (note or "").strip()
    if outcome not in CREDIT_OUTCOMES:
        raise ServiceError("propose a credit: issued in full or partial", field="outcome")
    if not note:
        raise ServiceError("say why the customer should be credited", field="note")
    if len(note) > RESOLUTION_MAX_LENGTH:
        raise ServiceError(f"say it in at most {RESOLUTION_MAX_LENGTH} characters", field="note")
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if not dispute.is_active:
            raise ServiceError("the dispute is closed", field="status", code="closed")
        if dispute.proposals.filter(status=ProposalStatus.PENDING).exists():
            raise ServiceError(
                "a proposal is already waiting for approval", field="outcome", code="pending"
            )
        lines = list(dispute.lines.order_by("invoice_id"))
        credit = _credit_lines(dispute, lines, outcome, credits)
        now = timezone.now()
        proposal = DisputeProposal.objects.create(
            dispute=dispute,
            outcome=outcome,
            note=note,
            amount=sum(credit.values(), ZERO),
            proposed_by=_user(actor),
            proposed_at=now,
        )
        DisputeProposalLine.objects.bulk_create(
            DisputeProposalLine(proposal=proposal, invoice_id=pk, amount=amount)
            for pk, amount in sorted(credit.items())
        )
        DisputeEvent.objects.create(
            dispute=dispute,
            kind=DisputeEventKind.PROPOSED,
            at=now,
            actor=_user(actor),
            from_status=dispute.status,
            status=dispute.status,
            outcome=outcome,
            note=f"{proposal.amount} {dispute.currency_id} — {note}",
        )
        audit_record(
            actor=actor,
            action="dispute.propose_credit",
            instance=dispute,
            after={
                "proposal": proposal.pk,
                "outcome": outcome,
                "credits": {str(pk): str(a) for pk, a in sorted(credit.items())},
                "note": note,
            },
        )
    return proposal


def _pending(actor, proposal: DisputeProposal) -> tuple[Dispute, DisputeProposal]:
    if not (actor and actor.has_perm(CREDIT_PERMISSION)):
        raise ServiceError(
            "a credit is approved by a collector or credit manager",
            field="proposal",
            code="forbidden",
        )
    dispute = Dispute.objects.select_for_update().get(pk=proposal.dispute_id)
    proposal = DisputeProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ProposalStatus.PENDING:
        raise ServiceError(
            f"the proposal is {proposal.get_status_display().lower()} already",
            field="proposal",
            code="decided",
        )
    return dispute, proposal


def dispute_proposal_approve(*, actor, proposal: DisputeProposal) -> DisputeProposal:
    """Approve a pending proposal: the dispute is resolved with its credit through
    ``dispute_move`` (which issues and applies the credit memo) in this transaction — a
    refusal by the ledger leaves proposal and dispute as they were."""
    with transaction.atomic():
        dispute, proposal = _pending(actor, proposal)
        credits = dict(proposal.lines.values_list("invoice_id", "amount"))
        now = timezone.now()
        proposal.status, proposal.decided_by, proposal.decided_at = (
            ProposalStatus.APPROVED,
            _user(actor),
            now,
        )
        proposal.save(update_fields=["status", "decided_by", "decided_at"])
        dispute_move(
            actor=actor,
            dispute=dispute,
            to_status=DisputeStatus.RESOLVED,
            outcome=proposal.outcome,
            note=proposal.note,
            credits=credits,
        )
        event = dispute.events.exclude(credit_memo=None).order_by("-at", "-id").first()
        proposal.credit_memo = event.credit_memo
        proposal.save(update_fields=["credit_memo"])
        audit_record(
            actor=actor,
            action="dispute.approve_credit",
            instance=dispute,
            before={"proposal": proposal.pk, "status": ProposalStatus.PENDING},
            after={"status": ProposalStatus.APPROVED, "credit_memo": event.credit_memo.number},
        )
    return proposal


def dispute_proposal_reject(*, actor, proposal: DisputeProposal, note: str) -> DisputeProposal:
    """Reject a pending proposal, saying why; the dispute stays as it is."""
    note = (note or "").strip()
    if not note:
        raise ServiceError("say why the proposal is rejected", field="decision_note")
    with transaction.atomic():
        dispute, proposal = _pending(actor, proposal)
        now = timezone.now()
        proposal.status, proposal.decided_by, proposal.decided_at = (
            ProposalStatus.REJECTED,
            _user(actor),
            now,
        )
        proposal.decision_note = note[:500]
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        DisputeEvent.objects.create(
            dispute=dispute,
            kind=DisputeEventKind.REJECTED,
            at=now,
            actor=_user(actor),
            from_status=dispute.status,
            status=dispute.status,
            note=note,
        )
        audit_record(
            actor=actor,
            action="dispute.reject_credit",
            instance=dispute,
            before={"proposal": proposal.pk, "status": ProposalStatus.PENDING},
            after={"status": ProposalStatus.REJECTED, "note": note},
        )
    return proposal
