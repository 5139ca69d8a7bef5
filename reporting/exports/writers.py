"""One writer per format; each takes columns, an iterator of rows and a totals row."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from django.template.loader import render_to_string

from accounts.pdf import data_only_url_fetcher

from .cells import safe_text
from .tables import DATE, INTEGER, MONEY, TEXT, Column

Progress = Callable[[int], None]


def _report_every(rows: Iterable[list], progress: Progress, every: int = 5000):
    count = 0
    for count, row in enumerate(rows, start=1):
        yield row
        if count % every == 0:
            progress(count)
    progress(count)


SHEET_NAME_MAX = 31  # Excel's limit


def sheet_name(title: str) -> str:
    """The title as a sheet name within Excel's 31 characters, keeping its as-of date:
    "Aging summary by customer as of 2026-06-30" is "Aging summary 2026-06-30"."""
    if len(title) <= SHEET_NAME_MAX:
        return title
    head, sep, as_of = title.rpartition(" as of ")
    if not sep:
        return title[:SHEET_NAME_MAX]
    head = head.split(" by ")[0]
    return f"{head[: SHEET_NAME_MAX - len(as_of) - 1].rstrip()} {as_of}"


def write_xlsx(
    path: Path, title: str, columns: list[Column], rows: Iterable[list], totals, progress
) -> None:
    """constant_memory: rows go to disk as written, so 200k rows stay in a few MB."""
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False}
    )
    header = workbook.add_format({"bold": True, "bg_color": "#EEF1F5", "bottom": 1})
    money = workbook.add_format({"num_format": "#,##0.00"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    bold_money = workbook.add_format({"num_format": "#,##0.00", "bold": True, "top": 1})
    bold = workbook.add_format({"bold": True, "top": 1})
    sheet = workbook.add_worksheet(sheet_name(title))
    for index, column in enumerate(columns):
        sheet.write_string(0, index, column.title, header)
        width = 14 if column.kind in (MONEY, DATE) else (10 if column.kind == INTEGER else 28)
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)
    row_number = 0
    sums = [Decimal("0.00")] * len(columns)
    for row_number, row in enumerate(_report_every(rows, progress), start=1):
        for index, (column, value) in enumerate(zip(columns, row, strict=True)):
            if value is None:
                sheet.write_blank(row_number, index, None)
            elif column.kind == MONEY:
                sums[index] += value
                sheet.write_number(row_number, index, float(value), money)
            elif column.kind == DATE:
                sheet.write_datetime(row_number, index, value, date)
            elif column.kind == INTEGER:
                sheet.write_number(row_number, index, value)
            else:
                sheet.write_string(row_number, index, safe_text(value))
    last = row_number + 1
    for index, column in enumerate(columns):
        if column.kind == MONEY:
            letter = xlsxwriter.utility.xl_col_to_name(index)
            total = totals[index] if totals and totals[index] is not None else sums[index]
            sheet.write_formula(
                last, index, f"=SUBTOTAL(9,{letter}2:{letter}{last})", bold_money, float(total)
            )
        elif index == 0:
            sheet.write_string(last, index, "Total", bold)
    sheet.autofilter(0, 0, row_number, len(columns) - 1)
    workbook.close()


def _csv_value(column: Column, value):
    if value is None:
        return ""
    if column.kind == MONEY:
        return f"{value:.2f}"
    if column.kind == DATE:
        return value.isoformat()
    if column.kind == INTEGER:
        return str(value)
    if column.kind == TEXT:
        return safe_text(value)
    raise ValueError(column.kind)


def write_csv(path: Path, title: str, columns, rows, totals, progress) -> None:
    sums = [Decimal("0.00")] * len(columns)
    # with a byte-order mark, Excel opens it as UTF-8 (accents, €) without an import dialog
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.title for c in columns])
        for row in _report_every(rows, progress):
            for index, column in enumerate(columns):
                if column.kind == MONEY and row[index] is not None:
                    sums[index] += row[index]
            writer.writerow([_csv_value(c, v) for c, v in zip(columns, row, strict=True)])
        writer.writerow(
            [
                "Total" if i == 0 else (f"{sums[i]:.2f}" if c.kind == MONEY else "")
                for i, c in enumerate(columns)
            ]
        )


def write_pdf(path: Path, title: str, columns, rows, totals, progress) -> None:
    from weasyprint import HTML  # heavy import, only for PDF jobs

    materialised = list(_report_every(rows, progress))
    sums = [Decimal("0.00")] * len(columns)
    for row in materialised:
        for index, column in enumerate(columns):
            if column.kind == MONEY and row[index] is not None:
                sums[index] += row[index]
    html = render_to_string(
        "reporting/export_pdf.html",
        {
            "title": title,
            "columns": columns,
            "rows": materialised,
            "totals": [
                "Total" if i == 0 else (sums[i] if c.kind == MONEY else "")
                for i, c in enumerate(columns)
            ],
        },
    )
    HTML(string=html, url_fetcher=data_only_url_fetcher()).write_pdf(str(path))


WRITERS = {"xlsx": write_xlsx, "csv": write_csv, "pdf": write_pdf}
