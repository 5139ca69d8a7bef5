"""``{{ date|day }}``, ``{{ amount|amount:currency }}`` and ``{{ amount|figure:currency }}``
(without the code) in the active language (accounts/locale_format.py); dunning's sandboxed
templates get the same filters."""

from django import template

from accounts.locale_format import format_amount, format_day

register = template.Library()


@register.filter
def day(value) -> str:
    return format_day(value)


@register.filter
def amount(value, currency="") -> str:
    return format_amount(value, currency)


@register.filter
def figure(value, currency="") -> str:
    """An amount without its currency code, for a table whose heading names the currency."""
    return format_amount(value, currency, code=False)
