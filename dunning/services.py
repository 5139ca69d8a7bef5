"""Every write of dunning: runs (start, approve, cancel, retry, resume), stops, a customer's
policy, templates. Views, the API, tasks and commands all come through here."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.models import Customer
from accounts.money import to_money
from invoices.models import Invoice

from . import documents
from .models import (
    CommunicationStatus,
    DunningChannel,
    DunningCommunication,
    DunningLevel,
    DunningPolicy,
    DunningProfile,
    DunningRun,
    DunningRunStatus,
    DunningRunTrigger,
    DunningStepSource,
    DunningTemplate,
    EscalationAction,
    InvoiceDunning,
    InvoiceDunningStep,
    communication_move,
    communication_status_move,
)
from .preview import build_preview
from .sending import close_run_if_done

BUILD_LOCK = 0x44554E_0000000000  # one preview is built at a time: "in another run" holds


def _require(actor, perm: str, what: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise ServiceError(f"you may not {what}", code="forbidden")


def dunning_run_start(
    *, actor, trigger: str = DunningRunTrigger.MANUAL, as_of: datetime.date | None = None
) -> DunningRun:
    """Build a run's preview. A nightly run is built once per day; it sends straight away
    unless settings.DUNNING_REQUIRE_APPROVAL. A run started by hand always stops at its
    preview: whoever started it looks, then sends."""
    _require(actor, "dunning.add_dunningrun", "start a dunning run")
    as_of = as_of or timezone.localdate()
    if as_of > timezone.localdate():
        raise ServiceError("a run cannot be dated in the future", field="as_of")
    if trigger == DunningRunTrigger.NIGHTLY:
        existing = DunningRun.objects.filter(trigger=trigger, as_of=as_of).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [BUILD_LOCK])
            _supersede_previews(actor)
            run = DunningRun.objects.create(
                as_of=as_of,
                trigger=trigger,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            counts = build_preview(run)
            audit_record(actor=actor, action="dunning.run.preview", instance=run, after=counts)
    except IntegrityError:
        if trigger == DunningRunTrigger.NIGHTLY:  # the other beat won the race
            return DunningRun.objects.get(trigger=trigger, as_of=as_of)
        raise
    if trigger == DunningRunTrigger.NIGHTLY and not settings.DUNNING_REQUIRE_APPROVAL:
        run = dunning_run_approve(actor=None, run=run)
    return run


def _supersede_previews(actor) -> None:
    """A newer preview replaces older ones never approved: their figures are stale, and
    their planned communications would otherwise keep those customers out of every run."""
    for stale in DunningRun.objects.select_for_update().filter(status=DunningRunStatus.PREVIEW):
        _cancel_locked(stale, actor=actor, action="dunning.run.superseded")


def _cancel_locked(run: DunningRun, *, actor, action: str) -> None:
    """Cancel a preview whose row the caller has locked, with its planned communications."""
    run.status = DunningRunStatus.CANCELLED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    communication_status_move(
        run.communications.all(),
        from_status=CommunicationStatus.PLANNED,
        to_status=CommunicationStatus.CANCELLED,
    )
    audit_record(actor=actor, action=action, instance=run)


def dunning_run_approve(*, actor, run: DunningRun) -> DunningRun:
    """Approve the preview: its planned communications are queued and dispatched."""
    _require(actor, "dunning.approve_dunningrun", "approve a dunning run")
    with transaction.atomic():
        locked = DunningRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != DunningRunStatus.PREVIEW:
            raise ServiceError(f"this run is {locked.get_status_display().lower()}", field="run")
        locked.status = DunningRunStatus.SENDING
        locked.approved_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.approved_at = timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at"])
        queued = communication_status_move(
            locked.communications.all(),
            from_status=CommunicationStatus.PLANNED,
            to_status=CommunicationStatus.QUEUED,
        )
        audit_record(
            actor=actor, action="dunning.run.approve", instance=locked, after={"queued": queued}
        )
        if not close_run_if_done(locked.pk):
            _dispatch_on_commit(locked.pk)
    return locked


def dunning_run_cancel(*, actor, run: DunningRun) -> DunningRun:
    _require(actor, "dunning.approve_dunningrun", "cancel a dunning run")
    with transaction.atomic():
        locked = DunningRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != DunningRunStatus.PREVIEW:
            raise ServiceError("only a run still in preview can be cancelled", field="run")
        _cancel_locked(locked, actor=actor, action="dunning.run.cancel")
    return locked


def dunning_communication_retry(*, actor, communication: DunningCommunication) -> None:
    """Put a failed communication back in the queue (after its address was fixed, say)."""
    _require(actor, "dunning.approve_dunningrun", "retry a dunning communication")
    with transaction.atomic():
        run = DunningRun.objects.select_for_update().get(pk=communication.run_id)
        comm = DunningCommunication.objects.select_for_update().get(pk=communication.pk)
        if comm.status != CommunicationStatus.FAILED:
            raise ServiceError("only a failed communication can be retried", field="communication")
        to_address = comm.to_address
        if comm.channel == DunningChannel.EMAIL and comm.contact_id:
            comm.contact.refresh_from_db()
            to_address = comm.contact.email
        communication_move(comm, to_status=CommunicationStatus.QUEUED, to_address=to_address)
        if run.status == DunningRunStatus.DONE:
            DunningRun.objects.filter(pk=run.pk).update(
                status=DunningRunStatus.SENDING, finished_at=None
            )
        audit_record(actor=actor, action="dunning.retry", instance=comm)
        from .tasks import dunning_send

        transaction.on_commit(
            lambda: dunning_send.apply_async(args=[comm.pk], queue=settings.DUNNING_QUEUE)
        )


def dunning_run_resume(*, actor, run: DunningRun) -> int:
    """Dispatch a sending run's queued communications again (a broker that lost its
    messages); sending is idempotent, so a communication already on its way is harmless."""
    _require(actor, "dunning.approve_dunningrun", "resume a dunning run")
    if run.status != DunningRunStatus.SENDING:
        raise ServiceError("only a run that is sending can be resumed", field="run")
    audit_record(actor=actor, action="dunning.run.resume", instance=run)
    _dispatch_on_commit(run.pk)
    return run.communications.filter(status=CommunicationStatus.QUEUED).count()


def _dispatch_on_commit(run_id: int) -> None:
    from .tasks import dunning_dispatch

    transaction.on_commit(
        lambda: dunning_dispatch.apply_async(args=[run_id], queue=settings.DUNNING_QUEUE)
    )


def _check_stop(reason: str, until: datetime.date | None) -> str:
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ServiceError("say why dunning stops", field="reason")
    if until is None:
        raise ServiceError("a dunning stop needs an end date", field="until")
    if until < timezone.localdate():
        raise ServiceError("the end date is in the past", field="until")
    return reason[:200]


def dunning_stop_customer(
    *, actor, customer: Customer, reason: str, until: datetime.date | None
) -> DunningProfile:
    _require(actor, "dunning.change_dunningprofile", "stop dunning")
    reason = _check_stop(reason, until)
    with transaction.atomic():
        profile, _ = DunningProfile.objects.select_for_update().get_or_create(customer=customer)
        profile.stop_reason, profile.stop_until = reason, until
        profile.save(update_fields=["stop_reason", "stop_until"])
        audit_record(
            actor=actor,
            action="dunning.stop",
            instance=profile,
            after={"customer": customer.pk, "reason": reason, "until": until.isoformat()},
        )
    return profile


def dunning_stop_invoice(
    *, actor, invoice: Invoice, reason: str, until: datetime.date | None
) -> InvoiceDunning:
    _require(actor, "dunning.change_dunningprofile", "stop dunning")
    reason = _check_stop(reason, until)
    with transaction.atomic():
        state, _ = InvoiceDunning.objects.select_for_update().get_or_create(invoice=invoice)
        state.stop_reason, state.stop_until = reason, until
        state.save(update_fields=["stop_reason", "stop_until"])
        audit_record(
            actor=actor,
            action="dunning.stop_invoice",
            instance=state,
            after={"invoice": invoice.pk, "reason": reason, "until": until.isoformat()},
        )
    return state


def dunning_stop_lift(*, actor, customer: Customer, invoice: Invoice | None = None) -> None:
    _require(actor, "dunning.change_dunningprofile", "lift a dunning stop")
    with transaction.atomic():
        if invoice is None:
            rows = DunningProfile.objects.filter(customer=customer)
        else:
            rows = InvoiceDunning.objects.filter(invoice=invoice, invoice__customer=customer)
        lifted = rows.exclude(stop_until=None).update(stop_reason="", stop_until=None)
        if lifted:
            audit_record(
                actor=actor,
                action="dunning.stop_lift",
                instance=invoice or customer,
                after={"customer": customer.pk, "invoice": getattr(invoice, "pk", None)},
            )


def dunning_policy_assign(
    *, actor, customer: Customer, policy: DunningPolicy | None, language: str | None = None
) -> DunningProfile:
    """Set a customer's policy (None: the default policy) and the language of its letters."""
    _require(actor, "accounts.change_customer", "change a customer's dunning policy")
    with transaction.atomic():
        profile, _ = DunningProfile.objects.select_for_update().get_or_create(customer=customer)
        profile.policy = policy
        if language:
            profile.language = language[:10]
        profile.save(update_fields=["policy", "language"])
        audit_record(
            actor=actor,
            action="dunning.policy",
            instance=profile,
            after={"policy": getattr(policy, "pk", None), "language": profile.language},
        )
    return profile


