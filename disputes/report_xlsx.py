"""The disputes reports as an XLSX workbook (xlsxwriter): root causes, open disputes by
reason, department and age, and the share of AR in dispute over time — the figures the
page shows, amounts as numbers with the reporting currency in the header."""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence

import xlsxwriter

from .age_bands import AGE_BANDS
from .reports import OpenRow, RootCauseRow, SharePoint


def report_workbook(
    *,
    start: datetime.date,
    end: datetime.date,
    by: str,
    currency: str,
    causes: Sequence[RootCauseRow],
    open_rows: Sequence[OpenRow],
    share: Sequence[SharePoint],
) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    pct = book.add_format({"num_format": "0.00"})

    sheet = book.add_worksheet("Root causes")
    sheet.write_row(0, 0, [f"Disputes opened {start:%Y-%m-%d} to {end:%Y-%m-%d}, by {by}"], bold)
    sheet.write_row(
        2,
        0,
        [
            by.capitalize(),
            "Disputes",
            "Still open",
            "Resolved",
            f"Disputed ({currency})",
            f"Credited ({currency})",
            "Mean cycle (days)",
            "Median cycle (days)",
            "Cumulative share (%)",
        ],
        bold,
    )
    for n, row in enumerate(causes, start=3):
        sheet.write_row(n, 0, [row.label, row.disputes, row.still_open, row.resolved])
        sheet.write_number(n, 4, row.amount, money)
        sheet.write_number(n, 5, row.credited, money)
        for col, value in ((6, row.mean_days), (7, row.median_days)):
            if value is None:
                sheet.write_blank(n, col, None)
            else:
                sheet.write_number(n, col, value, pct)
        sheet.write_number(n, 8, row.cumulative_pct, pct)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 8, 16)

    sheet = book.add_worksheet("Open by age")
    sheet.write_row(
        0,
        0,
        [
            "Reason",
            "Department",
            "Open disputes",
            f"Disputed ({currency})",
            *(band.heading for band in AGE_BANDS),
            "Oldest (days)",
        ],
        bold,
    )
    for n, row in enumerate(open_rows, start=1):
        sheet.write_row(n, 0, [row.reason, row.department, row.disputes])
        sheet.write_number(n, 3, row.amount, money)
        sheet.write_row(n, 4, [*row.bands, row.oldest_days])
    sheet.set_column(0, 1, 24)
    sheet.set_column(2, 9, 14)

    sheet = book.add_worksheet("AR in dispute")
    sheet.write_row(
        0, 0, ["Day", f"Open AR ({currency})", f"In dispute ({currency})", "Share (%)"], bold
    )
    for n, point in enumerate(share, start=1):
        sheet.write_string(n, 0, point.day.isoformat())
        sheet.write_number(n, 1, point.open_ar, money)
        sheet.write_number(n, 2, point.in_dispute, money)
        sheet.write_number(n, 3, point.share_pct, pct)
    sheet.set_column(0, 3, 18)

    book.close()
    return out.getvalue()
