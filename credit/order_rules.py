"""The rules that hold an order for credit review, each giving a reason in a code and in
words (docs/orders.md). They read; ``credit.order_services`` decides and writes.

An order is held when any rule gives a reason:

- ``account_stop`` / ``account_hold``: the account's credit status;
- ``no_limit``: no credit limit is set (a limit of zero);
- ``over_limit``: the exposure after the order passes the account's limit (by how much);
  ``group_over_limit`` the same for an account above it, whose limit covers its tree;
- ``missing_rate``: part of the exposure is in a currency with no rate today;
- ``overdue``: invoices more than ``ORDER_HOLD_OVERDUE_DAYS`` past due, together above
  ``ORDER_HOLD_OVERDUE_AMOUNT`` (in the reporting currency, converted into the account's
  at today's rate; with no rate for it, nothing overdue is allowed);
- ``broken_promise``: a promise to pay broken in the last ``ORDER_HOLD_BROKEN_PROMISE_DAYS``;
- ``risk_high``: the account's nightly risk class is high (``credit.risk``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.fx import RateBook, reporting_currency
from accounts.locale_format import format_amount
from accounts.models import CreditStatus, Customer
from accounts.money import CENT, ZERO
from collections_app.models import Promise, PromiseStatus
from invoices.models import Invoice
from orders.models import Order, OrderStatus

from .exposure import exposures_for
from .risk import risk_of

# The reasons a person may override only by confirming an over-limit release.
LIMIT_REASONS = {"no_limit", "over_limit", "group_over_limit", "missing_rate"}


@dataclass
class Judgement:
    currency: str
    credit_limit: Decimal
    exposure_before: Decimal
    exposure_after: Decimal
    reasons: list[dict] = field(default_factory=list)

    @property
    def codes(self) -> set[str]:
        return {reason["code"] for reason in self.reasons}

    @property
    def over_limit(self) -> bool:
        return bool(self.codes & LIMIT_REASONS)


def overdue_days() -> int:
    return int(getattr(settings, "ORDER_HOLD_OVERDUE_DAYS", 60))


def overdue_amount_allowed() -> Decimal:
    return Decimal(str(getattr(settings, "ORDER_HOLD_OVERDUE_AMOUNT", "0.00")))


def broken_promise_days() -> int:
    return int(getattr(settings, "ORDER_HOLD_BROKEN_PROMISE_DAYS", 90))


def order_judge(
    *,
    customer: Customer,
    chain: list[Customer],
    amount: Decimal,
    order: Order | None = None,
    day: datetime.date | None = None,
) -> Judgement:
    """Run every rule for an order of ``amount`` (in the customer's currency).

    ``chain`` is the customer and every account above it (their limits cover it).
    Exposure before the order counts AR and released orders, not other held ones: those
    are measured when they are released. An existing order's own open part is taken out
    first; ``amount`` is what the order would add (for a partly invoiced order, its part
    not yet invoiced).
    """
    day = day or timezone.localdate()
    exposures = exposures_for(chain, day=day)
    book = RateBook.load(until=day)
    own = exposures[customer.pk]
    before = own.committed
    if order is not None and order.status == OrderStatus.RELEASED:
        before -= order.open_amount
    judgement = Judgement(
        currency=customer.currency_id,
        credit_limit=customer.credit_limit,
        exposure_before=before,
        exposure_after=before + amount,
    )
    reasons = judgement.reasons
    currency = customer.currency_id
    if customer.credit_status == CreditStatus.STOP:
        reasons.append({"code": "account_stop", "text": "The account is on stop: no credit."})
    elif customer.credit_status == CreditStatus.HOLD:
        reasons.append({"code": "account_hold", "text": "The account is on credit hold."})
    if customer.credit_limit <= 0:
        reasons.append({"code": "no_limit", "text": "No credit limit is set on the account."})
    elif judgement.exposure_after > customer.credit_limit:
        excess = judgement.exposure_after - customer.credit_limit
        reasons.append(
            {
                "code": "over_limit",
                "text": (
                    f"Exposure after this order {format_amount(judgement.exposure_after, currency)}"
                    f" is over the limit {format_amount(customer.credit_limit, currency)} by "
                    f"{format_amount(excess, currency)}."
                ),
                "over_by": str(excess),
            }
        )
    for account in chain:
        if account.pk == customer.pk or account.credit_limit <= 0:
            continue
        group = exposures[account.pk]
        added = _convert(book, day, amount, currency, account.currency_id)
        if added is None:
            group.missing_rates.append(currency)
            continue
        group_before = group.committed
        if order is not None and order.status == OrderStatus.RELEASED:
            group_before -= _convert(book, day, order.open_amount, currency, account.currency_id)
        group_after = group_before + added
        if group_after > account.credit_limit:
            excess = group_after - account.credit_limit
            reasons.append(
                {
                    "code": "group_over_limit",
                    "text": (
                        f"The group limit of {account.name} "
                        f"({format_amount(account.credit_limit, account.currency_id)}) is passed "
                        f"by {format_amount(excess, account.currency_id)}."
                    ),
                    "over_by": str(excess),
                }
            )
    missing = sorted({code for account in chain for code in exposures[account.pk].missing_rates})
    if missing:
        reasons.append(
            {
                "code": "missing_rate",
                "text": (
                    f"No exchange rate today for {', '.join(missing)}: the exposure cannot be "
                    "measured in full."
                ),
            }
        )
    overdue = _overdue_reason(customer, book, day)
    if overdue:
        reasons.append(overdue)
    broken = _broken_promise_reason(customer, day)
    if broken:
        reasons.append(broken)
    risky = _risk_high_reason(customer)
    if risky:
        reasons.append(risky)
    return judgement


def _overdue_reason(customer: Customer, book: RateBook, day: datetime.date) -> dict | None:
    days = overdue_days()
    rows = (
        Invoice.objects.filter(
            customer=customer,
            open_amount__gt=0,
            due_date__lt=day - datetime.timedelta(days=days),
        )
        .values("currency_id")
        .annotate(open=Sum("open_amount"), count=Count("pk"))
        .order_by("currency_id")
    )
    total = ZERO
    count = 0
    unrated = []  # no rate today: named in its own currency, never added 1:1
    for row in rows:
        converted = _convert(book, day, row["open"], row["currency_id"], customer.currency_id)
        if converted is None:
            unrated.append(format_amount(row["open"], row["currency_id"]))
        else:
            total += converted
        count += row["count"]
    allowed = _convert(
        book, day, overdue_amount_allowed(), reporting_currency(), customer.currency_id
    )
    # an amount that cannot be converted cannot be shown to be within the allowance, nor
    # can anything be within an allowance that has no rate into the account's currency
    if count == 0 or (total <= (allowed or ZERO) and not unrated):
        return None
    invoices = "1 invoice" if count == 1 else f"{count} invoices"
    also = f"; {', '.join(unrated)} more with no exchange rate today" if unrated else ""
    return {
        "code": "overdue",
        "text": (
            f"{invoices} more than {days} days past due, "
            f"{format_amount(total, customer.currency_id)} open{also}."
        ),
        "amount": str(total),
    }


def _broken_promise_reason(customer: Customer, day: datetime.date) -> dict | None:
    days = broken_promise_days()
    promise = (
        Promise.objects.filter(
            customer=customer,
            status=PromiseStatus.BROKEN,
            promised_date__gte=day - datetime.timedelta(days=days),
        )
        .order_by("-promised_date", "-id")
        .first()
    )
    if promise is None:
        return None
    return {
        "code": "broken_promise",
        "text": (
            f"A promise to pay {format_amount(promise.amount, promise.currency_id)} by "
            f"{promise.promised_date.isoformat()} was broken (within the last {days} days)."
        ),
    }


def _convert(
    book: RateBook, day: datetime.date, amount: Decimal, source: str, target: str
) -> Decimal | None:
    if source == target:
        return amount
    source_rate = book.rate(source, day)
    target_rate = book.rate(target, day)
    if source_rate is None or target_rate is None:
        return None
    return (amount * source_rate / target_rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _risk_high_reason(customer: Customer) -> dict | None:
    risk = risk_of(customer)
    if risk is None or risk.risk_class != "high":
        return None
    return {
        "code": "risk_high",
        "text": f"The account's risk class is high: {'; '.join(risk.factors) or 'see its score'}.",
    }
