"""Bulk upserts on natural keys, fast on PostgreSQL and portable to SQLite."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models

SQLITE_BATCH = 2000


def upsert_rows(
    model: type[models.Model],
    rows: Sequence[dict],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
    using: str = "default",
) -> int:
    """Insert ``rows`` (dicts of column attnames → values) or update them on conflict.

    On PostgreSQL the whole set goes in one ``INSERT … SELECT FROM unnest(arrays) ON CONFLICT
    DO UPDATE`` statement: one round trip and no per-row SQL, whatever the size. Elsewhere it
    falls back to ``bulk_create(update_conflicts=True)`` in batches. Returns the row count.
    """
    if not rows:
        return 0
    connection = connections[using]
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        for start in range(0, len(objs), SQLITE_BATCH):
            model.objects.using(using).bulk_create(
                objs[start : start + SQLITE_BATCH],
                update_conflicts=True,
                unique_fields=[_field_name(model, f) for f in unique_fields],
                update_fields=[_field_name(model, f) for f in update_fields],
            )
        return len(rows)

    columns = list(rows[0].keys())
    fields = [_field(model, c) for c in columns]
    quote = connection.ops.quote_name
    casts = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    conflict = ", ".join(quote(_field(model, c).column) for c in unique_fields)
    updates = ", ".join(
        f"{quote(_field(model, c).column)} = EXCLUDED.{quote(_field(model, c).column)}"
        for c in update_fields
    )
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"SELECT * FROM unnest({casts}) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    params = [
        [f.get_db_prep_value(row[c], connection) for row in rows]
        for c, f in zip(columns, fields, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return len(rows)


def _field(model, name: str) -> models.Field:
    """Accept either the field name ('video') or its column attname ('video_id')."""
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return field
    raise LookupError(f"{model.__name__} has no field {name!r}")


def _field_name(model, name: str) -> str:
    return _field(model, name).name
