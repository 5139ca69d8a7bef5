"""The cash pages' money limits, which are amounts in the reporting currency.

``CASH_WRITE_OFF_APPROVAL_LIMIT``, ``CASH_REFUND_APPROVAL_LIMIT`` and
``CASH_BANK_CHARGES_TOLERANCE`` are written as plain decimals and read in
``REPORTING_CURRENCY``. The amount checked against one is converted at the rate in force on the
movement's date, the same way the reports convert (``accounts.fx``). 100 JPY is therefore
not held to a limit written for 100 EUR. When there is no rate, nobody can say the amount is
within the limit, so it needs a person: a missing rate is never read as 1:1.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from accounts.fx import CENT, rates_on, reporting_currency
from accounts.locale_format import format_amount

WRITE_OFF_APPROVAL = "CASH_WRITE_OFF_APPROVAL_LIMIT"
REFUND_APPROVAL = "CASH_REFUND_APPROVAL_LIMIT"
BANK_CHARGES = "CASH_BANK_CHARGES_TOLERANCE"


def limit(name: str) -> Decimal:
    """A limit's amount in the reporting currency, as the setting writes it."""
    return Decimal(str(getattr(settings, name)))


def in_reporting_currency(amount: Decimal, currency: str, day: datetime.date) -> Decimal | None:
    """``amount`` in the reporting currency at the rate in force on ``day``, or None when
    there is no rate (direct or inverse) that day."""
    if currency == reporting_currency():
        return amount
    rate = rates_on(day).get(currency)
    if rate is None:
        return None
    # rounded as the reports round a converted amount (accounts.fx.RateBook.convert)
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LimitCheck:
    """An amount held against one limit; ``words`` says the result in a sentence."""

    within: bool
    words: str


@dataclass(frozen=True)
class Converted:
    """An amount with its value in the reporting currency on a day (None: no rate), to hold
    against one limit or several."""

    amount: Decimal
    currency: str
    day: datetime.date
    value: Decimal | None

    def against(self, name: str, *, what: str) -> LimitCheck:
        """Whether the amount is at most the limit ``name``; ``what`` names the limit in the
        sentence, e.g. "the write-off approval limit"."""
        ceiling = limit(name)
        target = reporting_currency()
        shown = format_amount(self.amount, self.currency)
        ceiling_shown = format_amount(ceiling, target)
        if self.value is None:
            return LimitCheck(
                False,
                f"there is no {self.currency} to {target} rate in force on "
                f"{self.day.isoformat()}, so {shown} cannot be held against {what} of "
                f"{ceiling_shown}",
            )
        if self.currency != target:
            shown = f"{shown} ({format_amount(self.value, target)} on {self.day.isoformat()})"
        if self.value <= ceiling:
            return LimitCheck(True, f"{shown} is within {what} of {ceiling_shown}")
        return LimitCheck(False, f"{shown} is above {what} of {ceiling_shown}")


def converted(amount: Decimal, currency: str, day: datetime.date) -> Converted:
    return Converted(amount, currency, day, in_reporting_currency(amount, currency, day))


def check(
    amount: Decimal, currency: str, day: datetime.date, *, name: str, what: str
) -> LimitCheck:
    """Whether ``amount`` (in ``currency``, on ``day``) is at most the limit ``name``."""
    return converted(amount, currency, day).against(name, what=what)
