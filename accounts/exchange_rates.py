"""Exchange rates in: one service every way in goes through (API, CSV, admin, the ECB task).

A rate edit changes past aging and the queue's figures, so every write is audited with the
rate before and after. One rate per currency pair per day (the ``one_rate_per_day``
constraint): setting it again for the same day is refused unless the caller means to
replace it (an edit, a corrected file, the ECB publishing the day's rates again).
"""

from __future__ import annotations

import datetime
import urllib.request
import xml.etree.ElementTree as ET  # expat (2.4+) refuses entity-expansion bombs
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction

from .audit import audit_record, snapshot
from .csv_reading import (
    Columns,
    ErrorCollector,
    ImportResult,
    Row,
    Source,
    batched,
    open_sheet,
    reject,
)
from .errors import ServiceError
from .models import Currency, ExchangeRate

RATE_FIELDS = ["currency", "quote_currency", "valid_from", "rate"]
RATE_PLACES = 8
MAX_RATE = Decimal("1e10")  # DecimalField(18, 8): ten digits before the point


def to_rate(value: object, *, field: str = "rate") -> Decimal:
    """A rate as decimal text (never a float), above zero, with at most eight places."""
    if isinstance(value, float):
        raise ServiceError("rates must be given as decimal text, not float", field=field)
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(f"{value!r} is not a number", field=field) from None
    if not rate.is_finite():
        raise ServiceError(f"{value!r} is not a finite rate", field=field)
    if rate <= 0:
        raise ServiceError(f"a rate must be greater than zero, got {rate}", field=field)
    if rate >= MAX_RATE:
        raise ServiceError(f"{value!r} is too large for a rate", field=field)
    quantum = Decimal(1).scaleb(-RATE_PLACES)
    if rate != rate.quantize(quantum):
        raise ServiceError(f"{value!r} has more than {RATE_PLACES} decimal places", field=field)
    return rate.quantize(quantum)  # as stored, so the audit shows what was written


def _currency(value: Currency | str, *, field: str) -> Currency:
    if isinstance(value, Currency):
        return value
    code = str(value or "").strip().upper()
    found = Currency.objects.filter(code=code).first()
    if found is None:
        raise ServiceError(f"unknown currency {code!r}", field=field)
    return found


def exchange_rate_set(
    *,
    actor,
    currency: Currency | str,
    quote_currency: Currency | str,
    valid_from: datetime.date,
    rate: Decimal | str,
    replace: bool = False,
) -> ExchangeRate:
    """From ``valid_from``, one ``currency`` is worth ``rate`` of ``quote_currency``.

    An existing rate for the pair on that day is refused, or with ``replace`` changed (not
    audited when the rate is the same). Returns the row.
    """
    base = _currency(currency, field="currency")
    quote = _currency(quote_currency, field="quote_currency")
    if base.code == quote.code:
        raise ServiceError(
            f"a rate is between two currencies; both are {base.code}", field="quote_currency"
        )
    if not isinstance(valid_from, datetime.date) or isinstance(valid_from, datetime.datetime):
        raise ServiceError("valid_from must be a date", field="valid_from")
    value = to_rate(rate)
    with transaction.atomic():
        existing = (
            ExchangeRate.objects.select_for_update()
            .filter(currency=base, quote_currency=quote, valid_from=valid_from)
            .first()
        )
        if existing is not None:
            if not replace:
                raise ServiceError(
                    f"a rate from {base.code} to {quote.code} on {valid_from} already exists "
                    f"({existing.rate}); change that one instead",
                    field="valid_from",
                    code="duplicate",
                )
            if existing.rate == value:
                return existing
            before = snapshot(existing, RATE_FIELDS)
            existing.rate = value
            existing.save(update_fields=["rate"])
            audit_record(
                actor=actor,
                action="exchange_rate.change",
                instance=existing,
                before=before,
                after=snapshot(existing, RATE_FIELDS),
            )
            return existing
        try:
            with transaction.atomic():
                created = ExchangeRate.objects.create(
                    currency=base, quote_currency=quote, valid_from=valid_from, rate=value
                )
        except IntegrityError:
            raise ServiceError(
                f"a rate from {base.code} to {quote.code} on {valid_from} was just set by "
                "someone else; look at it and try again",
                field="valid_from",
                code="duplicate",
            ) from None
        audit_record(
            actor=actor,
            action="exchange_rate.create",
            instance=created,
            after=snapshot(created, RATE_FIELDS),
        )
        return created


# --- the CSV import -------------------------------------------------------------------

COLUMNS = Columns(required=("currency", "quote_currency", "valid_from", "rate"))
BATCH = 1000


@dataclass(slots=True)
class _Line:
    row: Row
    currency: str
    quote_currency: str
    valid_from: datetime.date | None
    rate: Decimal | None


def _parse(row: Row, currencies: set[str]) -> _Line:
    line = _Line(
        row=row,
        currency=row.text("currency", required=True).upper(),
        quote_currency=row.text("quote_currency", required=True).upper(),
        valid_from=row.date("valid_from"),
        rate=None,
    )
    raw = row.text("rate", required=True)
    if raw:
        try:
            line.rate = to_rate(raw)
        except ServiceError as exc:
            row.error("rate", exc.message)
    for column in ("currency", "quote_currency"):
        code = getattr(line, column)
        if code and code not in currencies:
            row.error(column, f"unknown currency {code!r}; known: {', '.join(sorted(currencies))}")
    if line.currency and line.currency == line.quote_currency:
        row.error("quote_currency", f"a rate is between two currencies; both are {line.currency}")
    return line


