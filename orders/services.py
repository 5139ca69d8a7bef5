"""The order's own writes: one move along ``ORDER_TRANSITIONS`` with its history row and
audit entry (``order_move``, called by credit control's decisions), cancellation, invoicing
by reference, and the webhook that tells the ERP (docs/orders.md).

Locks are taken in one order: the customer (and the accounts above it), then the order.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.models import Customer
from invoices.models import Invoice

from .models import (
    DECISION_KINDS,
    OPEN_STATUSES,
    ORDER_TRANSITIONS,
    DecisionKind,
    DeliveryStatus,
    Order,
    OrderDecision,
    OrderStatus,
    WebhookDelivery,
)

# What a move may change on the order row: the decision's figures, and the amount and ship
# date a change brings with it.
ORDER_DECISION_FIELDS = [
    "status",
    "amount",
    "invoiced_amount",
    "requested_ship_date",
    "reasons",
    "exposure_before",
    "exposure_after",
    "credit_limit",
    "assigned_to",
    "invoice",
    "decided_by",
    "decided_at",
    "updated_at",
]


def _actor_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def order_lock(order: Order) -> Order:
    """The order row, locked; call it after the customer rows are locked."""
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("customer", "currency")
        .get(pk=order.pk)
    )


def order_move(
    *,
    actor,
    order: Order,
    status: str,
    kind: str,
    reasons: list[dict] | None = None,
    exposure_before: Decimal | None = None,
    exposure_after: Decimal | None = None,
    credit_limit: Decimal | None = None,
    comment: str = "",
    over_limit_confirmed: bool = False,
    forwarded_to=None,
    invoice: Invoice | None = None,
    invoiced_amount: Decimal | None = None,
) -> OrderDecision:
    """Move a locked order to ``status`` and record why: the one writer of an order's status.

    Figures left as None keep the order's last ones (a cancellation judges nothing).
    """
    if status not in ORDER_TRANSITIONS[order.status]:
        raise ServiceError(
            f"order {order.external_ref} is {order.get_status_display().lower()}: it cannot "
            f"become {OrderStatus(status).label.lower()}",
            field="status",
            code="invalid_transition",
        )
    with transaction.atomic():
        before = {
            "status": order.status,
            "reasons": order.reasons,
            "exposure_after": _text(order.exposure_after),
            "assigned_to": order.assigned_to_id,
            "invoiced_amount": _text(order.invoiced_amount),
        }
        now = timezone.now()
        person = _actor_or_none(actor)
        order.status = status
        if reasons is not None:
            order.reasons = reasons
            order.exposure_before = exposure_before
            order.exposure_after = exposure_after
            order.credit_limit = credit_limit
        if kind == DecisionKind.FORWARDED:
            order.assigned_to = forwarded_to
        elif status != OrderStatus.HELD:
            order.assigned_to = None
        if invoice is not None:
            order.invoice = invoice
        if invoiced_amount is not None:
            order.invoiced_amount = invoiced_amount
        if kind in DECISION_KINDS or order.decided_at is None:
            order.decided_by = person
            order.decided_at = now
        order.save(update_fields=ORDER_DECISION_FIELDS)
        decision = OrderDecision.objects.create(
            order=order,
            kind=kind,
            status_before=before["status"],
            status_after=status,
            amount=order.amount,
            reasons=order.reasons,
            exposure_before=order.exposure_before,
            exposure_after=order.exposure_after,
            credit_limit=order.credit_limit,
            comment=comment,
            over_limit_confirmed=over_limit_confirmed,
            actor=person,
            forwarded_to=forwarded_to,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action=f"order.{kind}",
            instance=order,
            before=before,
            after={
                "status": status,
                "reasons": order.reasons,
                "amount": str(order.amount),
                "currency": order.currency_id,
                "exposure_before": _text(order.exposure_before),
                "exposure_after": _text(order.exposure_after),
                "credit_limit": _text(order.credit_limit),
                "comment": comment,
                "over_limit_confirmed": over_limit_confirmed,
                "assigned_to": order.assigned_to_id,
                "invoice": order.invoice_id,
                "invoiced_amount": _text(order.invoiced_amount),
                "decision": decision.pk,
            },
        )
        if kind in DECISION_KINDS:
            _webhook_enqueue(decision)
    return decision


def order_cancel(*, actor, order: Order, comment: str = "") -> Order:
    """The ERP cancelled the order: its amount leaves open orders now."""
    with transaction.atomic():
        Customer.objects.select_for_update(no_key=True).filter(pk=order.customer_id).first()
        locked = order_lock(order)
        if locked.status == OrderStatus.CANCELLED:
            return locked
        order_move(
            actor=actor,
            order=locked,
            status=OrderStatus.CANCELLED,
            kind=DecisionKind.CANCELLED,
            comment=(comment or "").strip(),
        )
    return locked


def orders_invoice_by_reference(customer_ids: set[int]) -> list[Order]:
    """Registered in ``invoices.hooks.ledger_changed_hooks``: invoices of an open order's
    customer whose ``po_number`` is its reference move that much of it from open orders to
    AR, in the ledger's transaction, so no amount is counted twice nor dropped. The order is
    partly invoiced until the invoices cover its amount, then invoiced; an invoice for more
    than is left adds only the rest to the order's invoiced part (the excess is AR alone).
    Only invoices in the order's currency count. Recomputed from the invoices each time,
    so a repeat changes nothing. One query when the customers have no open order."""
    open_orders = {
        (customer_id, ref): pk
        for pk, customer_id, ref in Order.objects.filter(
            customer_id__in=customer_ids, status__in=OPEN_STATUSES
        ).values_list("pk", "customer_id", "external_ref")
    }
    if not open_orders:
        return []
    billed: dict[int, list[tuple[int, Decimal, str]]] = {}
    for pk, customer_id, po_number, amount, currency in (
        Invoice.objects.filter(
            customer_id__in={customer_id for customer_id, _ in open_orders},
            po_number__in={ref for _, ref in open_orders},
        )
        .order_by("pk")
        .values_list("pk", "customer_id", "po_number", "amount", "currency_id")
    ):
        order_pk = open_orders.get((customer_id, po_number))
        if order_pk is not None:
            billed.setdefault(order_pk, []).append((pk, amount, currency))
    # the invoices naming the orders, loaded together: each decision names its order's newest
    lasts = Invoice.objects.in_bulk([pk for rows in billed.values() for pk, _, _ in rows])
    moved = []
    for order in (
        Order.objects.select_for_update(of=("self",))
        .filter(pk__in=billed, status__in=OPEN_STATUSES)
        .order_by("pk")
    ):
        invoices = [
            (pk, amount) for pk, amount, cur in billed[order.pk] if cur == order.currency_id
        ]
        invoiced = min(order.amount, sum((amount for _, amount in invoices), Decimal("0.00")))
        if not invoices or invoiced == order.invoiced_amount:
            continue
        last = lasts[invoices[-1][0]]
        full = invoiced == order.amount
        order_move(
            actor=None,
            order=order,
            status=OrderStatus.INVOICED if full else order.status,
            kind=DecisionKind.INVOICED,
            invoice=last,
            invoiced_amount=invoiced,
            comment=(
                f"invoice {last.number}: {format_amount(invoiced, order.currency_id)} of "
                f"{format_amount(order.amount, order.currency_id)} invoiced"
                + (
                    ""
                    if full
                    else f", {format_amount(order.amount - invoiced, order.currency_id)} still open"
                )
            ),
        )
        moved.append(order)
    return moved


# --- the webhook -------------------------------------------------------------------------


def decision_payload(decision: OrderDecision) -> dict:
    order = decision.order
    return {
        "event": "order.decision",
        "order": {
            "id": order.pk,
            "external_ref": order.external_ref,
            "customer": order.customer.external_ref,
            "amount": str(decision.amount),
            "currency": order.currency_id,
            "requested_ship_date": order.requested_ship_date.isoformat(),
        },
        "decision": {
            "id": decision.pk,
            "kind": decision.kind,
            "decision": decision.status_after,
            "reasons": decision.reasons,
            "exposure_before": _text(decision.exposure_before),
            "exposure_after": _text(decision.exposure_after),
            "limit": _text(decision.credit_limit),
            "comment": decision.comment,
            "by": decision.actor.get_username() if decision.actor else None,
            "at": decision.created_at.isoformat(),
        },
    }


def _webhook_enqueue(decision: OrderDecision) -> WebhookDelivery | None:
    url = getattr(settings, "ORDER_WEBHOOK_URL", "")
    if not url:
        return None
    body = json.dumps(decision_payload(decision), cls=DjangoJSONEncoder, sort_keys=True)
    delivery = WebhookDelivery.objects.create(decision=decision, url=url, body=body)
    _deliver_on_commit(delivery)
    return delivery


def _deliver_on_commit(delivery: WebhookDelivery) -> None:
    from .tasks import order_webhook_deliver

    queue = getattr(settings, "ORDER_WEBHOOK_QUEUE", "celery")
    transaction.on_commit(
        lambda: order_webhook_deliver.apply_async(args=[delivery.pk], queue=queue)
    )


def webhook_delivery_retry(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """An admin sends a dead letter again: its attempts start over."""
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status != DeliveryStatus.DEAD:
            raise ServiceError(
                f"this delivery is {locked.get_status_display().lower()}, not a dead letter",
                field="status",
                code="invalid_transition",
            )
        before = {"status": locked.status, "attempts": locked.attempts}
        locked.status = DeliveryStatus.PENDING
        locked.attempts = 0
        locked.save(update_fields=["status", "attempts"])
        audit_record(
            actor=actor,
            action="order.webhook_retry",
            instance=locked,
            before=before,
            after={"status": locked.status, "attempts": 0},
        )
        _deliver_on_commit(locked)
    return locked


def webhook_delivery_record(
    *, delivery_id: int, error: str | None, max_attempts: int
) -> WebhookDelivery | None:
    """The outcome of one attempt; a failure past ``max_attempts`` makes a dead letter.
    Returns the delivery when another attempt is due, None otherwise."""
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if locked.status != DeliveryStatus.PENDING:
            return None
        locked.attempts += 1
        if error is None:
            locked.status = DeliveryStatus.DELIVERED
            locked.delivered_at = timezone.now()
            locked.last_error = ""
        else:
            locked.last_error = error[:2000]
            if locked.attempts >= max_attempts:
                locked.status = DeliveryStatus.DEAD
        locked.save(update_fields=["attempts", "status", "delivered_at", "last_error"])
        if locked.status == DeliveryStatus.DEAD:
            audit_record(
                actor=None,
                action="order.webhook_dead",
                instance=locked,
                after={"attempts": locked.attempts, "last_error": locked.last_error},
            )
    return locked if locked.status == DeliveryStatus.PENDING else None


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