def dunning_template_save(
    *, actor, template: DunningTemplate, name: str, subject: str, body: str
) -> DunningTemplate:
    """Save an edited template; one that does not compile in the sandbox is refused whole."""
    _require(actor, "dunning.change_dunningtemplate", "edit dunning templates")
    if not name.strip():
        raise ServiceError("a template needs a name", field="name")
    documents.compile_template(subject, field="subject")
    documents.compile_template(body, field="body")
    with transaction.atomic():
        locked = DunningTemplate.objects.select_for_update().get(pk=template.pk)
        before = {"subject": locked.subject, "body": locked.body, "name": locked.name}
        locked.name, locked.subject, locked.body = name.strip()[:120], subject.strip()[:200], body
        locked.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action="dunning.template",
            instance=locked,
            before=before,
            after={"subject": locked.subject, "body": locked.body, "name": locked.name},
        )
    return locked


def dunning_level_update(
    *,
    actor,
    level: DunningLevel,
    name: str,
    days_past_due: int,
    channel: str,
    template_code: str,
    minimum_overdue_amount: Decimal | str,
    minimum_days_since_previous: int,
    escalation_action: str,
    minimum_invoice_amount: Decimal | str | None = None,
) -> DunningLevel:
    """Change one level of a policy. Levels must stay in step: a higher level triggers on a
    later day, or the rules in levels.py would pick a level out of order."""
    _require(actor, "dunning.change_dunninglevel", "change dunning levels")
    name = (name or "").strip()
    if not name:
        raise ServiceError("a level needs a name", field="name")
    if channel not in DunningChannel.values:
        raise ServiceError(f"unknown channel {channel!r}", field="channel")
    if escalation_action not in EscalationAction.values:
        raise ServiceError(f"unknown escalation {escalation_action!r}", field="escalation_action")
    if days_past_due is None or days_past_due < 1:
        raise ServiceError("a level triggers 1 day past due or later", field="days_past_due")
    if minimum_days_since_previous is None or minimum_days_since_previous < 0:
        raise ServiceError("cannot be negative", field="minimum_days_since_previous")
    minimum = to_money(minimum_overdue_amount, field="minimum_overdue_amount")
    if minimum < 0:
        raise ServiceError("the minimum cannot be negative", field="minimum_overdue_amount")
    per_invoice = None
    if minimum_invoice_amount not in (None, ""):
        per_invoice = to_money(minimum_invoice_amount, field="minimum_invoice_amount")
        if per_invoice < 0:
            raise ServiceError("the minimum cannot be negative", field="minimum_invoice_amount")
    template_code = (template_code or "").strip()
    if not DunningTemplate.objects.filter(code=template_code).exists():
        raise ServiceError(f"no dunning template {template_code!r}", field="template_code")
    fields = {
        "name": name[:80],
        "days_past_due": days_past_due,
        "channel": channel,
        "template_code": template_code,
        "minimum_overdue_amount": minimum,
        "minimum_days_since_previous": minimum_days_since_previous,
        "escalation_action": escalation_action,
    }
    if per_invoice is not None:
        fields["minimum_invoice_amount"] = per_invoice
    with transaction.atomic():
        siblings = list(
            DunningLevel.objects.select_for_update()
            .filter(policy_id=level.policy_id)
            .order_by("number")
        )
        locked = next(lv for lv in siblings if lv.pk == level.pk)
        for other in siblings:
            if other.number < locked.number and other.days_past_due >= days_past_due:
                raise ServiceError(
                    f"must be later than level {other.number} (day {other.days_past_due})",
                    field="days_past_due",
                )
            if other.number > locked.number and other.days_past_due <= days_past_due:
                raise ServiceError(
                    f"must be earlier than level {other.number} (day {other.days_past_due})",
                    field="days_past_due",
                )
        before = {k: _plain(getattr(locked, k)) for k in fields}
        for key, value in fields.items():
            setattr(locked, key, value)
        changed = [k for k in fields if before[k] != _plain(fields[k])]
        if changed:
            locked.save(update_fields=changed)
            audit_record(
                actor=actor,
                action="dunning.level",
                instance=locked,
                before={k: before[k] for k in changed},
                after={k: _plain(fields[k]) for k in changed},
            )
    return locked


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


