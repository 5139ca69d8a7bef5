"""``{{ amount|money:currency }}``: grouped thousands, the currency's own decimal places
(two for USD, none for JPY), the currency code after."""

from django import template

from accounts.money import money_text

register = template.Library()


@register.filter
def money(amount, currency="") -> str:
    return money_text(amount, currency)
