"""Bulk upserts on natural keys, fast on PostgreSQL and portable to SQLite."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

import pandas as pd
from django.db import connections, models

SQLITE_BATCH = 2000


def upsert_rows(
    model: type[models.Model],
    rows: Sequence[dict] | pd.DataFrame,
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
    compare_fields: Sequence[str] | None = None,
    constants: dict | None = None,
    using: str = "default",
) -> int:
    """Insert ``rows`` (dicts, or a DataFrame, of field or attnames → values) or update them on
    conflict with ``unique_fields``.

    On PostgreSQL the whole set travels as one JSON document into one ``INSERT … SELECT FROM
    json_populate_recordset … ON CONFLICT DO UPDATE`` statement: one round trip, no per-row
    SQL and no per-value Python work (the JSON encoder and the server do it). With
    ``compare_fields`` an existing row is rewritten only when one of them changed, so a rerun
    over unchanged data writes almost nothing. ``constants`` are columns with one value for
    every row (a timestamp), sent once instead of per row. Elsewhere it falls back to
    ``bulk_create(update_conflicts=True)`` in batches. Returns the number of rows given.
    """
    if len(rows) == 0:
        return 0
    connection = connections[using]
    constants = constants or {}
    if connection.vendor != "postgresql":
        records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else rows
        objs = [model(**row, **constants) for row in records]
        for start in range(0, len(objs), SQLITE_BATCH):
            model.objects.using(using).bulk_create(
                objs[start : start + SQLITE_BATCH],
                update_conflicts=True,
                unique_fields=[_field(model, f).name for f in unique_fields],
                update_fields=[_field(model, f).name for f in update_fields],
            )
        return len(rows)

    if isinstance(rows, pd.DataFrame):
        names = list(rows.columns)
        payload = rows.rename(columns={n: _field(model, n).column for n in names}).to_json(
            orient="records", date_format="iso", double_precision=15
        )
    else:
        names = list(rows[0].keys())
        column_of = {n: _field(model, n).column for n in names}
        if any(column != name for name, column in column_of.items()):
            rows = [
                {column_of.get(n) or _field(model, n).column: v for n, v in row.items()}
                for row in rows
            ]
        payload = json.dumps(rows, default=_json_value, ensure_ascii=False)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(_field(model, n).column) for n in names)
    constant_columns = "".join(f", {quote(_field(model, n).column)}" for n in constants)
    constant_values = "".join(f", %s::{_field(model, n).db_type(connection)}" for n in constants)
    conflict = ", ".join(quote(_field(model, n).column) for n in unique_fields)
    updates = ", ".join(
        f"{quote(_field(model, n).column)} = EXCLUDED.{quote(_field(model, n).column)}"
        for n in update_fields
    )
    sql = (
        f"INSERT INTO {table} ({columns}{constant_columns}) "
        f"SELECT {columns}{constant_values} "
        f"FROM json_populate_recordset(NULL::{table}, %s::json) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    if compare_fields:
        compared = [quote(_field(model, n).column) for n in compare_fields]
        sql += (
            f" WHERE ({', '.join(f'{table}.{c}' for c in compared)}) IS DISTINCT FROM "
            f"({', '.join(f'EXCLUDED.{c}' for c in compared)})"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants.values(), payload])
    return len(rows)


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


@lru_cache(maxsize=1024)
def _field(model, name: str) -> models.Field:
    """Accept either the field name ('video') or its column attname ('video_id')."""
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return field
    raise LookupError(f"{model.__name__} has no field {name!r}")
