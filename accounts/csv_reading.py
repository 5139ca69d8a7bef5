"""Reading CSV import files strictly, shared by every import.

Imports are all or nothing, so the job here is to find *every* problem before the first
write and to name it the way a person sees it in a spreadsheet: row (the header is row 1),
column, reason. Files are streamed line by line and may be read twice (check, then
write), so a 50 MB file costs little memory.
"""

from __future__ import annotations

import csv
import datetime
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import IO, Any, TypeVar

from django.conf import settings

from .money import CENT, amount_max

# Beyond this many, errors are counted but not listed: the person fixes the file anyway.
MAX_LISTED_ERRORS = 10_000
SAVE_AS_UTF8 = (
    "save the file as UTF-8 (in Excel: Save As > 'CSV UTF-8 (Comma delimited)') and import it again"
)

# What a spreadsheet would run: a cell starting with a tab or CR, or (after spaces) with
# = or @, or with + or - followed by something other than a digit (not "+1 555", "-5.00").
_FORMULA = re.compile(r"[\t\r]|\s*(?:[=@]|[+-][^0-9])")
_FORMULA_IN_ROW = re.compile(r"\x00(?:[\t\r]|\s*(?:[=@]|[+-][^0-9\x00]))")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_INTEGER = re.compile(r"[+-]?[0-9]+")

Source = str | os.PathLike | IO[bytes]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = [f"row {self.row}"] if self.row is not None else []
        where += [f"column {self.column}"] if self.column else []
        return f"{', '.join(where)}: {self.reason}" if where else self.reason

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ImportRejected(Exception):
    """The file was refused and nothing was written; ``errors`` says everything found wrong."""

    def __init__(self, errors: list[RowError], *, total: int | None = None):
        self.errors = list(errors)
        self.total = total if total is not None else len(self.errors)
        super().__init__(self.detail)

    @property
    def detail(self) -> str:
        if self.total == 1 and self.errors[0].row is None:
            return f"nothing was imported: {self.errors[0].reason}"
        listed = "" if self.total == len(self.errors) else f", the first {len(self.errors)} listed"
        errors, them = ("error", "it") if self.total == 1 else ("errors", "them")
        return (
            f"nothing was imported: the file has {self.total} {errors}{listed}; "
            f"fix {them} and import the whole file again"
        )

    def as_dict(self) -> dict[str, Any]:
        return {"detail": self.detail, "errors": [error.as_dict() for error in self.errors]}


class ErrorCollector:
    """Gathers every error of a pass, so one import run reports them all at once."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.count = 0

    def add(self, row: int | None, column: str | None, reason: str) -> None:
        self.count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(RowError(row, column, reason))

    def __bool__(self) -> bool:
        return self.count > 0

    def raise_if_any(self) -> None:
        if self.count:
            in_row_order = sorted(self.errors, key=lambda error: error.row or 0)
            raise ImportRejected(in_row_order, total=self.count)


def reject(reason: str, *, row: int | None = None, column: str | None = None) -> ImportRejected:
    return ImportRejected([RowError(row, column, reason)])


@dataclass(frozen=True)
class Columns:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return (
            f"{self.kind}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "summary": str(self)}


def shown(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Row:
    """One data row; each parser returns the value or records why it cannot."""

    __slots__ = ("_errors", "_index", "number", "ok", "values")

    def __init__(
        self, number: int, cells: list[str], index: dict[str, int], errors: ErrorCollector
    ):
        self.number = number
        self._index = index
        self._errors = errors
        self.ok = True
        self.values: list[str | None] = [cell.strip() for cell in cells]
        if _FORMULA_IN_ROW.search(
            "\x00" + "\x00".join(cells)
        ):  # one C-speed scan for the rare case
            self._refuse_formulas(cells)

    def _refuse_formulas(self, cells: list[str]) -> None:
        names = {position: name for name, position in self._index.items()}
        for position, raw in enumerate(cells):
            if _FORMULA.match(raw.rstrip()):
                self.values[position] = None
                reason = f"{shown(raw)} looks like a spreadsheet formula; enter the plain value"
                self.error(names.get(position), reason)

    def error(self, column: str | None, reason: str) -> None:
        self.ok = False
        self._errors.add(self.number, column, reason)

    def _given(self, column: str, required: bool, example: str = "") -> str | None:
        """The cell's stripped text, or None when blank (an error if required) or refused."""
        index = self._index.get(column)
        value = "" if index is None else self.values[index]
        if value == "" and required:
            self.error(column, f"is required{example}")
        return value or None

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self._given(column, required)
        if value is None:
            return ""
        if max_length is not None and len(value) > max_length:
            self.error(column, f"is {len(value)} characters long; at most {max_length} fit")
        return value

    def date(self, column: str, *, required: bool = True) -> datetime.date | None:
        value = self._given(column, required, ": a date as YYYY-MM-DD, e.g. 2026-03-31")
        if value is None:
            return None
        if not _ISO_DATE.fullmatch(value):
            self.error(column, f"{shown(value)} is not a date as YYYY-MM-DD, e.g. 2026-03-31")
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.error(column, f"{shown(value)} is not a real date")
            return None

    def money(
        self, column: str, *, required: bool = True, positive: bool = False
    ) -> Decimal | None:
        """An amount as decimal text, never through a float; zero or more, or more than zero."""
        value = self._given(column, required)
        if value is None:
            return None
        if not _DECIMAL.fullmatch(value):
            self.error(
                column,
                f"{shown(value)} is not an amount; write digits with a dot before the cents, "
                "e.g. 1234.50, without currency signs or thousands separators",
            )
            return None
        amount = Decimal(value)
        if abs(amount) > (bound := amount_max()):
            self.error(column, f"{shown(value)} is too large: the maximum amount is {bound}")
        elif amount != amount.quantize(CENT):
            self.error(column, f"{shown(value)} has more than two decimal places")
        elif amount < 0 or (positive and amount == 0):
            least = "greater than zero" if positive else "zero or more"
            self.error(column, f"{shown(value)} is not allowed; it must be {least}")
        else:
            return amount.quantize(CENT).copy_abs()  # "-0" is zero, not negative zero
        return None

    def positive_money(self, column: str, *, required: bool = True) -> Decimal | None:
        return self.money(column, required=required, positive=True)

    def integer(
        self, column: str, *, required: bool = False, minimum: int = 0, maximum: int
    ) -> int | None:
        value = self._given(column, required)
        if value is None:
            return None
        if not _INTEGER.fullmatch(value):
            self.error(column, f"{shown(value)} is not a whole number")
            return None
        number = int(value)
        if not minimum <= number <= maximum:
            self.error(column, f"{number} is not between {minimum} and {maximum}")
            return None
        return number


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size:,} bytes"


