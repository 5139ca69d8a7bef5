"""The columns of each export and the rows behind them, shared by every file format."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

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
    # A money column whose amounts are in each row's own currency, named by the column at
    # this index: it is totalled per currency, never across them.
    currency_from: int | None = None


@dataclass(frozen=True)
class TotalRow:
    """A totals line below the rows: ``currency`` set for one currency's subtotal (its rows
    only), None for the grand total (the reporting-currency columns only)."""

    label: str
    currency: str | None
    values: list


class Totals:
    """Sums the money columns as rows go by, each amount where it may be added: a column
    in the rows' own currencies per currency, a reporting-currency column per currency
    (the subtotals) and overall (the grand total)."""

    def __init__(self, columns: list[Column]):
        self.columns = columns
        self.currency_index = next(
            (c.currency_from for c in columns if c.currency_from is not None), None
        )
        self.grand = [Decimal("0.00")] * len(columns)
        self.by_currency: dict[str, list[Decimal]] = defaultdict(
            lambda: [Decimal("0.00")] * len(columns)
        )

    def add(self, row: list) -> None:
        code = row[self.currency_index] if self.currency_index is not None else None
        for index, column in enumerate(self.columns):
            value = row[index]
            if column.kind != MONEY or value is None:
                continue
            if code is not None:
                self.by_currency[code][index] += value
            if column.currency_from is None:
                self.grand[index] += value

    def rows(self, currency: str, given: list | None = None) -> list[TotalRow]:
        """The subtotal of each currency (when the rows carry their own), then the grand
        total in the reporting ``currency``; ``given`` overrides the grand total's values
        (a report that already summed them)."""
        out = []
        for code in sorted(self.by_currency):
            sums = self.by_currency[code]
            values = [
                sums[i] if c.kind == MONEY else (code if i == self.currency_index else "")
                for i, c in enumerate(self.columns)
            ]
            values[0] = f"Total {code}"
            out.append(TotalRow(f"Total {code}", code, values))
        label = "Total" if self.currency_index is None else f"Grand total ({currency})"
        values = [
            (self.grand[i] if c.currency_from is None else None) if c.kind == MONEY else ""
            for i, c in enumerate(self.columns)
        ]
        if given is not None:
            values = [
                given[i] if c.kind == MONEY and given[i] is not None else values[i]
                for i, c in enumerate(self.columns)
            ]
        values[0] = label
        out.append(TotalRow(label, None, values))
        return out


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


CURRENCY_INDEX = 7  # the detail's "Currency" column


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
        Column("Open amount", MONEY, currency_from=CURRENCY_INDEX),
        Column(f"Open amount ({currency})", MONEY),
        Column("Last activity", DATE),
        Column("Disputed amount", MONEY, currency_from=CURRENCY_INDEX),
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
