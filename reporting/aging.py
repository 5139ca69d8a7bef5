"""Aging as of any date, rebuilt from the ledger in SQL.

An invoice counts if it was issued on or before ``as_of``; its open amount then is its
amount less the applications (reversals included) and adjustments effective on or before
``as_of``. Summing the ledger up to a date a year back reads most of it, so the default
form reads the invoice's movement-date bounds instead (``Invoice.first_movement_date`` /
``last_movement_date``, kept by the ledger services): from the last movement on the
balance is the stored ``open_amount`` (amount less *every* movement, a database
invariant checked nightly), before the first it is the amount, and only an invoice moved
on both sides of ``as_of`` is summed. The open-then invoices are the open-now ones plus
the settled ones whose last movement is after ``as_of``: two index scans whatever the
date. ``tests/reporting/test_aging_reconciliation.py`` proves it equal to the textbook sum
(``method="forward"``) and to a plain Python sum on random ledgers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import QuerySet

from accounts.buckets import BUCKET_DAYS, BUCKET_SQL, BUCKETS
from accounts.fx import missing_rate, rates_on, rates_sql, reporting_currency
from disputes.selectors import DISPUTED_LINES_AT, IN_DISPUTE_AT, end_of_day

BASES = ("due", "invoice")
GROUPINGS = ("customer", "collector", "currency", "parent")
ZERO = Decimal("0.00")

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


@dataclass(frozen=True)
class AgingQuery:
    """What to age: the customers in reach (already scoped and filtered) and the options."""

    customers: QuerySet
    as_of: datetime.date
    basis: str = "due"
    currency: str | None = None
    rates: dict[str, Decimal] | None = None
    # True: only items a dispute in dispute at the end of as_of names (its history says);
    # False: only items none names; None: all.
    in_dispute: bool | None = None
    # None: the bounded form (stored balances and movement-date bounds); "forward": the
    # textbook Σ up to as_of. Same figures (tests/reporting/test_aging_reconciliation.py).
    method: str | None = None

    def __post_init__(self):
        if self.basis not in BASES:
            raise ValueError(f"basis must be one of {BASES}")
        if self.method not in (None, "forward"):
            raise ValueError("method must be None or 'forward'")


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


# An invoice is in dispute on a date when a dispute in dispute at the end of that day (the
# status its last event by then left it in) names it.
IN_OPEN_DISPUTE = IN_DISPUTE_AT


# The balance of invoice ``i`` as of %s, read from its movement-date bounds (invoices/models.py):
# from its last movement on it is the stored balance, before its first it is the amount;
# only an invoice moved both before and after the date needs its movements summed.
OPEN_THEN = """CASE
    WHEN i.last_movement_date IS NULL OR i.last_movement_date <= %s THEN i.open_amount
    WHEN i.first_movement_date > %s THEN i.amount
    ELSE i.amount
        - (SELECT COALESCE(SUM(a.amount), 0) FROM invoices_application a
           WHERE a.invoice_id = i.id AND a.effective_date <= %s)
        - (SELECT COALESCE(SUM(d.amount), 0) FROM invoices_adjustment d
           WHERE d.invoice_id = i.id AND d.effective_date <= %s)
    END"""
OPEN_THEN_PARAMS = 4


def _items_cte(query: AgingQuery, rates: dict[str, Decimal]) -> tuple[str, list]:
    """The open items as of the date, each with its days and bucket and converted amount."""
    scope_sql, scope_params = query.customers.order_by().values("id").query.sql_with_params()
    rate_sql, rate_params = rates_sql(rates)
    day_column = "i.due_date" if query.basis == "due" else "i.issue_date"
    currency_filter = "AND i.currency_id = %s" if query.currency else ""
    dispute_filter = (
        ""
        if query.in_dispute is None
        else f"AND {'' if query.in_dispute else 'NOT'} EXISTS ({IN_OPEN_DISPUTE})"
    )
    # Someone with the team view and no filter reaches every customer: no IN (...) needed.
    scoped = bool(query.customers.query.where)
    scope_filter = f"AND i.customer_id IN ({scope_sql})" if scoped else ""
    as_of = query.as_of
    filters = f"{scope_filter} {currency_filter} {dispute_filter}"
    filter_params = [
        *(scope_params if scoped else ()),
        *([query.currency] if query.currency else []),
        *([] if query.in_dispute is None else [end_of_day(as_of)]),
    ]
    columns = f"""i.id, i.number, i.customer_id, i.currency_id, i.issue_date, i.due_date,
               (%s::date - {day_column}) AS days"""
    if query.method == "forward":
        # amount - Σ movements effective on or before as_of: the textbook form, summing the
        # whole ledger up to as_of; kept as the reference the bounded form is tested against.
        items = f"""
    earlier AS (
        SELECT invoice_id, SUM(amount) AS amount FROM (
            SELECT invoice_id, amount FROM invoices_application WHERE effective_date <= %s
            UNION ALL
            SELECT invoice_id, amount FROM invoices_adjustment WHERE effective_date <= %s
        ) moves GROUP BY invoice_id
    ),
    items AS (
        SELECT {columns}, i.amount - COALESCE(e.amount, 0) AS open_amount
        FROM invoices_invoice i LEFT JOIN earlier e ON e.invoice_id = i.id
        WHERE i.issue_date <= %s AND i.amount - COALESCE(e.amount, 0) > 0 {filters}
    ),"""  # noqa: S608
        items_params = [as_of, as_of, as_of, as_of, *filter_params]
    else:
        # Open then means open now, or settled by a movement dated after as_of: the
        # open-invoice index and the settled-by-last-movement index find both; the
        # bounds give each balance, so the ledger is summed for straddling invoices only.
        items = f"""
    items AS (
        SELECT * FROM (
            SELECT {columns}, {OPEN_THEN} AS open_amount
            FROM invoices_invoice i
            WHERE i.open_amount > 0 AND i.issue_date <= %s {filters}
            UNION ALL
            SELECT {columns}, {OPEN_THEN} AS open_amount
            FROM invoices_invoice i
            WHERE i.open_amount = 0 AND i.last_movement_date > %s AND i.issue_date <= %s
                  {filters}
        ) candidates WHERE open_amount > 0
    ),"""  # noqa: S608
        open_then = [as_of] * OPEN_THEN_PARAMS
        items_params = [
            *[as_of, *open_then, as_of, *filter_params],
            *[as_of, *open_then, as_of, as_of, *filter_params],
        ]
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
    # Buckets by comparing days, not the bucket name: the text CASE would run once per sum.
    # An empty bucket stays NULL: fewer decimals to send and parse than zeros.
    bucket_sums = ", ".join(
        f"SUM(it.amount) FILTER (WHERE {BUCKET_DAYS[b].format(days='it.days')}) AS b_{b}"
        for b in BUCKETS
    )
    # Sum per customer first, then join names to and sort those rows rather than every item.
    # Grouped by customer those rows are the report already; other groupings add them up.
    sums = ["it.original", *[f"it.b_{b}" for b in BUCKETS], "it.items", "it.missing"]
    if grouping == "customer":
        regroup = ""
    else:
        sums = [f"SUM({s})" for s in sums[:-2]] + ["SUM(it.items)::bigint", "bool_or(it.missing)"]
        regroup = "GROUP BY 1, 2, 3"
    sql = f"""{cte},
    per_customer AS (
        SELECT it.customer_id, it.currency_id, SUM(it.open_amount) AS original,
               {bucket_sums}, COUNT(*) AS items, bool_or(it.amount IS NULL) AS missing
        FROM converted it GROUP BY 1, 2
    )
    SELECT {key} AS key, {label} AS label, it.currency_id, {", ".join(sums)}
    FROM per_customer it JOIN accounts_customer c ON c.id = it.customer_id {join}
    {regroup}
    ORDER BY 2, 1, 3
    """  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REPORT_SESSION)
        cursor.execute(sql, params)
        fetched = cursor.fetchall()

    rows: dict[str, AgingRow] = {}
    # Tens of thousands of rows grouped by customer: unpacked by hand, it shows in the timing.
    for row_key, row_label, currency, original, b0, b1, b2, b3, b4, b5, items, missing in fetched:
        if missing:
            raise missing_rate(currency, query.as_of)
        amounts = (b0 or ZERO, b1 or ZERO, b2 or ZERO, b3 or ZERO, b4 or ZERO, b5 or ZERO)
        row = rows.get(row_key)
        if row is None:  # the usual case: one currency per group
            rows[row_key] = AgingRow(
                key=row_key,
                label=row_label,
                buckets=dict(zip(BUCKETS, amounts, strict=True)),
                total=sum(amounts, ZERO),
                original={currency: original},
                items=items,
            )
            continue
        row.original[currency] = row.original.get(currency, ZERO) + original
        row.items += items
        for bucket, amount in zip(BUCKETS, amounts, strict=True):
            row.buckets[bucket] += amount
            row.total += amount
    columns = list(zip(*fetched, strict=True)) or [()] * (len(BUCKETS) + 6)
    totals = {b: sum(filter(None, columns[4 + n]), ZERO) for n, b in enumerate(BUCKETS)}
    item_count = sum(columns[-2])
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

# The disputed amount of each item (docs/reporting.md "Disputed amount"): the amounts of its
# dispute lines whose dispute was in dispute at the end of as_of (from the history), capped
# at the item's open amount then. Lines are in their invoice's currency.
DISPUTE_SPLIT = f"""
    disputed AS ({DISPUTED_LINES_AT})"""


def detail_sql(query: AgingQuery, rates: dict[str, Decimal] | None = None) -> tuple[str, list]:
    """Every open item as of the date, for the detail page and exports (streamable)."""
    rates = rates if rates is not None else rates_on(query.as_of)
    cte, params = _items_cte(query, rates)
    as_of = query.as_of
    sql = f"""{cte},{DISPUTE_SPLIT}
    SELECT it.id, c.id AS customer_id, c.external_ref, c.name AS customer_name, it.number,
           it.issue_date, it.due_date, it.days, it.bucket, it.currency_id, it.open_amount,
           it.amount, LEAST(COALESCE(ds.amount, 0.00), it.open_amount) AS disputed_amount,
           GREATEST(
             (SELECT MAX(a.effective_date) FROM invoices_application a
               WHERE a.invoice_id = it.id AND a.effective_date <= %s),
             (SELECT MAX(d.effective_date) FROM invoices_adjustment d
               WHERE d.invoice_id = it.id AND d.effective_date <= %s)
           ) AS last_activity
    FROM converted it JOIN accounts_customer c ON c.id = it.customer_id
    LEFT JOIN disputed ds ON ds.invoice_id = it.id
    ORDER BY {DETAIL_ORDER}
    """  # noqa: S608
    split_params = [end_of_day(as_of)]
    return sql, [*params, *split_params, as_of, as_of]


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
    "disputed_amount",
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
