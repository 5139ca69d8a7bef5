"""The columns of each export and the rows behind them, shared by every file format."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection

from accounts.buckets import BUCKET_LABELS, BUCKETS
from accounts.fx import missing_rate, rates_on

from ..aging import DETAIL_COLUMNS, AgingQuery, aging, detail_sql

TEXT, MONEY, DATE, INTEGER = "text", "money", "date", "integer"
CHUNK = 5000


@dataclass(frozen=True)
class Column:
    title: str
    kind: str


def summary_columns(currency: str) -> list[Column]:
    return [
        Column("Group", TEXT),
        *[Column(f"{BUCKET_LABELS[b]} ({currency})", MONEY) for b in BUCKETS],
        Column(f"Total ({currency})", MONEY),
        Column("Original amounts", TEXT),
    ]


def summary_table(query: AgingQuery, grouping: str):
    report = aging(query, grouping=grouping)
    rows = [
        [
            row.label,
            *[row.buckets[b] for b in BUCKETS],
            row.total,
            "; ".join(f"{amount:,.2f} {code}" for code, amount in sorted(row.original.items())),
        ]
        for row in report.rows
    ]
    totals = ["Total", *[report.buckets[b] for b in BUCKETS], report.total, ""]
    return report, summary_columns(report.currency), rows, totals


def detail_columns(currency: str) -> list[Column]:
    return [
        Column("Customer ref", TEXT),
        Column("Customer", TEXT),
        Column("Invoice", TEXT),
        Column("Issue date", DATE),
        Column("Due date", DATE),
        Column("Days past due", INTEGER),
        Column("Bucket", TEXT),
        Column("Currency", TEXT),
        Column("Open amount", MONEY),
        Column(f"Open amount ({currency})", MONEY),
        Column("Last activity", DATE),
        Column("Disputed amount", MONEY),
    ]


def detail_rows(query: AgingQuery) -> Iterator[list]:
    """Stream every open item through a server-side cursor, a chunk at a time."""
    sql, params = detail_sql(query, rates_on(query.as_of) if query.rates is None else query.rates)
    index = {name: i for i, name in enumerate(DETAIL_COLUMNS)}
    with connection.chunked_cursor() as cursor:
        cursor.itersize = CHUNK
        cursor.execute(sql, params)
        for raw in cursor:
            if raw[index["amount"]] is None:
                raise missing_rate(raw[index["currency_id"]], query.as_of)
            yield [
                raw[index["external_ref"]],
                raw[index["customer_name"]],
                raw[index["number"]],
                raw[index["issue_date"]],
                raw[index["due_date"]],
                raw[index["days"]],
                BUCKET_LABELS[raw[index["bucket"]]],
                raw[index["currency_id"]],
                raw[index["open_amount"]],
                raw[index["amount"]],
                raw[index["last_activity"]],
                raw[index["disputed_amount"]],
            ]
