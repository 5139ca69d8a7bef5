"""Reads for orders: an order within the user's reach, the release queue, a history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.models import Currency
from accounts.selectors import customers_for
from invoices.models import Invoice
from orders.models import Order, OrderDecision, OrderStatus

from .exposure import exposures_for
from .order_rules import overdue_days
from .selectors import Authority

QUEUE_PAGE_SIZE = 200


def orders_for(user) -> QuerySet[Order]:
    """Orders of the customers the user may see (another portfolio's order is a 404)."""
    return Order.objects.filter(customer__in=customers_for(user).values("pk"))


def order_for(user, pk: int) -> Order:
    order = (
        orders_for(user)
        .select_related("customer", "customer__currency", "currency", "assigned_to", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise Http404
    return order


def order_by_reference(user, external_ref: str, *, customer_ref: str | None = None) -> Order:
    """The order under the ERP's reference within the user's reach. A reference is unique
    per customer, so one the user sees on two customers needs the customer's reference."""
    found = orders_for(user).select_related("customer", "currency", "decided_by")
    found = found.filter(external_ref=external_ref)
    if customer_ref:
        found = found.filter(customer__external_ref=customer_ref)
    orders = list(found.order_by("pk")[:2])
    if not orders:
        raise Http404
    if len(orders) > 1:
        raise ServiceError(
            f"{external_ref} names orders of more than one customer: add ?customer= and the "
            "customer's reference",
            field="customer",
            code="ambiguous",
        )
    return orders[0]


def order_history(order: Order) -> QuerySet[OrderDecision]:
    return order.decisions.select_related("actor", "forwarded_to").order_by("created_at", "id")


def held_orders_for(user) -> QuerySet[Order]:
    return orders_for(user).filter(status=OrderStatus.HELD)


@dataclass
class Figures:
    """An order's exposure now (not at its last decision): the committed exposure (AR and
    released orders) without the order, and with it."""

    exposure_before: Decimal
    exposure_after: Decimal
    credit_limit: Decimal
    currency: str

    @property
    def over_limit(self) -> bool:
        return self.credit_limit <= 0 or self.exposure_after > self.credit_limit


def figures_now(orders: list[Order]) -> dict[int, Figures]:
    """One SQL statement for every order's customer (``credit.exposure.exposures_for``)."""
    customers = {order.customer_id: order.customer for order in orders}
    exposures = exposures_for(customers.values())
    out = {}
    for order in orders:
        exposure = exposures[order.customer_id]
        before = exposure.committed
        if order.status == OrderStatus.RELEASED:
            before -= order.open_amount
        out[order.pk] = Figures(
            exposure_before=before,
            exposure_after=before + order.open_amount,
            credit_limit=order.customer.credit_limit,
            currency=exposure.currency,
        )
    return out


@dataclass
class QueueRow:
    order: Order
    figures: Figures
    overdue: Decimal
    age: datetime.timedelta
    covered: bool  # within the user's release authority

    @property
    def age_text(self) -> str:
        minutes = int(self.age.total_seconds() // 60)
        if minutes < 60:
            return f"{minutes} min"
        hours = minutes // 60
        if hours < 24:
            return f"{hours} h"
        return f"{hours // 24} d {hours % 24} h"


def over_authority_q(user, *, day: datetime.date) -> Q:
    """Orders whose amount, in the reporting currency at the day's rate, is above the user's
    release authority (``Authority.covers`` in SQL): no authority, or no rate for the
    order's currency, covers nothing."""
    authority = Authority.of(user, day=day)
    if authority.held is None:
        return Q(pk__isnull=False)
    whens = []
    for code in Currency.objects.values_list("code", flat=True):
        rate = authority.book.rate(code, day)
        if rate is not None:
            whens.append(When(currency_id=code, then=F("amount") * Value(rate)))
    if not whens:
        return Q(pk__isnull=False)
    in_reporting = Case(*whens, default=None, output_field=DecimalField())
    return Q(
        pk__in=Order.objects.alias(in_reporting=in_reporting)
        .filter(Q(in_reporting__gt=authority.held) | Q(in_reporting__isnull=True))
        .values("pk")
    )


def release_queue(
    user, *, orders: QuerySet[Order] | None = None, limit: int = QUEUE_PAGE_SIZE
) -> list[QueueRow]:
    """Held orders (``orders``, already filtered and sorted, or by requested ship date then
    the larger first), with their exposure now; a constant number of queries (orders,
    overdue per customer, exposure, authority and rates) whatever the length."""
    if orders is None:
        orders = held_orders_for(user).order_by("requested_ship_date", "-amount", "pk")
    orders = list(orders.select_related("customer", "currency", "assigned_to")[:limit])
    today = timezone.localdate()
    overdue = dict(
        Invoice.objects.filter(
            customer_id__in={order.customer_id for order in orders},
            open_amount__gt=0,
            due_date__lt=today - datetime.timedelta(days=overdue_days()),
            currency_id=F("customer__currency_id"),
        )
        .values("customer_id")
        .annotate(open=Sum("open_amount"))
        .values_list("customer_id", "open")
    )
    authority = Authority.of(user, day=today)
    figures = figures_now(orders)
    now = timezone.now()
    return [
        QueueRow(
            order=order,
            figures=figures[order.pk],
            overdue=overdue.get(order.customer_id, Decimal("0.00")),
            age=now - order.created_at,
            covered=authority.covers(order.amount, order.currency_id),
        )
        for order in orders
    ]
