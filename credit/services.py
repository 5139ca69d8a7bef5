"""Every write of credit control: status and limit changes (with their history, audit entry,
timeline line and queue refresh), limit requests forwarded by authority, the decisions on
them and on escalations, and the lapse of dated holds (docs/credit.md).

Locks are taken in one order: the customer, then the request or escalation.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.bulk_rows import insert_values
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.models import CreditStatus, Currency, Customer
from accounts.money import in_minor_units, to_money
from collections_app.models import ActivityKind, Escalation, EscalationStatus
from collections_app.services.activities import activity_add, activity_add_many
from collections_app.services.escalations import escalation_resolve
from collections_app.services.queue import queue_risk_classes_set, queue_state_refresh

from . import risk, selectors
from .models import (
    LIMIT_REQUEST_TRANSITIONS,
    STATUSES_WITH_UNTIL,
    SYSTEM_REASONS,
    CreditAuthority,
    CreditChange,
    CreditChangeKind,
    CreditReason,
    CustomerRisk,
    LimitChangeRequest,
    LimitRequestStatus,
)

PERSON_REASON_CODES = set(CreditReason.values) - SYSTEM_REASONS
KEEP_STATUS = "keep"


def _actor_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _check_reason(reason: str, comment: str) -> tuple[str, str]:
    if reason not in PERSON_REASON_CODES:
        raise ServiceError("choose a reason", field="reason")
    comment = (comment or "").strip()
    if reason == CreditReason.OTHER and not comment:
        raise ServiceError("say why in the comment when the reason is “Other”", field="comment")
    return reason, comment


def _lock(customer: Customer) -> Customer:
    # NO KEY UPDATE: rows inserted meanwhile that reference the customer are not blocked;
    # of=self: the joined currency row, shared by every customer in it, is not locked.
    return (
        Customer.objects.select_for_update(no_key=True, of=("self",))
        .select_related("currency")
        .get(pk=customer.pk)
    )


def credit_status_set(
    *,
    actor,
    customer: Customer,
    status: str,
    reason: str,
    comment: str = "",
    until: datetime.date | None = None,
) -> CreditChange:
    """Move a customer's credit status; a watch or hold may end by itself after ``until``."""
    if status not in CreditStatus.values:
        raise ServiceError(f"unknown credit status {status!r}", field="status")
    reason, comment = _check_reason(reason, comment)
    if until is not None:
        if status not in STATUSES_WITH_UNTIL:
            raise ServiceError("only a watch or a hold can have an end date", field="until")
        if until <= timezone.localdate():
            raise ServiceError("the end date must be after today", field="until")
    with transaction.atomic():
        change = _status_write(
            actor=actor,
            customer=customer,
            status=status,
            reason=reason,
            comment=comment,
            until=until,
        )
    customer.credit_status = status
    return change


def _status_write(
    *,
    actor,
    customer: Customer,
    status: str,
    reason: str,
    comment: str,
    until: datetime.date | None,
) -> CreditChange:
    locked = _lock(customer)
    before = locked.credit_status
    if before == status:
        raise ServiceError(
            f"the account is already {CreditStatus(status).label.lower()}",
            field="status",
            code="unchanged",
        )
    locked.credit_status = status
    locked.save(update_fields=["credit_status", "updated_at"])
    change = CreditChange.objects.create(
        customer=locked,
        kind=CreditChangeKind.STATUS,
        status_before=before,
        status_after=status,
        reason=reason,
        comment=comment,
        until=until,
        actor=_actor_or_none(actor),
    )
    label = CreditStatus(status).label
    summary = f"Credit status: {CreditStatus(before).label} → {label}"
    if until:
        summary += f" until {until.isoformat()}"
    activity_add(
        actor=actor,
        customer=locked,
        kind=ActivityKind.CREDIT,
        summary=f"{summary} ({CreditReason(reason).label})",
        note=comment,
    )
    audit_record(
        actor=actor,
        action="credit.status_set",
        instance=locked,
        before={"credit_status": before},
        after={
            "credit_status": status,
            "reason": reason,
            "comment": comment,
            "until": until.isoformat() if until else None,
            "credit_change": change.pk,
        },
    )
    queue_state_refresh(customer_ids=[locked.pk])
    return change


