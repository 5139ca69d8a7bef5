"""Rows of one model written in one statement per batch, through unnest(...).

``QuerySet.bulk_create`` inserts through unnest on PostgreSQL too, but prepares every value
through its field (``pre_save``, ``get_db_prep_save``, an expression check): some 30 µs of
Python a row, most of the time of a 50,000-row import. Here the values of plain columns
(text, numbers, Decimals, booleans, dates, foreign keys) go to psycopg2 as they are, JSON is
dumped once, and only other field types are prepared by their field. No signals, like
``bulk_create``. ``insert_rows`` saves model instances and gives them their keys;
``insert_values`` takes plain mappings by column (``customer_id``), for the rows of a batch
nobody reads back as objects (audit entries, history), and spares building an instance a row.
``update_columns`` stores some fields of saved instances in one UPDATE ... FROM unnest(...);
``as_array`` hands a batch's keys to an ``__in`` lookup as one array.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .csv_reading import batched

BATCH = 2000
# identifiers from the model's meta, quoted; values only as parameters
INSERT_SQL = "INSERT INTO {} ({}) SELECT * FROM unnest({}) RETURNING {}"
ARRAY_SQL = "SELECT unnest(%s::{}[])"
UPDATE_SQL = (
    "UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS u({columns}) WHERE t.{pk} = u.{pk}"
)
# Field types whose Python value psycopg2 adapts as it is (None is NULL).
PLAIN = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "EmailField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def insert_rows(objs: Sequence[models.Model]) -> None:
    """Save new instances of one model (primary key not set), a statement per ``BATCH``."""
    if not objs:
        return
    meta = objs[0]._meta
    fields = _fields(meta)
    relations = [field for field in fields if field.is_relation]
    stamped = [field for field in fields if _stamped(field)]
    now = timezone.now()
    for obj in objs:
        for field in relations:
            _take_related_pk(obj, field)
        for field in stamped:
            setattr(obj, field.attname, now)
    for batch in batched(objs, BATCH):
        columns = [[getattr(obj, field.attname) for obj in batch] for field in fields]
        for obj, pk in zip(batch, _insert(meta, fields, columns), strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias


def insert_values(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Insert rows given as {column attname: value}; a column a row leaves out takes the
    field's default (evaluated once for the call, ``auto_now`` fields: now). The new keys."""
    if not rows:
        return []
    meta = model._meta
    fields = _fields(meta)
    now = timezone.now()
    defaults = {field.attname: now if _stamped(field) else field.get_default() for field in fields}
    keys: list[Any] = []
    for batch in batched(rows, BATCH):
        columns = [
            [row.get(field.attname, defaults[field.attname]) for row in batch] for field in fields
        ]
        keys.extend(_insert(meta, fields, columns))
    return keys


def update_columns(rows: Sequence[models.Model], names: list[str]) -> None:
    """Store these fields of saved rows of one model in one UPDATE ... FROM unnest(...), a
    statement per ``BATCH`` rows (``bulk_update`` writes a CASE per row and field, which
    costs seconds for a few thousand rows)."""
    if not rows:
        return
    meta = rows[0]._meta
    fields = [meta.pk, *(meta.get_field(name) for name in names)]
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in fields]
    types = [field.db_type(connection).split("(")[0] for field in fields]
    sql = UPDATE_SQL.format(
        table=quote(meta.db_table),
        sets=", ".join(f"{column} = u.{column}" for column in columns[1:]),
        arrays=", ".join(f"%s::{db_type}[]" for db_type in types),
        columns=", ".join(columns),
        pk=columns[0],
    )
    with connection.cursor() as cursor:
        for batch in batched(rows, BATCH):
            params = [
                _adapted(field, [getattr(row, field.attname) for row in batch]) for field in fields
            ]
            cursor.execute(sql, params)


def as_array(values: Iterable[Any], field: models.Field) -> RawSQL:
    """Values for an ``__in`` lookup on ``field``, sent as one array parameter: Django
    prepares an ``__in`` list value by value, which costs more than the query itself for
    the thousands of keys of a batch."""
    db_type = field.db_type(connection).split("(")[0]
    # the type is the field's own, the values go as a parameter
    return RawSQL(ARRAY_SQL.format(db_type), [list(values)])  # noqa: S611


def _fields(meta) -> list[models.Field]:
    return [field for field in meta.concrete_fields if field is not meta.pk]


def _stamped(field: models.Field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _insert(meta, fields: list[models.Field], columns: list[list]) -> list[Any]:
    quote = connection.ops.quote_name
    sql = INSERT_SQL.format(
        quote(meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields),
        quote(meta.pk.column),
    )
    params = [_adapted(field, values) for field, values in zip(fields, columns, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


def _take_related_pk(obj: models.Model, field: models.Field) -> None:
    """A related object assigned before it was saved: its key now (as ``save()`` does)."""
    if getattr(obj, field.attname) is not None or not field.is_cached(obj):
        return
    related = field.get_cached_value(obj)
    if related is None:
        return
    if related.pk is None:
        raise ValueError(f"{field.name} of a new {obj._meta.label} is not saved yet")
    setattr(obj, field.attname, related.pk)


def _adapted(field: models.Field, values: list) -> list:
    kind = (field.target_field if field.is_relation else field).get_internal_type()
    if kind in PLAIN:
        return values
    if kind == "JSONField":
        return [None if value is None else json.dumps(value, cls=field.encoder) for value in values]
    return [field.get_db_prep_save(value, connection) for value in values]