def dunning_template_variant_create(
    *, actor, template: DunningTemplate, language: str
) -> DunningTemplate:
    """Copy a template into another language for a translator to start from; one variant
    per (code, language), so a second copy is refused rather than overwriting a translation."""
    _require(actor, "dunning.change_dunningtemplate", "edit dunning templates")
    language = (language or "").strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", language):
        raise ServiceError("a language is a code such as de, fr or pt-br", field="language")
    try:
        with transaction.atomic():
            if DunningTemplate.objects.filter(code=template.code, language=language).exists():
                raise ServiceError(
                    f"{template.code} already has a {language} variant", field="language"
                )
            variant = DunningTemplate.objects.create(
                code=template.code,
                language=language,
                name=template.name,
                subject=template.subject,
                body=template.body,
                updated_by=actor if getattr(actor, "is_authenticated", False) else None,
                updated_at=timezone.now(),
            )
            audit_record(
                actor=actor,
                action="dunning.template.variant",
                instance=variant,
                after={"code": variant.code, "language": language, "copied_from": template.pk},
            )
    except IntegrityError:  # created by someone else between the check and the insert
        raise ServiceError(
            f"{template.code} already has a {language} variant", field="language"
        ) from None
    return variant


def invoice_dunning_history_record(
    *, actor, invoice: Invoice, level_number: int, sent_on: datetime.date
) -> InvoiceDunningStep:
    """Record that one level was sent for an invoice before Dunwell; see
    ``invoice_dunning_history_import``."""
    invoice_dunning_history_import(actor=actor, steps=[(invoice.pk, level_number, sent_on)])
    return InvoiceDunningStep.objects.get(invoice=invoice, level_number=level_number)


