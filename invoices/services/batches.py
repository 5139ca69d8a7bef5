"""Naming the item a batch service refused: ``<items>[<position>].<field>``, like the
``allocations[0].amount`` a single service names, so a caller can point at its row."""

from __future__ import annotations

import re

from accounts.errors import ServiceError

_POSITIONED = re.compile(r"(?P<items>\w+)\[(?P<index>[0-9]+)\](?:\.(?P<field>.+))?")


def refused_at(items: str, index: int, exc: ServiceError) -> ServiceError:
    """The refusal of one item, re-raised for the batch with the item's position."""
    field = f"{items}[{index}]" + (f".{exc.field}" if exc.field else "")
    return ServiceError(exc.message, field=field, code=exc.code)


def refused_position(exc: ServiceError, items: str) -> tuple[int, str | None] | None:
    """The position and the item's own field of a batch refusal, or None for another one."""
    match = _POSITIONED.fullmatch(exc.field or "")
    if match is None or match["items"] != items:
        return None
    return int(match["index"]), match["field"]
