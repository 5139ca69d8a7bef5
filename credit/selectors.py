"""Reads for credit control: authority, the inbox, an account's credit history.

Exposure has its own module (``credit.exposure``); it is re-exported here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet, Value
from django.db.models.fields import CharField, DateTimeField
from django.db.models.functions import Cast
from django.utils import timezone

from accounts import roles
from accounts.fx import RateBook
from accounts.models import Customer
from accounts.selectors import customers_for
from collections_app.models import Escalation, EscalationStatus
from disputes.models import Dispute
from disputes.selectors import breached_disputes_for
from orders.models import Order, OrderStatus

from .exposure import Exposure, exposure_for, exposures_for
from .models import (
    ApplicationStatus,
    CreditApplication,
    CreditAuthority,
    CreditChange,
    CreditReviewDate,
    HoldRuleAction,
    HoldRuleHit,
    LimitChangeRequest,
    LimitRequestStatus,
)

__all__ = [
    "Exposure",
    "exposure_for",
    "exposures_for",
]

# Who may be forwarded a limit above someone else's authority.
DECIDING_ROLES = (roles.CREDIT_MANAGER, roles.ADMIN)
INBOX_PAGE_SIZE = 200


def in_reporting_currency(amount, currency: str, day: datetime.date, book: RateBook | None = None):
    """``amount`` of ``currency`` in the reporting currency, None when no rate is in force."""
    book = book or RateBook.load(until=day)
    rate = book.rate(currency, day)
    return None if rate is None else amount * rate


@dataclass
class Authority:
    """A user's credit authority in the reporting currency on a day, loaded once for many
    comparisons (the release queue compares it with every order on the page). No
    authority, or one whose currency has no rate in force, covers nothing above zero."""

    book: RateBook
    day: datetime.date
    held: Decimal | None

    @classmethod
    def of(cls, user, *, day: datetime.date) -> Authority:
        row = CreditAuthority.objects.filter(user=user).first() if user else None
        if row is None:  # covers nothing above zero: no rates to load
            return cls(book=RateBook([]), day=day, held=None)
        book = RateBook.load(until=day)
        held = in_reporting_currency(row.amount, row.currency_id, day, book)
        return cls(book=book, day=day, held=held)

    def covers(self, amount: Decimal, currency: str) -> bool:
        if amount <= 0:
            return True
        wanted = in_reporting_currency(amount, currency, self.day, self.book)
        return self.held is not None and wanted is not None and self.held >= wanted


def authority_covers(user, *, amount, currency: str, day: datetime.date | None = None) -> bool:
    """Whether ``user`` may set a limit of ``amount`` ``currency`` on their own authority."""
    if amount <= 0:
        return True  # before loading rates: the services ask this under their locks
    return Authority.of(user, day=day or timezone.localdate()).covers(amount, currency)


def approver_for(*, amount, currency: str, exclude=None, day: datetime.date | None = None):
    """The active credit manager or admin with the lowest authority that covers the amount
    (ties: by username); None when nobody's does."""
    day = day or timezone.localdate()
    book = RateBook.load(until=day)
    wanted = in_reporting_currency(amount, currency, day, book)
    if wanted is None:
        return None
    authorities = CreditAuthority.objects.filter(
        user__is_active=True, user__groups__name__in=DECIDING_ROLES
    ).select_related("user")
    if exclude is not None:
        authorities = authorities.exclude(user=exclude)
    candidates = []
    for authority in authorities.distinct():
        held = in_reporting_currency(authority.amount, authority.currency_id, day, book)
        if held is not None and held >= wanted:
            candidates.append((held, authority.user.get_username(), authority.user))
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c[0], c[1]))[2]


def credit_history(customer: Customer) -> QuerySet[CreditChange]:
    return CreditChange.objects.filter(customer=customer).select_related(
        "actor", "currency", "request", "request__requested_by"
    )


def pending_limit_request(customer: Customer) -> LimitChangeRequest | None:
    return (
        LimitChangeRequest.objects.filter(customer=customer, status=LimitRequestStatus.PENDING)
        .select_related("requested_by", "assigned_to", "currency")
        .first()
    )