def invoice_dunning_history_import(*, actor, steps: list[tuple[int, int, datetime.date]]) -> int:
    """Record levels a previous system sent, as (invoice id, level number, sent on), so the
    next run continues from them instead of starting at level 1. Each invoice's levels follow
    the one it has, in order, one at a time, on dates after its due date that never go back
    and are not in the future: the letters will quote these dates. All or nothing."""
    _require(actor, "dunning.add_dunningrun", "record dunning history")
    today = timezone.localdate()
    wanted: dict[int, list[tuple[int, datetime.date]]] = {}
    for invoice_id, level_number, sent_on in steps:
        wanted.setdefault(invoice_id, []).append((level_number, sent_on))
    with transaction.atomic():
        invoices = {
            inv.pk: inv
            for inv in Invoice.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
        }
        if missing := sorted(set(wanted) - set(invoices)):
            raise ServiceError(f"no invoice {missing[0]}", field="invoice")
        states = {
            st.invoice_id: st
            for st in InvoiceDunning.objects.select_for_update()
            .filter(invoice_id__in=wanted)
            .order_by("invoice_id")
        }
        levels = _policy_level_numbers({inv.customer_id for inv in invoices.values()})
        new_steps, new_states = [], []
        for invoice_id, items in sorted(wanted.items()):
            invoice = invoices[invoice_id]
            state = states.get(invoice_id) or InvoiceDunning(invoice=invoice)
            level, last = state.level_number, state.last_dunned_on
            for level_number, sent_on in sorted(items):
                _check_history_step(invoice, level, last, level_number, sent_on, today)
                if level_number not in levels[invoice.customer_id]:
                    raise ServiceError(
                        f"the dunning policy of {invoice.number} has no level {level_number}",
                        field="level_number",
                    )
                new_steps.append(
                    InvoiceDunningStep(
                        invoice=invoice,
                        level_number=level_number,
                        sent_on=sent_on,
                        source=DunningStepSource.IMPORTED,
                        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
                    )
                )
                level, last = level_number, sent_on
            state.level_number, state.last_dunned_on = level, last
            new_states.append(state)
        InvoiceDunningStep.objects.bulk_create(new_steps, batch_size=2000)
        InvoiceDunning.objects.bulk_create(
            new_states,
            update_conflicts=True,
            unique_fields=["invoice"],
            update_fields=["level_number", "last_dunned_on"],
            batch_size=2000,
        )
        if new_steps:
            audit_record(
                actor=actor,
                action="dunning.history",
                instance=new_steps[0],
                after={
                    "steps": len(new_steps),
                    "invoices": len(new_states),
                    "first": [new_steps[0].invoice_id, new_steps[0].level_number],
                },
            )
    return len(new_steps)


