"""Bank statement files in: each parser turns a file into ``StatementLine`` rows or refuses
the whole file with ``BankFileError``, naming the line and record of every problem found."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal


@dataclass(frozen=True)
class StatementLine:
    line: int
    account: str
    reference: str
    direction: str  # "credit" | "debit"
    kind: str  # "payment" | "return" | "other"
    booking_date: datetime.date
    amount: Decimal
    currency: str
    bank_code: str = ""
    payer_name: str = ""
    payer_account: str = ""
    remittance: str = ""


class BankFileError(Exception):
    """The file is refused; ``errors`` lists ``{"line", "record", "reason"}`` dicts."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        first = errors[0] if errors else {"line": None, "record": "", "reason": "unreadable"}
        super().__init__(describe(first))


def unique_references(lines: list[StatementLine]) -> list[StatementLine]:
    """A bank may repeat a reference within one file (two returns of one batch): the second
    gets ``#2``, the same on every import of the file, so re-imports still find it."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    for line in lines:
        key = (line.account, line.reference)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            line = replace(line, reference=f"{line.reference}#{seen[key]}"[:120])
        out.append(line)
    return out


def problem(line: int | None, record: str, reason: str) -> dict:
    return {"line": line, "record": record, "reason": reason}


def describe(error: dict) -> str:
    where = f"line {error['line']}" if error.get("line") else "the file"
    record = f" ({error['record']})" if error.get("record") else ""
    return f"{where}{record}: {error['reason']}"


def detect_format(content: bytes) -> str:
    from .lockbox import looks_like

    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:200]
    if looks_like(head):
        return "lockbox"
    if head.startswith(b"<"):
        return "camt"
    if head.startswith(b"01,"):
        return "bai2"
    if head.startswith((b":20:", b"{1:")) or b"\n:20:" in head:
        return "mt940"
    raise BankFileError(
        [
            problem(
                1,
                "",
                "not a bank file Dunwell reads: expected camt.053/camt.054 XML, BAI2 "
                "(starting with an 01 record), MT940 (starting with :20:), a lockbox file "
                "(starting with its 1 header record) or a CSV file with a saved column mapping",
            )
        ]
    )


def parse(content: bytes, csv_mapping=None) -> tuple[str, list[StatementLine]]:
    """Read a file: CSV with the bank's saved mapping, any other format by its content."""
    from . import bai2_reader, camt, csv_reader, lockbox, mt940_reader

    if csv_mapping is not None:
        return "csv", csv_reader.parse(content, csv_mapping)
    fmt = detect_format(content)
    reader = {"camt": camt, "bai2": bai2_reader, "mt940": mt940_reader, "lockbox": lockbox}[fmt]
    return fmt, reader.parse(content)
