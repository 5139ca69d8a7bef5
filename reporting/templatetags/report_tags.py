"""``{{ mapping|get_item:key }}`` for bucket dicts and column lists in report templates."""

from django import template

register = template.Library()


@register.filter
def get_item(container, key):
    try:
        return container[key]
    except (KeyError, IndexError, TypeError):
        return None