def credit_limit_set(
    *,
    actor,
    customer: Customer,
    limit: Decimal | str,
    reason: str,
    comment: str = "",
) -> CreditChange | LimitChangeRequest:
    """Set a customer's credit limit (in its currency).

    A lower limit, or one within the actor's credit authority, takes effect now. A higher
    one beyond it becomes a pending ``LimitChangeRequest`` forwarded to the credit manager or
    admin with the lowest authority that covers it; nothing about the limit changes yet.
    """
    limit = to_money(limit, field="limit")
    if limit < 0:
        raise ServiceError("a credit limit cannot be negative", field="limit")
    reason, comment = _check_reason(reason, comment)
    with transaction.atomic():
        locked = _lock(customer)
        in_minor_units(limit, locked.currency, field="limit")
        if limit == locked.credit_limit:
            raise ServiceError(
                f"the limit is already {format_amount(limit, locked.currency_id)}",
                field="limit",
                code="unchanged",
            )
        if selectors.pending_limit_request(locked) is not None:
            raise ServiceError(
                "a limit change request is waiting for a decision on this account; decide it first",
                field="limit",
                code="pending_request",
            )
        covered = limit < locked.credit_limit or selectors.authority_covers(
            _actor_or_none(actor), amount=limit, currency=locked.currency_id
        )
        if covered:
            result = _limit_write(
                actor=actor, customer=locked, limit=limit, reason=reason, comment=comment
            )
        else:
            result = _limit_request(
                actor=actor, customer=locked, limit=limit, reason=reason, comment=comment
            )
    if isinstance(result, CreditChange):
        customer.credit_limit = limit
    return result


def _limit_write(
    *,
    actor,
    customer: Customer,
    limit: Decimal,
    reason: str,
    comment: str,
    request: LimitChangeRequest | None = None,
) -> CreditChange:
    """On a locked customer: the new limit, its history row, audit, timeline and score."""
    before = customer.credit_limit
    customer.credit_limit = limit
    customer.save(update_fields=["credit_limit", "updated_at"])
    change = CreditChange.objects.create(
        customer=customer,
        kind=CreditChangeKind.LIMIT,
        limit_before=before,
        limit_after=limit,
        currency_id=customer.currency_id,
        reason=reason,
        comment=comment,
        actor=_actor_or_none(actor),
        request=request,
    )
    currency = customer.currency_id
    summary = (
        f"Credit limit: {format_amount(before, currency)} → {format_amount(limit, currency)} "
        f"({CreditReason(reason).label})"
    )
    if request is not None:
        who = request.requested_by.get_username() if request.requested_by else "someone"
        summary += f", approved request of {who}"
    activity_add(
        actor=actor, customer=customer, kind=ActivityKind.CREDIT, summary=summary, note=comment
    )
    audit_record(
        actor=actor,
        action="credit.limit_set",
        instance=customer,
        before={"credit_limit": str(before)},
        after={
            "credit_limit": str(limit),
            "currency": currency,
            "reason": reason,
            "comment": comment,
            "credit_change": change.pk,
            "request": request.pk if request else None,
        },
    )
    queue_state_refresh(customer_ids=[customer.pk])
    return change


def _limit_request(
    *, actor, customer: Customer, limit: Decimal, reason: str, comment: str
) -> LimitChangeRequest:
    requester = _actor_or_none(actor)
    approver = selectors.approver_for(
        amount=limit, currency=customer.currency_id, exclude=requester
    )
    if approver is None:
        raise ServiceError(
            f"{format_amount(limit, customer.currency_id)} is above your credit authority and "
            "nobody's authority covers it (or no exchange rate is in force for it); "
            "ask an admin to raise one",
            field="limit",
            code="no_authority",
        )
    try:
        with transaction.atomic():
            request = LimitChangeRequest.objects.create(
                customer=customer,
                currency_id=customer.currency_id,
                limit_before=customer.credit_limit,
                requested_limit=limit,
                reason=reason,
                comment=comment,
                requested_by=requester,
                assigned_to=approver,
            )
    except IntegrityError:
        raise ServiceError(
            "a limit change request is already waiting on this account",
            field="limit",
            code="pending_request",
        ) from None
    currency = customer.currency_id
    activity_add(
        actor=actor,
        customer=customer,
        kind=ActivityKind.CREDIT,
        summary=(
            f"Credit limit {format_amount(limit, currency)} requested "
            f"(now {format_amount(customer.credit_limit, currency)}), forwarded to "
            f"{approver.get_username()}: above the requester's authority"
        ),
        note=comment,
    )
    audit_record(
        actor=actor,
        action="credit.limit_request",
        instance=request,
        after={
            "customer": customer.pk,
            "limit_before": str(customer.credit_limit),
            "requested_limit": str(limit),
            "currency": currency,
            "reason": reason,
            "comment": comment,
            "assigned_to": approver.pk,
        },
    )
    return request