def open_escalation(customer: Customer) -> Escalation | None:
    return (
        Escalation.objects.filter(customer=customer, status=EscalationStatus.OPEN)
        .select_related("raised_by", "assigned_to")
        .first()
    )


def _inbox_escalations(user) -> QuerySet[Escalation]:
    """Open escalations waiting for the credit team: assigned to a credit manager, or to
    nobody (raised while there was none)."""
    customers = customers_for(user)
    return Escalation.objects.filter(
        Q(assigned_to__isnull=True) | Q(assigned_to__groups__name=roles.CREDIT_MANAGER),
        status=EscalationStatus.OPEN,
        customer__in=customers.values("pk"),
    )


def _inbox_requests(user) -> QuerySet[LimitChangeRequest]:
    return LimitChangeRequest.objects.filter(
        status=LimitRequestStatus.PENDING, customer__in=customers_for(user).values("pk")
    )


def _inbox_orders(user) -> QuerySet[Order]:
    """Held orders (docs/orders.md); the release queue has them with their figures."""
    return Order.objects.filter(
        status=OrderStatus.HELD, customer__in=customers_for(user).values("pk")
    )


def _inbox_disputes(user) -> QuerySet[Dispute]:
    """Disputes past their SLA (docs/disputes.md), in the user's reach."""
    return breached_disputes_for(user)


def _inbox_reviews(user) -> QuerySet[CreditReviewDate]:
    """Credit reviews due (``credit.reviews``), in the user's reach."""
    return CreditReviewDate.objects.filter(
        next_review_on__lte=timezone.localdate(), customer__in=customers_for(user).values("pk")
    )


def _inbox_notices(user) -> QuerySet[HoldRuleHit]:
    """Hits of "only notify" hold rules not noted yet, while their condition still holds."""
    return HoldRuleHit.objects.filter(
        rule__action=HoldRuleAction.NOTIFY,
        acknowledged_at__isnull=True,
        cleared_at__isnull=True,
        customer__in=customers_for(user).values("pk"),
    )


def _inbox_applications(user) -> QuerySet[CreditApplication]:
    """Credit applications of new customers waiting for a decision (no portfolio yet)."""
    return CreditApplication.objects.filter(status=ApplicationStatus.PENDING)


def inbox_rows(user) -> QuerySet:
    """One row per inbox item, not run: the navigation counts it with its other badges."""
    escalations = _inbox_escalations(user).values("pk")
    return escalations.union(
        _inbox_requests(user).values("pk"),
        _inbox_orders(user).values("pk"),
        _inbox_disputes(user).order_by().values("pk"),
        _inbox_reviews(user).values("pk"),
        _inbox_applications(user).values("pk"),
        _inbox_notices(user).values("pk"),
        all=True,
    )


def inbox_count(user) -> int:
    """One query."""
    return inbox_rows(user).count()


@dataclass
class InboxItem:
    kind: str  # escalation, limit_request, order, dispute, review, application, notice
    at: datetime.datetime
    customer: Customer | None
    escalation: Escalation | None = None
    request: LimitChangeRequest | None = None
    order: Order | None = None
    dispute: Dispute | None = None
    review: CreditReviewDate | None = None
    application: CreditApplication | None = None
    notice: HoldRuleHit | None = None

    @property
    def label(self) -> str:
        return {
            "escalation": "Escalation",
            "limit_request": "Limit change request",
            "order": "Held order",
            "dispute": "Dispute past its SLA",
            "review": "Credit review due",
            "application": "Credit application",
            "notice": "Hold rule notice",
        }[self.kind]


