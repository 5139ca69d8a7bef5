"""Decimal money: parsed strictly, never through float."""

from decimal import Decimal, InvalidOperation

from django.conf import settings

from .errors import ServiceError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# A stored sum of many amounts, each up to settings.AMOUNT_MAX, converted at any stored rate
# (an exposure, a queue's or a snapshot's total): wider than one amount's DecimalField(18, 2).
MONEY_TOTAL = {"max_digits": 30, "decimal_places": 2}


def to_money(value: object, *, field: str = "amount") -> Decimal:
    """A Decimal with at most two places; floats are refused because they already lost cents."""
    if isinstance(value, float):
        raise ServiceError("amounts must be given as decimal text, not float", field=field)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(f"{value!r} is not a number", field=field) from None
    if not amount.is_finite():
        raise ServiceError(f"{value!r} is not a finite amount", field=field)
    bound = amount_max()
    if abs(amount) > bound:
        raise ServiceError(f"{value} is too large: the maximum amount is {bound}", field=field)
    if amount != amount.quantize(CENT):
        raise ServiceError(f"{value!r} has more than two decimal places", field=field)
    return amount.quantize(CENT)


def amount_max() -> Decimal:
    """The business maximum of a single amount (``settings.AMOUNT_MAX``, default 1e12)."""
    return Decimal(str(settings.AMOUNT_MAX)).quantize(CENT)


def to_positive_money(value: object, *, field: str = "amount") -> Decimal:
    amount = to_money(value, field=field)
    if amount <= 0:
        raise ServiceError(f"{field} must be greater than zero, got {amount}", field=field)
    return amount


def minor_unit(currency: object) -> int:
    """The decimal places of a currency: a Currency row's own, or for a code the reference
    table's (ISO 4217), then the database's; two when the code is unknown."""
    places = getattr(currency, "decimal_places", None)
    if places is not None:
        return int(places)
    code = str(getattr(currency, "code", currency) or "")
    if not code:
        return 2
    if code not in _PLACES_BY_CODE:
        from .models import Currency

        row = Currency.objects.filter(code=code).values_list("decimal_places", flat=True)
        if not row:
            return 2
        _PLACES_BY_CODE[code] = int(row[0])
    return _PLACES_BY_CODE[code]


def in_minor_units(amount: Decimal, currency: object, *, field: str = "amount") -> Decimal:
    """Refuse an amount with more decimal places than its currency has (100.50 JPY)."""
    places = minor_unit(currency)
    quantum = Decimal(1).scaleb(-places)
    if amount != amount.quantize(quantum):
        code = getattr(currency, "code", currency)
        unit = "no decimal places" if places == 0 else f"at most {places} decimal places"
        raise ServiceError(f"{amount} {code}: {code} amounts have {unit}", field=field)
    return amount


def _reference_places() -> dict[str, int]:
    from .reference_data import CURRENCIES

    return {code: places for code, _name, places in CURRENCIES}


_PLACES_BY_CODE: dict[str, int] = _reference_places()