def limit_request_decide(
    *, actor, request: LimitChangeRequest, approve: bool, comment: str
) -> LimitChangeRequest:
    """Approve (the limit changes now) or reject a pending request; the decider's own
    authority must cover the requested limit, and nobody decides their own request."""
    comment = (comment or "").strip()
    if not comment:
        raise ServiceError("give the reason for the decision", field="comment")
    decider = _actor_or_none(actor)
    with transaction.atomic():
        customer = _lock(request.customer)
        locked = (
            LimitChangeRequest.objects.select_for_update(of=("self",))
            .select_related("requested_by")
            .get(pk=request.pk)
        )
        target = LimitRequestStatus.APPROVED if approve else LimitRequestStatus.REJECTED
        if target not in LIMIT_REQUEST_TRANSITIONS[locked.status]:
            raise ServiceError(
                f"this request is already {locked.get_status_display().lower()}",
                field="status",
                code="invalid_transition",
            )
        if decider is not None and decider.pk == locked.requested_by_id:
            raise ServiceError(
                "you asked for this limit: someone else decides it",
                field="status",
                code="own_request",
            )
        if approve and not selectors.authority_covers(
            decider, amount=locked.requested_limit, currency=locked.currency_id
        ):
            raise ServiceError(
                f"{format_amount(locked.requested_limit, locked.currency_id)} is above your "
                "credit authority too",
                field="status",
                code="no_authority",
            )
        before = {"status": locked.status}
        locked.status = target
        locked.decided_by = decider
        locked.decided_at = timezone.now()
        locked.decision_comment = comment
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
        audit_record(
            actor=actor,
            action="credit.limit_request_decide",
            instance=locked,
            before=before,
            after={"status": target, "comment": comment},
        )
        if approve:
            _limit_write(
                actor=actor,
                customer=customer,
                limit=locked.requested_limit,
                reason=locked.reason,
                comment=comment,
                request=locked,
            )
        else:
            activity_add(
                actor=actor,
                customer=customer,
                kind=ActivityKind.CREDIT,
                summary=(
                    "Credit limit request of "
                    f"{format_amount(locked.requested_limit, locked.currency_id)} rejected"
                ),
                note=comment,
            )
    return locked


def escalation_decide(
    *,
    actor,
    escalation: Escalation,
    status: str,
    reason: str,
    comment: str = "",
    until: datetime.date | None = None,
) -> Escalation:
    """The credit manager's decision on an escalation: keep the credit status or move it,
    with a reason; the escalation is resolved with the decision written out."""
    reason, comment = _check_reason(reason, comment)
    if status != KEEP_STATUS and status not in CreditStatus.values:
        raise ServiceError(f"unknown decision {status!r}", field="status")
    if escalation.status != EscalationStatus.OPEN:
        raise ServiceError(
            "this escalation is already resolved", field="status", code="invalid_transition"
        )
    with transaction.atomic():
        customer = _lock(escalation.customer)
        current = customer.credit_status
        moves = status not in (KEEP_STATUS, current)
        if until is not None and not moves:
            raise ServiceError("an end date needs a new status of watch or hold", field="until")
        if moves:
            if until is not None and until <= timezone.localdate():
                raise ServiceError("the end date must be after today", field="until")
            if until is not None and status not in STATUSES_WITH_UNTIL:
                raise ServiceError("only a watch or a hold can have an end date", field="until")
            _status_write(
                actor=actor,
                customer=customer,
                status=status,
                reason=reason,
                comment=comment,
                until=until,
            )
            decision = f"credit status {CreditStatus(status).label.lower()}"
        else:
            decision = f"credit status kept ({CreditStatus(current).label.lower()})"
        resolution = f"Decision: {decision}. Reason: {CreditReason(reason).label}."
        if comment:
            resolution += f" {comment}"
        resolved = escalation_resolve(actor=actor, escalation=escalation, resolution=resolution)
        audit_record(
            actor=actor,
            action="credit.escalation_decide",
            instance=resolved,
            before={"credit_status": current},
            after={
                "decision": status,
                "credit_status": status if moves else current,
                "reason": reason,
                "comment": comment,
            },
        )
    return resolved


