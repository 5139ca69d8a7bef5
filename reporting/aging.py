"""Aging as of any date, rebuilt from the ledger in SQL.

An invoice counts if it was issued on or before ``as_of``; its open amount then is its
amount less the applications (reversals included) and adjustments effective on or before
``as_of``. Because the stored ``open_amount`` is amount less *every* application and
adjustment (a database invariant checked nightly), the same figure is
``open_amount + Σ movements effective after as_of``. For a recent as_of that form starts
from the 200k open invoices and the few later movements instead of re-summing the whole
ledger; for an older one the textbook sum reads less. Either way the same function, the
same buckets, FX and grouping; ``tests/reporting/test_aging_reconciliation.py`` proves both
forms equal the plain ledger sum on random ledgers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from .fx import missing_rate, rates_on, rates_sql, reporting_currency

BUCKETS = ("current", "1_30", "31_60", "61_90", "91_120", "over_120")
BUCKET_LABELS = {
    "current": "Current",
    "1_30": "1\u201330",
    "31_60": "31\u201360",
    "61_90": "61\u201390",
    "91_120": "91\u2013120",
    "over_120": "Over 120",
}
BASES = ("due", "invoice")
GROUPINGS = ("customer", "collector", "currency", "parent")
ZERO = Decimal("0.00")

# days past due (basis "due") or since issue (basis "invoice") → bucket
# The f-strings below interpolate only fixed fragments from this module and SQL compiled
# by the ORM; every value (dates, ids, rates) travels as a parameter.
BUCKET_SQL = """CASE WHEN {days} <= 0 THEN 'current' WHEN {days} <= 30 THEN '1_30'
    WHEN {days} <= 60 THEN '31_60' WHEN {days} <= 90 THEN '61_90'
    WHEN {days} <= 120 THEN '91_120' ELSE 'over_120' END"""

_GROUPS = {
    "customer": ("c.id::text", "c.name", ""),
    "collector": (
        "COALESCE(c.assigned_collector_id::text, '')",
        "COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username, 'Unassigned')",
        "LEFT JOIN auth_user u ON u.id = c.assigned_collector_id",
    ),
    "currency": ("it.currency_id", "it.currency_id", ""),
    "parent": (
        "p.id::text",
        "p.name",
        "JOIN accounts_customer p ON p.id = COALESCE(c.parent_id, c.id)",
    ),
}


# A report aggregates a few hundred thousand rows once: let its hashes stay in memory, and
# skip JIT compilation, which costs more than it saves on a query run once.
REPORT_SESSION = "SET LOCAL work_mem = '128MB'; SET LOCAL jit = off"

# Within this many days of today the few movements dated after as_of are cheaper to add
# back to the stored balances than the whole ledger up to as_of is to sum.
RECENT_DAYS = 92


@dataclass(frozen=True)
class AgingQuery:
    """What to age: the customers in reach (already scoped and filtered) and the options."""

    customers: QuerySet
    as_of: datetime.date
    basis: str = "due"
    currency: str | None = None
    rates: dict[str, Decimal] | None = None
    # True: only items an open dispute names (today's disputes, whatever as_of); False: only
    # items none names; None: all.
    in_dispute: bool | None = None
    # "forward" (Σ up to as_of) or "backward" (stored balance + Σ after as_of); both give
    # the same figures (tests/reporting/test_aging_reconciliation.py); None picks the cheaper.
    method: str | None = None

    def __post_init__(self):
        if self.basis not in BASES:
            raise ValueError(f"basis must be one of {BASES}")


@dataclass
class AgingRow:
    key: str
    label: str
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    total: Decimal = ZERO
    original: dict[str, Decimal] = field(default_factory=dict)
    items: int = 0


@dataclass
class Aging:
    as_of: datetime.date
    basis: str
    currency: str
    grouping: str
    buckets: dict[str, Decimal]
    total: Decimal
    rows: list[AgingRow]
    rates: dict[str, Decimal]
    items: int = 0


# An invoice is in dispute when an open dispute names it.
IN_OPEN_DISPUTE = """SELECT 1 FROM disputes_dispute_invoices di
    JOIN disputes_dispute d ON d.id = di.dispute_id
    WHERE di.invoice_id = i.id AND d.status = %s"""


def _counts_forward(query: AgingQuery) -> bool:
    if query.method is not None:
        return query.method == "forward"
    return query.as_of < timezone.localdate() - datetime.timedelta(days=RECENT_DAYS)


def _items_cte(query: AgingQuery, rates: dict[str, Decimal]) -> tuple[str, list]:
    """The open items as of the date, each with its days and bucket and converted amount."""
    scope_sql, scope_params = query.customers.order_by().values("id").query.sql_with_params()
    rate_sql, rate_params = rates_sql(rates)
    day_column = "i.due_date" if query.basis == "due" else "i.issue_date"
    days = f"(%s::date - {day_column})"
    currency_filter = "AND i.currency_id = %s" if query.currency else ""
    dispute_filter = (
        ""
        if query.in_dispute is None
        else f"AND {'' if query.in_dispute else 'NOT'} EXISTS ({IN_OPEN_DISPUTE})"
    )
    # Someone with the team view and no filter reaches every customer: no IN (...) needed.
    scoped = bool(query.customers.query.where)
    scope_filter = f"AND i.customer_id IN ({scope_sql})" if scoped else ""
    if not scoped:
        scope_params = ()
    item_columns = f"""i.id, i.number, i.customer_id, i.currency_id, i.issue_date, i.due_date,
               {days} AS days"""
    as_of = query.as_of
    filters = f"{scope_filter} {currency_filter} {dispute_filter}"
    branch = [
        as_of,
        as_of,
        *scope_params,
        *([query.currency] if query.currency else []),
        *([] if query.in_dispute is None else ["open"]),
    ]
    if _counts_forward(query):
        # amount - Σ movements effective on or before as_of: the textbook form.
        items, items_params = (
            f"""
    earlier AS (
        SELECT invoice_id, SUM(amount) AS amount FROM (
            SELECT invoice_id, amount FROM invoices_application WHERE effective_date <= %s
            UNION ALL
            SELECT invoice_id, amount FROM invoices_adjustment WHERE effective_date <= %s
        ) moves GROUP BY invoice_id
    ),
    items AS (
        SELECT {item_columns}, i.amount - COALESCE(e.amount, 0) AS open_amount
        FROM invoices_invoice i LEFT JOIN earlier e ON e.invoice_id = i.id
        WHERE i.issue_date <= %s AND i.amount - COALESCE(e.amount, 0) > 0 {filters}
    ),""",  # noqa: S608
            [as_of, as_of, *branch],
        )
    else:
        # open_amount + Σ movements effective after as_of: starts from the open-items index.
        items, items_params = (
            f"""
    later AS (
        SELECT invoice_id, SUM(amount) AS amount FROM (
            SELECT invoice_id, amount FROM invoices_application WHERE effective_date > %s
            UNION ALL
            SELECT invoice_id, amount FROM invoices_adjustment WHERE effective_date > %s
        ) moves GROUP BY invoice_id
    ),
    items AS (
        SELECT {item_columns}, i.open_amount + COALESCE(l.amount, 0) AS open_amount
        FROM invoices_invoice i LEFT JOIN later l ON l.invoice_id = i.id
        WHERE i.open_amount > 0 AND i.issue_date <= %s
              AND i.open_amount + COALESCE(l.amount, 0) > 0 {filters}
        UNION ALL
        SELECT {item_columns}, l.amount AS open_amount
        FROM later l JOIN invoices_invoice i ON i.id = l.invoice_id
        WHERE i.open_amount = 0 AND l.amount > 0 AND i.issue_date <= %s {filters}
    ),""",  # noqa: S608
            [as_of, as_of, *branch, *branch],
        )
    sql = f"""
    WITH rates AS ({rate_sql}),{items}
    converted AS (
        SELECT it.*, {BUCKET_SQL.format(days="it.days")} AS bucket,
               ROUND(it.open_amount * r.rate, 2) AS amount
        FROM items it LEFT JOIN rates r ON r.currency_id = it.currency_id
    )
    """  # noqa: S608
    return sql, [*rate_params, *items_params]


def aging(query: AgingQuery, *, grouping: str = "customer") -> Aging:
    """Bucket totals in the reporting currency, one row per group, in one SQL statement."""
    if grouping not in GROUPINGS:
        raise ValueError(f"grouping must be one of {GROUPINGS}")
    rates = query.rates if query.rates is not None else rates_on(query.as_of)
    cte, params = _items_cte(query, rates)
    key, label, join = _GROUPS[grouping]
    bucket_sums = ", ".join(
        f"SUM(it.amount) FILTER (WHERE it.bucket = '{b}') AS b_{b}" for b in BUCKETS
    )
    sql = f"""{cte}
    SELECT {key} AS key, {label} AS label, it.currency_id, SUM(it.open_amount) AS original,
           {bucket_sums}, COUNT(*) AS items, bool_or(it.amount IS NULL) AS missing
    FROM converted it JOIN accounts_customer c ON c.id = it.customer_id {join}
    GROUP BY 1, 2, 3
    ORDER BY 2, 1, 3
    """  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REPORT_SESSION)
        cursor.execute(sql, params)
        fetched = cursor.fetchall()

    rows: dict[str, AgingRow] = {}
    totals = dict.fromkeys(BUCKETS, ZERO)
    item_count = 0
    for row_key, row_label, currency, original, *sums, items, missing in fetched:
        if missing:
            raise missing_rate(currency, query.as_of)
        row = rows.setdefault(row_key, AgingRow(key=row_key, label=row_label))
        row.original[currency] = row.original.get(currency, ZERO) + original
        row.items += items
        item_count += items
        for bucket, amount in zip(BUCKETS, sums, strict=True):
            amount = amount or ZERO
            row.buckets[bucket] += amount
            totals[bucket] += amount
            row.total += amount
    return Aging(
        as_of=query.as_of,
        basis=query.basis,
        currency=reporting_currency(),
        grouping=grouping,
        buckets=totals,
        total=sum(totals.values(), ZERO),
        rows=list(rows.values()),
        rates=rates,
        items=item_count,
    )


DETAIL_ORDER = "c.name, c.id, it.due_date, it.id"


def detail_sql(query: AgingQuery, rates: dict[str, Decimal] | None = None) -> tuple[str, list]:
    """Every open item as of the date, for the detail page and exports (streamable)."""
    rates = rates if rates is not None else rates_on(query.as_of)
    cte, params = _items_cte(query, rates)
    sql = f"""{cte}
    SELECT it.id, c.id AS customer_id, c.external_ref, c.name AS customer_name, it.number,
           it.issue_date, it.due_date, it.days, it.bucket, it.currency_id, it.open_amount,
           it.amount,
           GREATEST(
             (SELECT MAX(a.effective_date) FROM invoices_application a
               WHERE a.invoice_id = it.id AND a.effective_date <= %s),
             (SELECT MAX(d.effective_date) FROM invoices_adjustment d
               WHERE d.invoice_id = it.id AND d.effective_date <= %s)
           ) AS last_activity
    FROM converted it JOIN accounts_customer c ON c.id = it.customer_id
    ORDER BY {DETAIL_ORDER}
    """  # noqa: S608
    return sql, [*params, query.as_of, query.as_of]


DETAIL_COLUMNS = (
    "id",
    "customer_id",
    "external_ref",
    "customer_name",
    "number",
    "issue_date",
    "due_date",
    "days",
    "bucket",
    "currency_id",
    "open_amount",
    "amount",
    "last_activity",
)


def detail_page(query: AgingQuery, *, offset: int, limit: int) -> tuple[int, list[dict]]:
    """One page of the detail view and the number of open items, in two queries."""
    rates = query.rates if query.rates is not None else rates_on(query.as_of)
    cte, params = _items_cte(query, rates)
    sql, detail_params = detail_sql(query, rates)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REPORT_SESSION)
        cursor.execute(f"{cte} SELECT COUNT(*) FROM converted", params)  # noqa: S608
        count = cursor.fetchone()[0]
        cursor.execute(f"{sql} LIMIT %s OFFSET %s", [*detail_params, limit, offset])
        rows = [dict(zip(DETAIL_COLUMNS, r, strict=True)) for r in cursor.fetchall()]
    for row in rows:
        if row["amount"] is None:
            raise missing_rate(row["currency_id"], query.as_of)
    return count, rows
