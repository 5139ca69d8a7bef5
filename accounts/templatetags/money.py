"""``{{ amount|money:currency }}``: grouped thousands, the currency's own decimal places
(two for USD, none for JPY), the currency code after — English separators on every page."""

from django import template

from accounts.locale_format import format_amount

register = template.Library()


@register.filter
def money(amount, currency="") -> str:
    return format_amount(amount, currency, "en")
