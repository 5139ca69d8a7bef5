"""A bank's CSV export, read with the column mapping finance saved for that bank
(``cash.BankCsvMapping``): which column holds the date, the amount (negative = debit), the
currency (or one currency for the file), the bank reference, the payer's name and account
and the remittance text; the delimiter, a header row or not, the date format and decimal
commas. A cell that does not read refuses the whole file, naming the line and the column.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from decimal import Decimal, InvalidOperation

from accounts.csv_reading import csv_problem

from . import BankFileError, StatementLine, problem, unique_references


def parse(content: bytes, mapping) -> list[StatementLine]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    rows: list[list[str]] = []
    # strict: an unterminated quote is refused, not a cell that swallows the lines after it
    reader = csv.reader(io.StringIO(text), delimiter=mapping.delimiter or ",", strict=True)
    try:
        rows.extend(reader)
    except csv.Error as exc:
        raise BankFileError([problem(len(rows) + 1, "row", csv_problem(exc))]) from None
    errors: list[dict] = []
    first = 1
    index: dict[str, int] = {}
    if mapping.has_header:
        if not rows:
            raise BankFileError([problem(1, "header", "the file is empty")])
        index = {name.strip().lower(): k for k, name in enumerate(rows[0])}
        first = 2
    columns = {}
    for role in ("date", "amount", "currency", "reference", "payer_name", "payer_account",
                 "remittance"):  # fmt: skip
        name = (getattr(mapping, f"{role}_column") or "").strip()
        if not name:
            continue
        position = _position(name, index, mapping.has_header)
        if position is None:
            errors.append(problem(1, role, f"the file has no column {name!r} for the {role}"))
        columns[role] = position
    if errors:
        raise BankFileError(errors)
    out: list[StatementLine] = []
    for n, row in enumerate(rows[first - 1 :], start=first):
        if not any(cell.strip() for cell in row):
            continue
        line = _row(n, row, columns, mapping, errors)
        if line is not None:
            out.append(line)
    if not out and not errors:
        errors.append(problem(first, "row", "the file has no rows"))
    if errors:
        raise BankFileError(errors)
    return unique_references(out)


def _position(name: str, index: dict[str, int], has_header: bool) -> int | None:
    if has_header and name.lower() in index:
        return index[name.lower()]
    if name.isdigit() and int(name) >= 1:
        return int(name) - 1
    return None


def _cell(row, columns, role) -> str:
    position = columns.get(role)
    if position is None or position >= len(row):
        return ""
    return row[position].strip()


def _row(n, row, columns, mapping, errors) -> StatementLine | None:
    problems_before = len(errors)
    raw_date = _cell(row, columns, "date")
    try:
        day = datetime.datetime.strptime(raw_date, mapping.date_format).date()
    except ValueError:
        errors.append(problem(n, "date", f"{raw_date!r} is not a date as {mapping.date_format}"))
        day = None
    raw_amount = _cell(row, columns, "amount").replace(" ", "").replace("\u00a0", "")
    cleaned = raw_amount
    if mapping.decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        amount = Decimal(cleaned)
        if not amount.is_finite() or amount == 0:
            raise InvalidOperation
    except InvalidOperation:
        errors.append(problem(n, "amount", f"{raw_amount!r} is not an amount"))
        amount = None
    currency = (_cell(row, columns, "currency") or mapping.currency_id or "").upper()
    if len(currency) != 3:
        errors.append(problem(n, "currency", f"{currency!r} is not a currency code"))
    if len(errors) > problems_before:
        return None
    reference = _cell(row, columns, "reference")
    if not reference:
        digest = hashlib.sha256("\x1f".join(row).encode()).hexdigest()[:20]
        reference = f"CSV-{digest}"
    return StatementLine(
        line=n,
        account=mapping.account,
        reference=reference[:120],
        direction="credit" if amount > 0 else "debit",
        kind="payment" if amount > 0 else "other",
        booking_date=day,
        amount=abs(amount),
        currency=currency,
        bank_code="csv",
        payer_name=_cell(row, columns, "payer_name")[:200],
        payer_account=_cell(row, columns, "payer_account")[:60],
        remittance=_cell(row, columns, "remittance"),
    )
