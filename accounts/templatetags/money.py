"""``{{ amount|money:currency }}``: grouped thousands, the currency's own decimal places
(two for USD, none for JPY), the currency code after."""

from decimal import Decimal

from django import template

from accounts.money import minor_unit

register = template.Library()


@register.filter
def money(amount, currency="") -> str:
    if amount is None or amount == "":
        return ""
    places = minor_unit(currency)
    value = Decimal(amount).quantize(Decimal(1).scaleb(-places))
    text = f"{value:,.{places}f}"
    code = getattr(currency, "code", currency) or ""
    return f"{text} {code}".strip()