def credit_holds_lapse(*, today: datetime.date | None = None) -> list[CreditChange]:
    """Watches and holds whose end date has passed go back to the status they replaced.

    Only a customer whose latest status change carried the end date lapses: a later change
    by a person (or an earlier lapse) replaces it. Safe to run twice.
    """
    today = today or timezone.localdate()
    latest = CreditChange.objects.filter(
        customer=OuterRef("pk"), kind=CreditChangeKind.STATUS
    ).order_by("-created_at", "-id")
    due = (
        Customer.objects.filter(
            pk__in=CreditChange.objects.filter(until__lt=today).values("customer_id")
        )
        .annotate(
            latest_until=Subquery(latest.values("until")[:1]),
            latest_status=Subquery(latest.values("status_after")[:1]),
        )
        .filter(latest_until__lt=today, credit_status=F("latest_status"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    lapsed = []
    for customer_id in list(due):
        with transaction.atomic():
            customer = Customer.objects.select_for_update(no_key=True).get(pk=customer_id)
            latest = (
                CreditChange.objects.filter(customer=customer, kind=CreditChangeKind.STATUS)
                .order_by("-created_at", "-id")
                .first()
            )
            if (
                latest is None
                or latest.until is None
                or latest.until >= today
                or customer.credit_status != latest.status_after
            ):
                continue
            change = _status_write(
                actor=None,
                customer=customer,
                status=latest.status_before,
                reason=CreditReason.LAPSED,
                comment=(
                    f"{CreditStatus(latest.status_after).label} until "
                    f"{latest.until.isoformat()} ended"
                ),
                until=None,
            )
            lapsed.append(change)
    return lapsed


SOURCE_REASONS = {
    "admin": CreditReason.ADMIN,
    "import": CreditReason.IMPORT,
    "dunning": CreditReason.DUNNING,
}


def credit_recorded(
    *,
    actor,
    records: Sequence[tuple[Customer, dict[str, tuple]]],
    source: str,
    comment: str = "",
    created: bool = False,
) -> int:
    """History for a status or limit that accounts' own paths (admin, CSV import, a new
    customer) or dunning wrote (``accounts.hooks.credit_recorded_hooks``), for one customer
    or a whole import batch: each change's row with the path as the reason, and, for an
    existing account, its timeline line, in one INSERT each. The field itself is already
    written and audited by accounts' services, in the same transaction. Returns how many
    history rows were written."""
    reason = SOURCE_REASONS.get(source)
    if reason is None:
        raise ServiceError(f"unknown source of a credit change {source!r}", field="source")
    who = getattr(_actor_or_none(actor), "pk", None)
    made: list[dict] = []
    lines: list[tuple[Customer, str]] = []
    for customer, changes in records:
        if "credit_status" in changes:
            before, after = changes["credit_status"]
            made.append(
                {
                    "customer_id": customer.pk,
                    "kind": CreditChangeKind.STATUS,
                    "status_before": before,
                    "status_after": after,
                    "reason": reason,
                    "comment": comment,
                    "actor_id": who,
                }
            )
            if not created:
                summary = f"{CreditStatus(before).label} → {CreditStatus(after).label}"
                lines.append((customer, f"Credit status: {summary} ({reason.label})"))
        if "credit_limit" in changes:
            before, after = changes["credit_limit"]
            currency = customer.currency_id
            made.append(
                {
                    "customer_id": customer.pk,
                    "kind": CreditChangeKind.LIMIT,
                    "limit_before": before,
                    "limit_after": after,
                    "currency_id": currency,
                    "reason": reason,
                    "comment": comment,
                    "actor_id": who,
                }
            )
            if not created:
                summary = f"{format_amount(before, currency)} → {format_amount(after, currency)}"
                lines.append((customer, f"Credit limit: {summary} ({reason.label})"))
    insert_values(CreditChange, made)
    activity_add_many(actor=actor, kind=ActivityKind.CREDIT, lines=lines, note=comment)
    return len(made)


def credit_authority_set(*, actor, user, amount: Decimal | str, currency: str) -> CreditAuthority:
    """Give ``user`` a credit authority (the highest limit they may set themselves)."""
    amount = to_money(amount, field="amount")
    if amount < 0:
        raise ServiceError("an authority cannot be negative", field="amount")
    if not Currency.objects.filter(code=currency).exists():
        raise ServiceError(f"unknown currency {currency!r}", field="currency")
    with transaction.atomic():
        authority = CreditAuthority.objects.select_for_update().filter(user=user).first()
        before = snapshot(authority, ["amount", "currency"]) if authority else None
        if authority is None:
            authority = CreditAuthority(user=user)
        authority.amount = amount
        authority.currency_id = currency
        authority.save()
        audit_record(
            actor=actor,
            action="credit.authority_set",
            instance=authority,
            before=before,
            after={**snapshot(authority, ["amount", "currency"]), "user": user.pk},
        )
    return authority


def risk_scores_refresh(*, today: datetime.date | None = None) -> int:
    """Score every customer from its payment behaviour (``credit.risk``): the nightly run,
    set-based, safe to run twice. Returns the number of customers scored.

    The classes then go down to the queue (one call, set-based), which re-scores the
    accounts whose class changed: the queue priority weighs the risk class."""
    scored = risk.risk_compute(today=today)
    queue_risk_classes_set(dict(CustomerRisk.objects.values_list("customer_id", "risk_class")))
    return scored