def _check_history_step(invoice, level, last, level_number, sent_on, today) -> None:
    if level_number != level + 1:
        raise ServiceError(
            f"{invoice.number} is at level {level}: record level {level + 1} next",
            field="level_number",
        )
    if sent_on > today:
        raise ServiceError("a level cannot have been sent in the future", field="sent_on")
    if sent_on <= invoice.due_date:
        raise ServiceError(
            f"{invoice.number} was not overdue on {sent_on:%Y-%m-%d}", field="sent_on"
        )
    if last and sent_on < last:
        raise ServiceError(
            f"level {level} of {invoice.number} was sent on {last:%Y-%m-%d}, "
            f"after {sent_on:%Y-%m-%d}",
            field="sent_on",
        )


def _policy_level_numbers(customer_ids: set[int]) -> dict[int, set[int]]:
    """Per customer: the level numbers of its policy (the default one unless assigned)."""
    numbers: dict[int | None, set[int]] = {}
    for policy_id, number in DunningLevel.objects.values_list("policy_id", "number"):
        numbers.setdefault(policy_id, set()).add(number)
    default = DunningPolicy.objects.filter(is_default=True).values_list("pk", flat=True).first()
    assigned = dict(
        DunningProfile.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "policy_id"
        )
    )
    return {cid: numbers.get(assigned.get(cid) or default, set()) for cid in customer_ids}