def check_size(file: IO[bytes]) -> None:
    """Refuse an oversized file before reading a byte of it."""
    size = getattr(file, "size", None)
    if size is None:
        position = file.tell()
        size = file.seek(0, os.SEEK_END)
        file.seek(position)
    if size > settings.IMPORT_MAX_BYTES:
        raise oversized(size)


def oversized(size: int | None = None) -> ImportRejected:
    """The refusal of a file over ``IMPORT_MAX_BYTES`` (its size when it is known)."""
    limit = _size(settings.IMPORT_MAX_BYTES)
    shown = f"the file is {_size(size)}, more" if size is not None else "the file is more"
    return reject(
        f"{shown} than the import limit of {limit} (IMPORT_MAX_BYTES); split it into smaller files"
    )


def _physical_lines(file: IO[bytes]) -> Iterator[bytes]:
    for line in file:
        if b"\r" in line[:-2]:
            yield from line.splitlines(keepends=True)  # old Mac files end lines with CR alone
        else:
            yield line


def _decoded_lines(file: IO[bytes]) -> Iterator[str]:
    """UTF-8 lines without a BOM; any other encoding is refused naming the line."""
    for number, line in enumerate(_physical_lines(file), start=1):
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if b"\x00" in line:
            raise reject(
                f"line {number} contains NUL bytes, so the file is not UTF-8 text "
                f"(perhaps UTF-16); {SAVE_AS_UTF8}",
                row=number,
            )
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = line[: exc.start].decode("utf-8", "replace")[-20:]
            raise reject(
                f"line {number} is not UTF-8 text: byte 0x{line[exc.start]:02X} after "
                f"{before!r} (the file is probably Latin-1 or Windows-1252); {SAVE_AS_UTF8}",
                row=number,
            ) from None


def csv_problem(exc: csv.Error) -> str:
    """What a person reading the file in a spreadsheet should fix, for the csv module's
    refusal of a row (strict mode: an unterminated quote is an error, not a cell that
    swallows the rest of the file)."""
    if "unexpected end of data" in str(exc):
        return (
            'a quote (") opening a cell here is never closed, so the cell would run to the '
            'end of the file; close it, or write a quote inside a quoted cell as ""'
        )
    if "expected after" in str(exc):
        return (
            'a quoted cell has text after its closing quote (") on this row; quote the '
            'whole cell, and write a quote inside it as ""'
        )
    return f"cannot be read as CSV: {exc}"


class Sheet:
    """An import file whose size and header are checked once, then read as often as needed."""

    def __init__(self, file: IO[bytes], columns: Columns):
        self._file = file
        self.columns = columns
        check_size(file)
        self._header_row, self._index = self._read_header()

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        self._file.seek(0)
        # strict: a quote left open is an error, not a cell swallowing the rest of the file
        reader = csv.reader(_decoded_lines(self._file), strict=True)
        number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise reject(csv_problem(exc), row=number + 1) from None
            number += 1
            yield number, cells

    def _read_header(self) -> tuple[int, dict[str, int]]:
        for number, cells in self._records():
            if "".join(cells).strip():
                return number, self._check_header(number, cells)
        raise reject(
            "the file is empty; its first row must be the header: " + ",".join(self.columns.all)
        )

    def _check_header(self, number: int, cells: list[str]) -> dict[str, int]:
        names = [cell.strip().lower() for cell in cells]
        while names and not names[-1]:
            names.pop()
        errors = ErrorCollector()
        index: dict[str, int] = {}
        expected = ", ".join(self.columns.all)
        for position, name in enumerate(names, start=1):
            if not name:
                errors.add(number, None, f"column {position} has no name in the header")
            elif name in index:
                errors.add(number, name, "appears twice in the header")
            elif name not in self.columns.all:
                errors.add(number, name, f"is not a column of this import; use {expected}")
            else:
                index[name] = position - 1
        for name in self.columns.required:
            if name not in index:
                errors.add(number, name, "is a required column but is missing from the header")
        errors.raise_if_any()
        self._width = len(names)
        return index

    def rows(self, errors: ErrorCollector) -> Iterator[Row]:
        """Data rows after the header, numbered as a spreadsheet shows them; blank rows skipped."""
        width = self._width
        for number, cells in self._records():
            if number <= self._header_row or not "".join(cells).strip():
                continue
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            row = Row(number, cells, self._index, errors)
            if len(cells) > width and "".join(cells[width:]).strip():
                row.error(None, f"has {len(cells)} cells but the header names {width} columns")
            yield row


@contextmanager
def open_sheet(source: Source, columns: Columns) -> Iterator[Sheet]:
    """A path (command line) or an uploaded binary file (API), checked and ready to read."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            yield Sheet(file, columns)
    else:
        yield Sheet(source, columns)
