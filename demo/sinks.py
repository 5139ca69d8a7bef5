"""Where ``generate_data`` sends its rows: COPY into PostgreSQL.

A sink takes rows as tuples of plain values (money as integer cents, via ``sink.money``)
and reserves primary keys up front, so invoices can be referenced by the applications
written after them without reading anything back.
"""

from __future__ import annotations

import csv
import io
import json

from django.db import connection, models
from django.utils import timezone


class Sink:
    """Where rows go. Rows are tuples in ``columns`` order; the sink adds the model's other
    columns with their defaults, so a field added later does not break the loader."""

    null: object = None

    def __init__(self):
        self.now = timezone.now()
        self._extras: dict[tuple[type[models.Model], tuple[str, ...]], tuple] = {}

    def money(self, cents: int):
        raise NotImplementedError

    def reserve(self, model: type[models.Model], count: int) -> int:
        raise NotImplementedError

    def write(self, model: type[models.Model], columns: tuple[str, ...], rows: list[tuple]):
        raise NotImplementedError

    def _rest(self, model, columns) -> tuple[tuple[str, ...], tuple]:
        key = (model, columns)
        if key not in self._extras:
            names, values = [], []
            for model_field in model._meta.concrete_fields:
                if model_field.attname in columns or model_field.primary_key:
                    continue
                if getattr(model_field, "auto_now", False) or getattr(
                    model_field, "auto_now_add", False
                ):
                    value = self.now
                elif model_field.has_default():
                    value = model_field.get_default()
                elif model_field.null:
                    value = None
                elif model_field.blank and model_field.empty_strings_allowed:
                    value = ""  # a text field that may be left blank, as a form would leave it
                else:
                    raise TypeError(f"no value for {model.__name__}.{model_field.name}")
                names.append(model_field.attname)
                values.append(value)
            self._extras[key] = (tuple(names), tuple(values))
        return self._extras[key]


class CopySink(Sink):
    """PostgreSQL: ids reserved from the sequence, rows streamed with COPY from CSV."""

    null = r"\N"

    def __init__(self):
        super().__init__()
        self.cursor = connection.cursor()

    @staticmethod
    def money(cents: int) -> str:
        return f"{cents // 100}.{cents % 100:02d}"

    def reserve(self, model, count):
        table = model._meta.db_table
        self.cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
            " nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
            [table, table, count],
        )
        return self.cursor.fetchone()[0] - count + 1

    def _text(self, value):
        if value is None:
            return self.null
        if isinstance(value, dict | list):
            return json.dumps(value)
        return value

    def write(self, model, columns, rows):
        if not rows:
            return
        names, values = self._rest(model, columns)
        extra = tuple(self._text(v) for v in values)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if extra:
            writer.writerows(row + extra for row in rows)
        else:
            writer.writerows(rows)
        buffer.seek(0)
        quote = connection.ops.quote_name
        sql = "COPY {} ({}) FROM STDIN WITH (FORMAT csv, NULL '\\N')".format(
            quote(model._meta.db_table), ", ".join(quote(name) for name in columns + names)
        )
        raw = self.cursor.cursor
        if hasattr(raw, "copy_expert"):  # psycopg2
            raw.copy_expert(sql, buffer)
        else:  # psycopg 3
            with raw.copy(sql) as copy:
                copy.write(buffer.getvalue())
