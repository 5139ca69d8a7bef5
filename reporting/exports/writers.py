"""One writer per format; each takes columns, an iterator of rows and a totals row."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path

import xlsxwriter
import xlsxwriter.utility
from django.conf import settings
from django.template.loader import render_to_string

from accounts.pdf import data_only_url_fetcher
from accounts.templatetags.money import money

from .cells import safe_text
from .tables import DATE, INTEGER, MONEY, TEXT, Column, Totals

Progress = Callable[[int], None]


def _counted(rows: Iterable[list], progress: Progress):
    """Yield the rows, telling ``progress`` after each how many are written (it decides how
    often to record it: ``run.ExportProgress`` writes only when the percentage moves)."""
    count = 0
    for count, row in enumerate(rows, start=1):
        yield row
        progress(count)
    progress(count)


def _stage(progress: Progress, name: str) -> None:
    """Say which step after the rows the writer is at ("rendering", "writing"), to a
    progress that knows them; a plain callable is only told about rows."""
    stage = getattr(progress, "stage", None)
    if stage is not None:
        stage(name)


def _heading(title: str, subtitle: str) -> str:
    return f"{title} · {subtitle}" if subtitle else title


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
    path: Path,
    title: str,
    columns: list[Column],
    rows: Iterable[list],
    totals,
    progress,
    *,
    subtitle: str = "",
    currency: str | None = None,
) -> None:
    """constant_memory: rows go to disk as written, so 200k rows stay in a few MB. Row 1 is
    the title (as-of date, basis, filters), row 2 the header; below the rows, a subtotal
    per currency (SUMIF on the currency column) when the rows carry their own currencies,
    then the total (SUBTOTAL, so a filter narrows it) — each formula carrying its value."""
    currency = currency or settings.REPORTING_CURRENCY
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False}
    )
    heading = workbook.add_format({"bold": True, "font_size": 12})
    header = workbook.add_format({"bold": True, "bg_color": "#EEF1F5", "bottom": 1})
    money = workbook.add_format({"num_format": "#,##0.00"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    bold_money = workbook.add_format({"num_format": "#,##0.00", "bold": True, "top": 1})
    bold = workbook.add_format({"bold": True, "top": 1})
    sheet = workbook.add_worksheet(sheet_name(title))
    sheet.write_string(0, 0, _heading(title, subtitle), heading)
    for index, column in enumerate(columns):
        sheet.write_string(1, index, column.title, header)
        width = 14 if column.kind in (MONEY, DATE) else (10 if column.kind == INTEGER else 28)
        sheet.set_column(index, index, width)
    sheet.freeze_panes(2, 0)
    sums = Totals(columns)
    first = row_number = 2
    for row_number, row in enumerate(_counted(rows, progress), start=first):
        sums.add(row)
        for index, (column, value) in enumerate(zip(columns, row, strict=True)):
            if value is None:
                sheet.write_blank(row_number, index, None)
            elif column.kind == MONEY:
                sheet.write_number(row_number, index, float(value), money)
            elif column.kind == DATE:
                sheet.write_datetime(row_number, index, value, date)
            elif column.kind == INTEGER:
                sheet.write_number(row_number, index, value)
            else:
                sheet.write_string(row_number, index, safe_text(value))
    last_body = row_number if row_number >= first else first
    line = last_body + 1
    for total in sums.rows(currency, totals):
        for index, (column, value) in enumerate(zip(columns, total.values, strict=True)):
            if column.kind != MONEY:
                if value:
                    sheet.write_string(line, index, safe_text(value), bold)
                continue
            if value is None:
                sheet.write_blank(line, index, None, bold)
                continue
            cells = xlsxwriter.utility.xl_range(first, index, last_body, index)
            if total.currency is None:
                formula = f"=SUBTOTAL(9,{cells})"
            else:
                codes = xlsxwriter.utility.xl_range_abs(
                    first, sums.currency_index, last_body, sums.currency_index
                )
                formula = f'=SUMIF({codes},"{total.currency}",{cells})'
            sheet.write_formula(line, index, formula, bold_money, float(value))
        line += 1
    sheet.autofilter(1, 0, last_body, len(columns) - 1)
    _stage(progress, "writing")
    workbook.close()


def _csv_value(column: Column, value):
    if value is None or value == "":
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


def write_csv(
    path: Path,
    title: str,
    columns,
    rows,
    totals,
    progress,
    *,
    subtitle: str = "",
    currency: str | None = None,
) -> None:
    """A title line (as-of date, basis, filters), the header, the rows, then a subtotal per
    currency when the rows carry their own currencies, and the total."""
    currency = currency or settings.REPORTING_CURRENCY
    sums = Totals(columns)
    # with a byte-order mark, Excel opens it as UTF-8 (accents, €) without an import dialog
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow([safe_text(_heading(title, subtitle))])
        writer.writerow([c.title for c in columns])
        for row in _counted(rows, progress):
            sums.add(row)
            writer.writerow([_csv_value(c, v) for c, v in zip(columns, row, strict=True)])
        for total in sums.rows(currency, totals):
            writer.writerow([_csv_value(c, v) for c, v in zip(columns, total.values, strict=True)])


def _pdf_cells(columns: list[Column], row: list) -> list[tuple[str, str]]:
    """(kind, text) per cell: an amount in the row's own currency with that currency's
    places (JPY none), the reporting currency's with two."""
    cells = []
    for column, value in zip(columns, row, strict=True):
        if value is None or value == "":
            text = ""
        elif column.kind == MONEY:
            code = row[column.currency_from] if column.currency_from is not None else ""
            text = money(value, code)
        elif column.kind == DATE:
            text = value.isoformat()
        else:
            text = str(value)
        cells.append((column.kind, text))
    return cells


def write_pdf(
    path: Path,
    title: str,
    columns,
    rows,
    totals,
    progress,
    *,
    subtitle: str = "",
    currency: str | None = None,
) -> None:
    """The rows in one table whose header repeats on every page; the subtotals and the
    grand total once, after the last row (a <tfoot> would repeat on every page)."""
    from weasyprint import HTML  # heavy import, only for PDF jobs

    currency = currency or settings.REPORTING_CURRENCY
    sums = Totals(columns)
    materialised = []
    for row in _counted(rows, progress):
        sums.add(row)
        materialised.append(row)
    _stage(progress, "rendering")
    html = render_to_string(
        "reporting/export_pdf.html",
        {
            "title": title,
            "subtitle": subtitle,
            "columns": columns,
            "rows": [_pdf_cells(columns, row) for row in materialised],
            "totals": [_pdf_cells(columns, total.values) for total in sums.rows(currency, totals)]
            if columns
            else [],
        },
    )
    document = HTML(string=html, url_fetcher=data_only_url_fetcher()).render()
    _stage(progress, "writing")
    document.write_pdf(str(path))


WRITERS = {"xlsx": write_xlsx, "csv": write_csv, "pdf": write_pdf}
