"""Decimal money: parsed strictly, never through float."""

from decimal import Decimal, InvalidOperation

from .errors import ServiceError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


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
    if abs(amount) >= Decimal("1e16"):
        raise ServiceError(f"{value!r} is too large", field=field)
    if amount != amount.quantize(CENT):
        raise ServiceError(f"{value!r} has more than two decimal places", field=field)
    return amount.quantize(CENT)


def to_positive_money(value: object, *, field: str = "amount") -> Decimal:
    amount = to_money(value, field=field)
    if amount <= 0:
        raise ServiceError(f"{field} must be greater than zero, got {amount}", field=field)
    return amount
