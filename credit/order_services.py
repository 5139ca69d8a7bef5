"""Credit control's decisions on sales orders: receive (decide at once), change, release,
reject, forward and re-check (docs/orders.md). The order's status moves only through
``orders.services.order_move``.

Locks are taken in one order: the customer and every account above it (ascending id), then
the order. So two releases for one customer run one after the other, and the second sees
the first's order in the exposure.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from accounts.date_range import date_in_range
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.models import Customer
from accounts.money import in_minor_units, to_money
from accounts.selectors import customers_for
from orders.models import DecisionKind, Order, OrderDecision, OrderStatus
from orders.services import order_lock, order_move

from . import selectors
from .order_rules import LIMIT_REASONS as LIMIT_CODES
from .order_rules import Judgement, order_judge

MAX_LINES = 1000


def max_order_amount() -> Decimal:
    return Decimal(str(getattr(settings, "ORDER_MAX_AMOUNT", "100000000.00")))


def body_hash(
    *,
    external_ref: str,
    customer: Customer,
    amount: Decimal,
    currency: str,
    requested_ship_date: datetime.date,
    lines: list,
) -> str:
    """The request as decided: a repeat naming the customer by id or by reference, or
    writing 100 as 100.00, is the same request."""
    canonical = json.dumps(
        {
            "external_ref": external_ref,
            "customer": customer.pk,
            "amount": str(amount),
            "currency": currency,
            "requested_ship_date": requested_ship_date.isoformat(),
            "lines": lines,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_chain(customer: Customer) -> list[Customer]:
    """The customer and every account above it, locked in ascending id; the customer first
    in the list returned."""
    ids = []
    seen = set()
    current_id = customer.pk
    while current_id is not None and current_id not in seen:
        seen.add(current_id)
        ids.append(current_id)
        current_id = Customer.objects.filter(pk=current_id).values_list("parent_id", flat=True)[0]
    # FOR NO KEY UPDATE: serialises order decisions (and credit changes, which take FOR
    # UPDATE) on these accounts, but not the ledger's inserts that reference the customer
    # (FOR KEY SHARE), so a payment's hook that re-checks orders cannot deadlock another.
    # of=("self",): the customer rows only, not the currency row joined for reading (that
    # would serialise every order decision in one currency)
    locked = {
        row.pk: row
        for row in Customer.objects.select_for_update(no_key=True, of=("self",))
        .select_related("currency")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    return [locked[pk] for pk in ids]


def _amount(value, customer: Customer, currency: str) -> Decimal:
    amount = to_money(value, field="amount")
    if amount <= 0:
        raise ServiceError(f"the amount must be greater than zero, got {amount}", field="amount")
    if amount > max_order_amount():
        raise ServiceError(
            f"{format_amount(amount, currency)} is above the largest order accepted "
            f"({format_amount(max_order_amount(), currency)})",
            field="amount",
            code="too_large",
        )
    in_minor_units(amount, customer.currency)
    return amount


def _decide(
    *, actor, order: Order, judgement: Judgement, kind: str, comment: str = ""
) -> OrderDecision:
    status = OrderStatus.HELD if judgement.reasons else OrderStatus.RELEASED
    return order_move(
        actor=actor,
        order=order,
        status=status,
        kind=kind,
        reasons=judgement.reasons,
        exposure_before=judgement.exposure_before,
        exposure_after=judgement.exposure_after,
        credit_limit=judgement.credit_limit,
        comment=comment,
    )


@dataclass(frozen=True)
class CheckedOrder:
    """An order request that passed every check made before the database is touched."""

    external_ref: str
    customer: Customer
    amount: Decimal
    currency: str
    requested_ship_date: datetime.date
    lines: list
    fingerprint: str  # sha256 of the request: a repeat under the reference must match it


def order_check(
    *,
    external_ref: str,
    customer: Customer,
    amount,
    currency: str,
    requested_ship_date: datetime.date,
    lines: list | None = None,
) -> CheckedOrder:
    """Everything ``order_receive`` refuses before it touches the database; the CSV import
    checks each row with it once and then stores it with ``order_receive_checked``."""
    external_ref = (external_ref or "").strip()
    if not external_ref:
        raise ServiceError("the order reference is required", field="external_ref")
    if len(external_ref) > 60:
        raise ServiceError("the order reference is longer than 60 characters", field="external_ref")
    if currency != customer.currency_id:
        raise ServiceError(
            f"{customer.external_ref} is billed in {customer.currency_id}, not {currency}",
            field="currency",
        )
    amount = _amount(amount, customer, currency)
    date_in_range(requested_ship_date, field="requested_ship_date")
    lines = list(lines or [])
    if len(lines) > MAX_LINES or not all(isinstance(line, dict) for line in lines):
        raise ServiceError(f"lines must be a list of at most {MAX_LINES} objects", field="lines")
    fingerprint = body_hash(
        external_ref=external_ref,
        customer=customer,
        amount=amount,
        currency=currency,
        requested_ship_date=requested_ship_date,
        lines=lines,
    )
    return CheckedOrder(
        external_ref=external_ref,
        customer=customer,
        amount=amount,
        currency=currency,
        requested_ship_date=requested_ship_date,
        lines=lines,
        fingerprint=fingerprint,
    )


def order_receive(
    *,
    actor,
    external_ref: str,
    customer: Customer,
    amount,
    currency: str,
    requested_ship_date: datetime.date,
    lines: list | None = None,
) -> tuple[Order, bool]:
    """Store an order from the ERP and decide it at once: released, or held with reasons.

    Idempotent by ``external_ref``: the same request again returns the order (created is
    False); a different one under the same reference is refused (code ``conflict``).
    An order for an account on stop is stored and held: that is a decision, not an error.
    """
    checked = order_check(
        external_ref=external_ref,
        customer=customer,
        amount=amount,
        currency=currency,
        requested_ship_date=requested_ship_date,
        lines=lines,
    )
    return order_receive_checked(actor=actor, order=checked)


# pg_advisory_xact_lock(ORDER_REFERENCE_LOCK, hashtext(reference)): the two-key form keeps
# these apart from the one-key advisory locks of dunning
ORDER_REFERENCE_LOCK = 0x4F5244  # "ORD"


def order_receive_checked(*, actor, order: CheckedOrder) -> tuple[Order, bool]:
    """``order_receive`` after ``order_check``.

    A reference is unique per customer. Within the caller's reach it is unique outright: the
    same reference for another customer the caller can see is a conflict (the ERP changed an
    order's customer, or reused a number). An order of a customer outside the caller's reach
    is not looked at, so the answer never tells that it exists (docs/orders.md). The
    customer's lock, then a lock on the reference, serialise requests for one reference.
    """
    ref = order.external_ref
    with transaction.atomic():
        chain = _lock_chain(order.customer)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [ORDER_REFERENCE_LOCK, ref]
            )
        existing = Order.objects.filter(customer=chain[0], external_ref=ref).first()
        if existing is not None:
            return _replay(existing, order.fingerprint), False
        reach = Customer.objects.all() if actor is None else customers_for(actor)
        elsewhere = (
            Order.objects.filter(external_ref=ref, customer__in=reach.values("pk"))
            .exclude(customer=chain[0])
            .select_related("customer")
            .first()
        )
        if elsewhere is not None:
            raise ServiceError(
                f"order {ref} was already received for another customer "
                f"({elsewhere.customer.external_ref}): send a new reference, or cancel that "
                "order first",
                field="external_ref",
                code="conflict",
            )
        created = Order.objects.create(
            external_ref=ref,
            customer=chain[0],
            amount=order.amount,
            currency_id=order.currency,
            requested_ship_date=order.requested_ship_date,
            lines=order.lines,
            body_hash=order.fingerprint,
        )
        judgement = order_judge(customer=chain[0], chain=chain, amount=order.amount)
        _decide(actor=actor, order=created, judgement=judgement, kind=DecisionKind.RECEIVED)
    return created, True


def _replay(order: Order, fingerprint: str) -> Order:
    if order.body_hash != fingerprint:
        raise ServiceError(
            f"order {order.external_ref} was already received with different content",
            field="external_ref",
            code="conflict",
        )
    return order


def order_change(
    *,
    actor,
    order: Order,
    amount=None,
    requested_ship_date: datetime.date | None = None,
) -> OrderDecision:
    """The ERP changed an open order. A new amount runs the rules again (a released order
    that grows may be held; a held one that now passes is released; a released one that
    shrinks stays released); a new ship date alone is recorded and decides nothing."""
    if amount is None and requested_ship_date is None:
        raise ServiceError("send amount, requested_ship_date or both", field="amount")
    if requested_ship_date is not None:
        date_in_range(requested_ship_date, field="requested_ship_date")
    with transaction.atomic():
        chain = _lock_chain(order.customer)
        locked = order_lock(order)
        if locked.status not in (OrderStatus.HELD, OrderStatus.RELEASED):
            raise ServiceError(
                f"order {locked.external_ref} is {locked.get_status_display().lower()}: "
                "it can no longer change",
                field="status",
                code="invalid_transition",
            )
        new_amount = (
            locked.amount if amount is None else _amount(amount, chain[0], locked.currency_id)
        )
        if locked.invoiced_amount > 0 and new_amount <= locked.invoiced_amount:
            raise ServiceError(
                f"{format_amount(locked.invoiced_amount, locked.currency_id)} of order "
                f"{locked.external_ref} is invoiced already: the amount must stay above it "
                "(cancel the order to drop the rest)",
                field="amount",
            )
        if requested_ship_date is not None:
            locked.requested_ship_date = requested_ship_date
        comment = []
        if new_amount != locked.amount:
            comment.append(
                f"amount {format_amount(locked.amount, locked.currency_id)} → "
                f"{format_amount(new_amount, locked.currency_id)}"
            )
        if requested_ship_date is not None:
            comment.append(f"ship date {requested_ship_date.isoformat()}")
        judgement = order_judge(
            customer=chain[0],
            chain=chain,
            amount=new_amount - locked.invoiced_amount,
            order=locked,
        )
        same_amount = new_amount == locked.amount
        shrinks = new_amount < locked.amount
        locked.amount = new_amount
        if same_amount or (locked.status == OrderStatus.RELEASED and shrinks):
            return order_move(
                actor=actor,
                order=locked,
                status=locked.status,
                kind=DecisionKind.CHANGED,
                reasons=locked.reasons,
                exposure_before=judgement.exposure_before,
                exposure_after=judgement.exposure_after,
                credit_limit=judgement.credit_limit,
                comment="; ".join(comment),
            )
        return _decide(
            actor=actor,
            order=locked,
            judgement=judgement,
            kind=DecisionKind.CHANGED,
            comment="; ".join(comment),
        )


def _held(order: Order) -> None:
    if order.status != OrderStatus.HELD:
        raise ServiceError(
            f"order {order.external_ref} is {order.get_status_display().lower()}, not held",
            field="status",
            code="invalid_transition",
        )


def _comment(comment: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise ServiceError("give a comment for the decision", field="comment")
    return comment


def order_release(
    *, actor, order: Order, comment: str, confirm_over_limit: bool = False
) -> OrderDecision:
    """Release a held order. The rules run again under the customer's lock: if the release
    takes the account over its limit (perhaps because a colleague just released another of
    its orders), nothing happens unless the user confirms, and their authority must cover
    the exposure after the release. An order above the user's authority can only be
    forwarded."""
    comment = _comment(comment)
    with transaction.atomic():
        chain = _lock_chain(order.customer)
        locked = order_lock(order)
        _held(locked)
        if not selectors.authority_covers(actor, amount=locked.amount, currency=locked.currency_id):
            raise ServiceError(
                f"{format_amount(locked.amount, locked.currency_id)} is above your release "
                "authority: forward it to someone whose authority covers it",
                field="authority",
                code="no_authority",
            )
        judgement = order_judge(
            customer=chain[0], chain=chain, amount=locked.open_amount, order=locked
        )
        if judgement.over_limit:
            words = " ".join(
                reason["text"] for reason in judgement.reasons if reason["code"] in LIMIT_CODES
            )
            if not confirm_over_limit:
                raise ServiceError(
                    f"{words} Confirm to release it over the limit.",
                    field="confirm_over_limit",
                    code="over_limit",
                )
            if not selectors.authority_covers(
                actor, amount=judgement.exposure_after, currency=judgement.currency
            ):
                raise ServiceError(
                    f"{words} Your authority does not cover an exposure of "
                    f"{format_amount(judgement.exposure_after, judgement.currency)}: forward it.",
                    field="authority",
                    code="no_authority",
                )
        return order_move(
            actor=actor,
            order=locked,
            status=OrderStatus.RELEASED,
            kind=DecisionKind.RELEASED,
            reasons=judgement.reasons,
            exposure_before=judgement.exposure_before,
            exposure_after=judgement.exposure_after,
            credit_limit=judgement.credit_limit,
            comment=comment,
            over_limit_confirmed=judgement.over_limit,
        )


def order_reject(*, actor, order: Order, comment: str) -> OrderDecision:
    """Reject a held order: it leaves the exposure and the queue for good."""
    comment = _comment(comment)
    with transaction.atomic():
        _lock_chain(order.customer)
        locked = order_lock(order)
        _held(locked)
        return order_move(
            actor=actor,
            order=locked,
            status=OrderStatus.REJECTED,
            kind=DecisionKind.REJECTED,
            comment=comment,
        )


def order_forward(*, actor, order: Order, to, comment: str = "") -> OrderDecision:
    """Hand a held order to a credit manager or admin whose authority covers it."""
    comment = (comment or "").strip()
    with transaction.atomic():
        _lock_chain(order.customer)
        locked = order_lock(order)
        _held(locked)
        target = get_user_model().objects.filter(pk=getattr(to, "pk", to), is_active=True).first()
        if target is None or not target.groups.filter(name__in=selectors.DECIDING_ROLES).exists():
            raise ServiceError("forward to an active credit manager or admin", field="to")
        if target.pk == getattr(actor, "pk", None):
            raise ServiceError("forward it to someone else", field="to")
        if not selectors.authority_covers(
            target, amount=locked.amount, currency=locked.currency_id
        ):
            raise ServiceError(
                f"{target.get_username()}'s authority does not cover "
                f"{format_amount(locked.amount, locked.currency_id)} either",
                field="to",
                code="no_authority",
            )
        return order_move(
            actor=actor,
            order=locked,
            status=OrderStatus.HELD,
            kind=DecisionKind.FORWARDED,
            comment=comment,
            forwarded_to=target,
        )


def order_recheck(*, actor, order: Order) -> OrderDecision:
    """Run the rules again (after a payment, a new limit): a held order that now passes
    them is released; one that does not stays held with today's reasons."""
    with transaction.atomic():
        chain = _lock_chain(order.customer)
        locked = order_lock(order)
        _held(locked)
        judgement = order_judge(
            customer=chain[0], chain=chain, amount=locked.open_amount, order=locked
        )
        return _decide(actor=actor, order=locked, judgement=judgement, kind=DecisionKind.RECHECKED)


def orders_recheck_after_cash(customer_ids: set[int]) -> list[OrderDecision]:
    """Registered in ``invoices.hooks.cash_applied_hooks`` when ``ORDER_AUTO_RELEASE_ON_PAYMENT``
    is on: cash that clears every reason releases the customer's held orders."""
    if not getattr(settings, "ORDER_AUTO_RELEASE_ON_PAYMENT", False):
        return []
    held = Order.objects.filter(customer_id__in=customer_ids, status=OrderStatus.HELD).order_by(
        "requested_ship_date", "pk"
    )
    decisions = []
    for order in held.select_related("customer"):
        with transaction.atomic():
            chain = _lock_chain(order.customer)
            locked = order_lock(order)
            if locked.status != OrderStatus.HELD:
                continue
            judgement = order_judge(
                customer=chain[0], chain=chain, amount=locked.open_amount, order=locked
            )
            if judgement.reasons:
                continue
            decisions.append(
                _decide(
                    actor=None,
                    order=locked,
                    judgement=judgement,
                    kind=DecisionKind.RECHECKED,
                    comment="released automatically: a payment cleared every reason",
                )
            )
    return decisions
