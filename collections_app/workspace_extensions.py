"""Apps above the workflow (dunning, later credit) add to the account workspace without the
workflow importing them: each registers, in its AppConfig.ready(), a function that gets the
request, the customer, the page of open items and any bound forms, and returns context.

The lists ``item_headers``, ``item_cells`` (templates for one cell per open item) and
``side_panels`` (templates for the side column) are concatenated across extensions; any
other key is added to the page's context as it is.
"""

from __future__ import annotations

from collections.abc import Callable

LISTS = ("item_headers", "item_cells", "side_panels")

context_hooks: list[Callable[..., dict]] = []


def extension_context(request, customer, items, bound: dict | None) -> dict:
    out: dict = {name: [] for name in LISTS}
    for hook in context_hooks:
        extra = hook(request, customer, items, bound or {})
        for name, value in extra.items():
            if name in LISTS:
                out[name].extend(value)
            else:
                out[name] = value
    return out
