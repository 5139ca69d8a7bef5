"""Exchange rates for reports: every foreign amount is converted at a dated rate."""

from __future__ import annotations

import bisect
import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Q

from accounts.models import ExchangeRate

CENT = Decimal("0.01")


class ReportError(ValueError):
    """A report that cannot be computed honestly (e.g. a currency with no rate in force)."""


def reporting_currency() -> str:
    return settings.REPORTING_CURRENCY


def rates_on(as_of: datetime.date) -> dict[str, Decimal]:
    """Units of the reporting currency per unit of each currency, as in force on ``as_of``
    (``RateBook.on``), reading only each pair's latest rate up to that day."""
    target = reporting_currency()
    latest = (
        ExchangeRate.objects.filter(Q(quote_currency_id=target) | Q(currency_id=target))
        .filter(valid_from__lte=as_of)
        .order_by("currency_id", "quote_currency_id", "-valid_from")
        .distinct("currency_id", "quote_currency_id")
        .values_list("currency_id", "quote_currency_id", "valid_from", "rate")
    )
    return RateBook(latest).on(as_of)


class RateBook:
    """Every rate to or from the reporting currency, loaded once, looked up by date.

    A direct rate (X → reporting) wins over the inverse of a reporting → X rate.
    """

    def __init__(self, rows):
        target = reporting_currency()
        self.target = target
        self.direct: dict[str, list[tuple[datetime.date, Decimal]]] = {}
        self.inverse: dict[str, list[tuple[datetime.date, Decimal]]] = {}
        for currency, quote, valid_from, rate in rows:
            if quote == target:
                self.direct.setdefault(currency, []).append((valid_from, rate))
            else:
                self.inverse.setdefault(quote, []).append((valid_from, Decimal(1) / rate))

    @classmethod
    def load(cls, *, until: datetime.date | None = None) -> RateBook:
        target = reporting_currency()
        rows = ExchangeRate.objects.filter(Q(quote_currency_id=target) | Q(currency_id=target))
        if until is not None:
            rows = rows.filter(valid_from__lte=until)
        return cls(
            rows.order_by("valid_from").values_list(
                "currency_id", "quote_currency_id", "valid_from", "rate"
            )
        )

    @staticmethod
    def _in_force(history, day):
        index = bisect.bisect_right(history, day, key=lambda entry: entry[0])
        return history[index - 1][1] if index else None

    def rate(self, currency: str, day: datetime.date) -> Decimal | None:
        if currency == self.target:
            return Decimal(1)
        found = self._in_force(self.direct.get(currency, []), day)
        if found is None:
            found = self._in_force(self.inverse.get(currency, []), day)
        return found

    def on(self, day: datetime.date) -> dict[str, Decimal]:
        rates = {self.target: Decimal(1)}
        for currency in {*self.direct, *self.inverse}:
            found = self.rate(currency, day)
            if found is not None:
                rates[currency] = found
        return rates

    def convert(self, amount: Decimal, currency: str, day: datetime.date) -> Decimal:
        rate = self.rate(currency, day)
        if rate is None:
            raise missing_rate(currency, day)
        # half away from zero, as PostgreSQL ROUND() does in the aging query
        return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)

    def convert_between(
        self, amount: Decimal, currency: str, into: str, day: datetime.date, *, places: int = 2
    ) -> Decimal:
        """``amount`` of ``currency`` in ``into``: across the two currencies' rates to the
        reporting currency in force on ``day``, rounded once, half up, to ``places``.
        A missing rate on either side is refused (ReportError), never taken as 1:1."""
        exponent = Decimal(1).scaleb(-places)
        if currency == into:
            return amount.quantize(exponent, rounding=ROUND_HALF_UP)
        rate_from, rate_into = self.rate(currency, day), self.rate(into, day)
        if rate_from is None:
            raise missing_rate(currency, day)
        if rate_into is None:
            raise missing_rate(into, day)
        return (amount * rate_from / rate_into).quantize(exponent, rounding=ROUND_HALF_UP)


def rates_sql(rates: dict[str, Decimal]) -> tuple[str, list]:
    """A ``VALUES`` list usable as a CTE body: (currency_id, rate)."""
    values = ", ".join(["(%s::varchar, %s::numeric)"] * len(rates))
    params: list = []
    for code, rate in sorted(rates.items()):
        params += [code, rate]
    return f"SELECT * FROM (VALUES {values}) AS r(currency_id, rate)", params  # noqa: S608


def missing_rate(currency: str, as_of: datetime.date) -> ReportError:
    return ReportError(
        f"no exchange rate from {currency} to {reporting_currency()} in force on {as_of}"
    )
