"""Dates and amounts as a reader of the active language writes them (Babel's CLDR data):
letters, statements and their e-mails go out in the customer's language, rendered under
``translation.override(language)``.

    en  Dec 3, 2026   1,234.56 EUR
    de  03.12.2026    1.234,56 EUR
    fr  3 déc. 2026   1 234,56 EUR
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from django.utils import translation

from accounts.money import minor_unit


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(translation.to_locale(language))


def active_locale(language: str | None = None) -> Locale:
    return _locale(language or translation.get_language() or "en")


def format_day(value: datetime.date | None, language: str | None = None) -> str:
    """A business date, medium length: short enough for a table cell, never ambiguous."""
    if value in (None, ""):
        return ""
    return format_date(value, format="medium", locale=active_locale(language))


def format_amount(amount, currency="", language: str | None = None, *, code: bool = True) -> str:
    """The currency's own decimal places (two for USD, none for JPY) with the locale's
    separators, then the ISO code unless ``code=False`` (the code, not a symbol: "$" is
    several currencies)."""
    if amount is None or amount == "":
        return ""
    places = minor_unit(currency)
    value = Decimal(amount).quantize(Decimal(1).scaleb(-places))
    pattern = "#,##0." + "0" * places if places else "#,##0"
    text = format_decimal(value, format=pattern, locale=active_locale(language))
    iso = getattr(currency, "code", currency) or ""
    return f"{text} {iso}" if code and iso else text
