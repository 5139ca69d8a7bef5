"""``{{ amount|money:currency }}``: grouped thousands, two places, the currency code after."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money(amount, currency="") -> str:
    if amount is None or amount == "":
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"))
    text = f"{value:,.2f}"
    code = getattr(currency, "code", currency) or ""
    return f"{text} {code}".strip()