def import_exchange_rates(source: Source, *, actor=None) -> ImportResult:
    """Import ``currency,quote_currency,valid_from,rate`` rows, all or nothing.

    A row for a pair and day already in Dunwell replaces that day's rate (a corrected
    file); the same pair and day twice in one file is refused.
    """
    with open_sheet(source, COLUMNS) as sheet, transaction.atomic():
        errors = ErrorCollector()
        currencies = set(Currency.objects.values_list("code", flat=True))
        first_row: dict[tuple, int] = {}
        for row in sheet.rows(errors):
            line = _parse(row, currencies)
            key = (line.currency, line.quote_currency, line.valid_from)
            if line.valid_from is None:
                continue
            if key in first_row:
                row.error(
                    "valid_from",
                    f"{key[0]} to {key[1]} on {key[2]} is also on row {first_row[key]}",
                )
                continue
            first_row[key] = row.number
        errors.raise_if_any()
        result = ImportResult("exchange rates")
        for rows in batched(sheet.rows(errors), BATCH):
            lines = [_parse(row, currencies) for row in rows]
            days = {line.valid_from for line in lines}
            stored = ExchangeRate.objects.filter(valid_from__in=days).values_list(
                "currency_id", "quote_currency_id", "valid_from", "rate"
            )
            known = {(c, q, d): r for c, q, d, r in stored}
            for line in lines:
                before = known.get((line.currency, line.quote_currency, line.valid_from))
                _save(line, actor)
                if before is None:
                    result.created += 1
                elif before == line.rate:
                    result.unchanged += 1
                else:
                    result.updated += 1
        errors.raise_if_any()
        return result


def _save(line: _Line, actor) -> None:
    try:
        exchange_rate_set(
            actor=actor,
            currency=line.currency,
            quote_currency=line.quote_currency,
            valid_from=line.valid_from,
            rate=line.rate,
            replace=True,
        )
    except ServiceError as exc:
        column = exc.field if exc.field in COLUMNS.all else None
        raise reject(exc.message, row=line.row.number, column=column) from None


# --- the ECB euro reference rates -----------------------------------------------------

ECB_NAMESPACE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
ECB_TIMEOUT_SECONDS = 30


def parse_ecb(document: bytes) -> tuple[datetime.date, dict[str, Decimal]]:
    """The day and the EUR → X rates of an ``eurofxref-daily.xml`` document."""
    try:
        root = ET.fromstring(document)  # noqa: S314 - see the import
    except ET.ParseError as exc:
        raise ServiceError(f"the ECB file is not XML: {exc}", field="ECB_RATES_URL") from None
    day = root.find(f".//{ECB_NAMESPACE}Cube[@time]")
    if day is None:
        raise ServiceError("the ECB file has no dated Cube element", field="ECB_RATES_URL")
    try:
        valid_from = datetime.date.fromisoformat(day.attrib["time"])
    except ValueError:
        raise ServiceError(
            f"the ECB file's date {day.attrib['time']!r} is not YYYY-MM-DD", field="ECB_RATES_URL"
        ) from None
    rates = {}
    for cube in day.findall(f"{ECB_NAMESPACE}Cube[@currency]"):
        rates[cube.attrib["currency"].strip().upper()] = to_rate(cube.attrib.get("rate", ""))
    return valid_from, rates


def ecb_fetch(url: str) -> bytes:
    if not url.startswith(("https://", "http://", "file://")):
        raise ServiceError(f"{url!r} is not an http(s) or file URL", field="ECB_RATES_URL")
    with urllib.request.urlopen(url, timeout=ECB_TIMEOUT_SECONDS) as response:  # noqa: S310
        return response.read()


def ecb_rates_load(
    *, url: str | None = None, fetch: Callable[[str], bytes] = ecb_fetch, actor=None
) -> ImportResult | None:
    """Store the day's EUR → X rates from ``url`` (default ``settings.ECB_RATES_URL``) for
    the currencies Dunwell knows; None when no URL is configured."""
    url = url or getattr(settings, "ECB_RATES_URL", "")
    if not url:
        return None
    valid_from, rates = parse_ecb(fetch(url))
    known = set(Currency.objects.filter(code__in=[*rates, "EUR"]).values_list("code", flat=True))
    result = ImportResult("ECB rates")
    if "EUR" not in known:
        return result
    with transaction.atomic():
        for code, rate in sorted(rates.items()):
            if code not in known or code == "EUR":
                continue
            before = (
                ExchangeRate.objects.filter(
                    currency_id="EUR", quote_currency_id=code, valid_from=valid_from
                )
                .values_list("rate", flat=True)
                .first()
            )
            exchange_rate_set(
                actor=actor,
                currency="EUR",
                quote_currency=code,
                valid_from=valid_from,
                rate=rate,
                replace=True,
            )
            if before is None:
                result.created += 1
            elif before == rate:
                result.unchanged += 1
            else:
                result.updated += 1
    return result
