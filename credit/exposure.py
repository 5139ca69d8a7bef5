"""Exposure: what a customer, and every account below it, owes us or soon will.

exposure = open AR + open orders not yet invoiced - unapplied credits (payments and credit
memos not yet applied), over the customer and its whole tree of child accounts, in the
customer's currency. A customer's limit covers itself and every account below it, so a limit
set on a group's head is measured against the whole group.

Amounts in another currency are converted at the rate in force on the day
(``accounts.fx.RateBook``, through the reporting currency); a currency with no rate is left
out and listed in ``missing_rates``, never counted 1:1.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils import timezone

from accounts.fx import RateBook
from accounts.models import Customer

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# One row per (root customer, currency): the root's tree walked by a recursive CTE.
# UNION (not UNION ALL) keeps a parent loop, should one ever slip past the service, finite.
EXPOSURE_SQL = """
WITH RECURSIVE tree(root_id, customer_id) AS (
    SELECT c.id, c.id FROM accounts_customer c WHERE c.id = ANY(%(ids)s)
    UNION
    SELECT tree.root_id, child.id
    FROM accounts_customer child
    JOIN tree ON child.parent_id = tree.customer_id
),
amounts AS (
    -- each account of the tree reaches its own rows by index (LATERAL): the planner's guess
    -- for the recursive tree is hundreds of rows, and with a plain join it hashes whole
    -- tables for a page of 50 accounts (docs/credit.md, "Measures")
    SELECT tree.root_id, a.currency_id, a.open_ar, a.unapplied, a.open_orders, a.held_orders
    FROM tree
    CROSS JOIN LATERAL (
        SELECT i.currency_id, i.open_amount AS open_ar, 0::numeric AS unapplied,
               0::numeric AS open_orders, 0::numeric AS held_orders
        FROM invoices_invoice i
        WHERE i.customer_id = tree.customer_id AND i.open_amount > 0
        UNION ALL
        -- a payment the bank returned (void) keeps its amount unapplied but is no credit
        SELECT p.currency_id, 0, p.unapplied_amount, 0, 0
        FROM invoices_payment p
        WHERE p.customer_id = tree.customer_id AND p.unapplied_amount > 0
          AND p.status = 'posted'
        UNION ALL
        SELECT m.currency_id, 0, m.unapplied_amount, 0, 0
        FROM invoices_creditmemo m
        WHERE m.customer_id = tree.customer_id AND m.unapplied_amount > 0
        UNION ALL
        -- open orders not yet invoiced: held or released (orders.models.OPEN_STATUSES),
        -- credit promised or waiting to be; the held part apart, since a release decision
        -- measures itself against the orders already released (docs/orders.md); only the
        -- part not invoiced yet: invoices naming the order carry the rest in open_ar
        SELECT o.currency_id, 0, 0, o.amount - o.invoiced_amount,
               CASE WHEN o.status = 'held' THEN o.amount - o.invoiced_amount ELSE 0 END
        FROM orders_order o
        WHERE o.customer_id = tree.customer_id AND o.status IN ('held', 'released')
    ) a
),
sizes AS (SELECT root_id, COUNT(*) AS accounts FROM tree GROUP BY root_id)
SELECT sizes.root_id, sizes.accounts, a.currency_id,
       COALESCE(SUM(a.open_ar), 0), COALESCE(SUM(a.unapplied), 0),
       COALESCE(SUM(a.open_orders), 0), COALESCE(SUM(a.held_orders), 0)
FROM sizes
LEFT JOIN amounts a ON a.root_id = sizes.root_id
GROUP BY sizes.root_id, sizes.accounts, a.currency_id
"""


@dataclass
class Exposure:
    customer_id: int
    currency: str
    credit_limit: Decimal
    accounts: int = 1  # the customer and every account below it
    open_ar: Decimal = ZERO
    open_orders: Decimal = ZERO  # held + released, not yet invoiced or cancelled
    held_orders: Decimal = ZERO  # the held part of open_orders
    unapplied_credits: Decimal = ZERO
    missing_rates: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.open_ar + self.open_orders - self.unapplied_credits

    @property
    def committed(self) -> Decimal:
        """The total without held orders: what a release decision adds its order to."""
        return self.total - self.held_orders

    @property
    def available(self) -> Decimal:
        return self.credit_limit - self.total

    @property
    def used_pct(self) -> int | None:
        """Share of the limit in use, None when no limit is set (a limit of zero)."""
        if self.credit_limit <= 0:
            return None
        return int((100 * self.total / self.credit_limit).quantize(1, rounding=ROUND_HALF_UP))

    @property
    def over_limit(self) -> bool:
        return self.credit_limit > 0 and self.total > self.credit_limit

    @property
    def is_group(self) -> bool:
        return self.accounts > 1


def exposures_for(
    customers: Iterable[Customer], *, day: datetime.date | None = None
) -> dict[int, Exposure]:
    """Exposure of many customers at once: one SQL statement and one load of the rates."""
    customers = list(customers)
    if not customers:
        return {}
    day = day or timezone.localdate()
    out = {
        c.pk: Exposure(customer_id=c.pk, currency=c.currency_id, credit_limit=c.credit_limit)
        for c in customers
    }
    with connection.cursor() as cursor:
        cursor.execute(EXPOSURE_SQL, {"ids": list(out)})
        rows = cursor.fetchall()
    book: RateBook | None = None  # loaded only if some amount is in another currency
    for root_id, accounts, currency, open_ar, unapplied, orders, held in rows:
        exposure = out[root_id]
        exposure.accounts = accounts
        if currency is None:
            continue
        if book is None and currency != exposure.currency:
            book = RateBook.load(until=day)
        converted = _convert(
            book, day, currency, exposure.currency, [open_ar, unapplied, orders, held]
        )
        if converted is None:
            if currency not in exposure.missing_rates:
                exposure.missing_rates.append(currency)
                exposure.missing_rates.sort()
            continue
        exposure.open_ar += converted[0]
        exposure.unapplied_credits += converted[1]
        exposure.open_orders += converted[2]
        exposure.held_orders += converted[3]
    return out


def exposure_for(customer: Customer, *, day: datetime.date | None = None) -> Exposure:
    return exposures_for([customer], day=day)[customer.pk]


def _convert(
    book: RateBook | None, day: datetime.date, source: str, target: str, amounts: list[Decimal]
) -> list[Decimal] | None:
    """Amounts in ``source`` expressed in ``target``, via the reporting currency."""
    if source == target:
        return [Decimal(a).quantize(CENT) for a in amounts]
    to_reporting = book.rate(source, day)
    target_rate = book.rate(target, day)
    if to_reporting is None or target_rate is None:
        return None
    return [
        (Decimal(a) * to_reporting / target_rate).quantize(CENT, rounding=ROUND_HALF_UP)
        for a in amounts
    ]