def inbox_for(user, *, limit: int | None = None) -> list[InboxItem]:
    """Everything waiting for a credit decision, oldest first (a dispute past its SLA from
    its due date): one UNION for the order, then one query per kind for the rows."""
    limit = limit or INBOX_PAGE_SIZE
    escalations = (
        _inbox_escalations(user)
        .annotate(item_kind=Value("escalation", output_field=CharField()), at=F("raised_at"))
        .values_list("item_kind", "pk", "at")
    )
    requests = (
        _inbox_requests(user)
        .annotate(item_kind=Value("limit_request", output_field=CharField()), at=F("created_at"))
        .values_list("item_kind", "pk", "at")
    )
    orders = (
        _inbox_orders(user)
        .annotate(item_kind=Value("order", output_field=CharField()), at=F("created_at"))
        .values_list("item_kind", "pk", "at")
    )
    disputes = (
        _inbox_disputes(user)
        .order_by()
        .annotate(
            item_kind=Value("dispute", output_field=CharField()),
            at=Cast(F("due_date"), DateTimeField()),
        )
        .values_list("item_kind", "pk", "at")
    )
    reviews = (
        _inbox_reviews(user)
        .annotate(
            item_kind=Value("review", output_field=CharField()),
            at=Cast(F("next_review_on"), DateTimeField()),
        )
        .values_list("item_kind", "pk", "at")
    )
    applications = (
        _inbox_applications(user)
        .annotate(item_kind=Value("application", output_field=CharField()), at=F("submitted_at"))
        .values_list("item_kind", "pk", "at")
    )
    notices = (
        _inbox_notices(user)
        .annotate(item_kind=Value("notice", output_field=CharField()), at=F("fired_at"))
        .values_list("item_kind", "pk", "at")
    )
    ordered = list(
        escalations.union(
            requests, orders, disputes, reviews, applications, notices, all=True
        ).order_by("at", "pk")[:limit]
    )
    escalation_rows = Escalation.objects.select_related(
        "customer", "customer__currency", "raised_by", "assigned_to"
    ).in_bulk([pk for kind, pk, _ in ordered if kind == "escalation"])
    request_rows = LimitChangeRequest.objects.select_related(
        "customer", "customer__currency", "requested_by", "assigned_to", "currency"
    ).in_bulk([pk for kind, pk, _ in ordered if kind == "limit_request"])
    order_rows = Order.objects.select_related(
        "customer", "customer__currency", "assigned_to", "currency"
    ).in_bulk([pk for kind, pk, _ in ordered if kind == "order"])
    dispute_rows = Dispute.objects.select_related(
        "customer", "customer__currency", "reason", "assignee"
    ).in_bulk([pk for kind, pk, _ in ordered if kind == "dispute"])
    review_rows = CreditReviewDate.objects.select_related("customer", "customer__currency").in_bulk(
        [pk for kind, pk, _ in ordered if kind == "review"]
    )
    application_rows = CreditApplication.objects.select_related(
        "assigned_to", "requested_terms"
    ).in_bulk([pk for kind, pk, _ in ordered if kind == "application"])
    notice_ids = [pk for kind, pk, _ in ordered if kind == "notice"]
    notice_rows = (
        HoldRuleHit.objects.select_related("rule", "customer", "customer__currency").in_bulk(
            notice_ids
        )
        if notice_ids
        else {}
    )
    items = []
    for kind, pk, at in ordered:
        if kind == "notice":
            row = notice_rows[pk]
            items.append(InboxItem(kind, at, row.customer, notice=row))
        elif kind == "application":
            items.append(InboxItem(kind, at, None, application=application_rows[pk]))
        elif kind == "review":
            row = review_rows[pk]
            items.append(InboxItem(kind, at, row.customer, review=row))
        elif kind == "dispute":
            row = dispute_rows[pk]
            items.append(InboxItem(kind, at, row.customer, dispute=row))
        elif kind == "escalation":
            row = escalation_rows[pk]
            items.append(InboxItem(kind, at, row.customer, escalation=row))
        elif kind == "order":
            row = order_rows[pk]
            items.append(InboxItem(kind, at, row.customer, order=row))
        else:
            row = request_rows[pk]
            items.append(InboxItem(kind, at, row.customer, request=row))
    return items


def deciders() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=DECIDING_ROLES)
        .distinct()
        .order_by("username")
    )
