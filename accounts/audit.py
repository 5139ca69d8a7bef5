"""The one way services record who changed what."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import models

from .bulk_rows import insert_values
from .models import AuditEntry


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """Plain JSON-safe copy of the named fields; FKs by their id."""
    out: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        value = getattr(instance, field.attname)
        out[name] = _jsonable(value)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def audit_record(
    *,
    actor: Any,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        before=before,
        after=after,
    )


def audit_record_many(
    *,
    actor: Any,
    action: str,
    instances: list[models.Model],
    after: Callable[[models.Model], dict[str, Any] | None] | None = None,
    before: Callable[[models.Model], dict[str, Any] | None] | None = None,
) -> int:
    """One entry per instance, written in one INSERT: the audit trail of a set-based import,
    the same entries ``audit_record`` would write one by one (the instances must be saved).
    Returns how many were written."""
    user = actor.pk if getattr(actor, "is_authenticated", False) else None
    entries = [
        {
            "actor_id": user,
            "action": action,
            "object_type": instance._meta.label_lower,
            "object_id": str(instance.pk),
            "before": before(instance) if before is not None else None,
            "after": after(instance) if after is not None else None,
        }
        for instance in instances
    ]
    return len(insert_values(AuditEntry, entries))
