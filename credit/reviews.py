"""Periodic credit reviews (docs/credit.md): each customer's next review date by its risk
class, the reviews due, and the service that records a review and its decision.

Intervals are months per risk class, ``settings.CREDIT_REVIEW_MONTHS`` (default high 1,
medium 3, low 12; an account not scored yet counts as medium).
"""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.models import Customer, PaymentTerms
from accounts.money import to_money
from accounts.selectors import customers_for
from accounts.services import customer_update
from collections_app.models import ActivityKind
from collections_app.services.activities import activity_add

from .exposure import exposure_for
from .models import (
    CreditReview,
    CreditReviewDate,
    CustomerRisk,
    LimitChangeRequest,
    LimitRequestStatus,
    RiskClass,
)
from .services import _lock, credit_limit_set

DEFAULT_MONTHS = {RiskClass.HIGH: 1, RiskClass.MEDIUM: 3, RiskClass.LOW: 12}
UNSCORED_CLASS = RiskClass.MEDIUM


def review_months() -> dict[str, int]:
    configured = getattr(settings, "CREDIT_REVIEW_MONTHS", None) or {}
    return {cls: int(configured.get(cls, months)) for cls, months in DEFAULT_MONTHS.items()}


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review_for(customer: Customer, *, after: datetime.date) -> datetime.date:
    risk = CustomerRisk.objects.filter(customer=customer).values_list("risk_class", flat=True)
    risk_class = risk.first() or UNSCORED_CLASS
    return add_months(after, review_months()[risk_class])


# Every customer without a date gets one (from when it was created); a date further away
# than the class now allows is brought forward. Two statements, whatever the book's size.
SCHEDULE_SQL = """
WITH wanted AS (
    SELECT c.id AS customer_id,
           (COALESCE(d.last_reviewed_on, c.created_at::date)
            + make_interval(months => CASE COALESCE(r.risk_class, %(unscored)s)
                                          WHEN 'high' THEN %(high)s
                                          WHEN 'medium' THEN %(medium)s
                                          ELSE %(low)s END))::date AS next_review_on
    FROM accounts_customer c
    LEFT JOIN credit_customerrisk r ON r.customer_id = c.id
    LEFT JOIN credit_creditreviewdate d ON d.customer_id = c.id
)
INSERT INTO credit_creditreviewdate (customer_id, next_review_on, last_reviewed_on)
SELECT customer_id, next_review_on, NULL FROM wanted
ON CONFLICT (customer_id) DO UPDATE
    SET next_review_on = LEAST(credit_creditreviewdate.next_review_on, EXCLUDED.next_review_on)
    WHERE EXCLUDED.next_review_on < credit_creditreviewdate.next_review_on
"""


def review_dates_refresh() -> int:
    """Nightly, after the risk score: give every customer its next review date, and bring
    forward those whose class now asks for a shorter interval. Safe to run twice."""
    months = review_months()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            SCHEDULE_SQL,
            {
                "unscored": UNSCORED_CLASS,
                "high": months[RiskClass.HIGH],
                "medium": months[RiskClass.MEDIUM],
                "low": months[RiskClass.LOW],
            },
        )
        return cursor.rowcount


def reviews_due_for(user, *, day: datetime.date | None = None) -> QuerySet[CreditReviewDate]:
    day = day or timezone.localdate()
    return CreditReviewDate.objects.filter(
        next_review_on__lte=day, customer__in=customers_for(user).values("pk")
    )


def review_due(customer: Customer) -> CreditReviewDate | None:
    return CreditReviewDate.objects.filter(customer=customer).first()


def review_history(customer: Customer) -> QuerySet[CreditReview]:
    return CreditReview.objects.filter(customer=customer).select_related(
        "reviewed_by", "terms_before", "terms_after", "limit_request"
    )


def credit_review_record(
    *,
    actor,
    customer: Customer,
    financials: str,
    limit: Decimal | str,
    terms: PaymentTerms,
    comment: str = "",
    next_review_on: datetime.date | None = None,
) -> CreditReview:
    """Record a review: what was seen (risk, exposure, the reviewer's summary of the
    financials) and the decision on limit and terms; set the next review date.

    A changed limit goes through ``credit_limit_set`` (authority, forwarding, history); a
    changed term through the audited account service. The next date defaults to the risk
    class's interval from today.
    """
    financials = (financials or "").strip()
    if not financials:
        raise ServiceError("summarise the financials you reviewed", field="financials")
    today = timezone.localdate()
    if next_review_on is not None and next_review_on <= today:
        raise ServiceError("the next review must be after today", field="next_review_on")
    comment = (comment or "").strip()
    limit = to_money(limit, field="limit")
    with transaction.atomic():
        locked = _lock(customer)
        # under the account's lock, as credit_limit_set forwards a request under it
        if LimitChangeRequest.objects.filter(
            customer=locked, status=LimitRequestStatus.PENDING
        ).exists():
            raise ServiceError(
                "decide the pending limit request first", field="limit", code="pending"
            )
        schedule = CreditReviewDate.objects.select_for_update().filter(customer=locked).first()
        risk = CustomerRisk.objects.filter(customer=locked).first()
        exposure = exposure_for(locked)
        limit_before, terms_before = locked.credit_limit, locked.payment_terms
        request = None
        if limit != limit_before:
            result = credit_limit_set(
                actor=actor,
                customer=locked,
                limit=limit,
                reason="financial_statements",
                comment=f"Credit review. {comment}".strip(),
            )
            if isinstance(result, LimitChangeRequest):
                request = result
        if terms.pk != terms_before.pk:
            customer_update(actor=actor, customer=locked, payment_terms=terms)
        next_on = next_review_on or next_review_for(locked, after=today)
        review = CreditReview.objects.create(
            customer=locked,
            due_on=schedule.next_review_on if schedule else today,
            reviewed_by=actor if getattr(actor, "is_authenticated", False) else None,
            risk_class=risk.risk_class if risk else "",
            risk_score=risk.score if risk else None,
            exposure=exposure.total,
            currency_id=locked.currency_id,
            financials=financials,
            limit_before=limit_before,
            limit_after=limit,
            limit_request=request,
            terms_before=terms_before,
            terms_after=terms,
            comment=comment,
            next_review_on=next_on,
        )
        CreditReviewDate.objects.update_or_create(
            customer=locked, defaults={"next_review_on": next_on, "last_reviewed_on": today}
        )
        decision = []
        if request is not None:
            decision.append(
                f"limit {format_amount(request.requested_limit, locked.currency_id)} requested"
            )
        elif review.limit_after != limit_before:
            decision.append(f"limit {format_amount(review.limit_after, locked.currency_id)}")
        if terms.pk != terms_before.pk:
            decision.append(f"terms {terms}")
        activity_add(
            actor=actor,
            customer=locked,
            kind=ActivityKind.CREDIT,
            summary=(
                f"Credit review: {', '.join(decision) or 'limit and terms kept'}; "
                f"next review {next_on.isoformat()}"
            ),
            note=comment,
        )
        audit_record(
            actor=actor,
            action="credit.review_record",
            instance=review,
            after={
                "customer": locked.pk,
                "limit_before": str(limit_before),
                "limit_after": str(review.limit_after),
                "limit_request": request.pk if request else None,
                "terms_before": terms_before.pk,
                "terms_after": terms.pk,
                "next_review_on": next_on.isoformat(),
            },
        )
    return review
