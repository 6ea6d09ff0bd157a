"""Statements of the write path written out once per process instead of compiled by the ORM
on every save: the ORM's compilation of a select_related join, an annotation or an update
took longer than PostgreSQL took to run the statement, on every save and every seeded form.

Rows are read with trial.rowsql.Columns, as the ORM reads them; `update_sql` is the UPDATE of
some fields of one row by primary key, as `save(update_fields=...)` sends it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from django.db import DatabaseError, connection
from django.db.models import Field, Model

from trial.rowsql import Columns


@functools.cache
def update_sql(model: type[Model], names: tuple[str, ...]) -> tuple[str, tuple[Field, ...]]:
    """The UPDATE of fields `names` of one row of `model` by primary key, and those fields
    in the order of its parameters (the primary key last)."""
    quote = connection.ops.quote_name
    fields = tuple(cast(Field, model._meta.get_field(name)) for name in names)
    table = quote(model._meta.db_table)
    # Concrete fields: each has its column.
    sets = ", ".join(f"{quote(f.column or '')} = %s" for f in fields)
    pk = quote(model._meta.pk.column or "")
    return f"UPDATE {table} SET {sets} WHERE {table}.{pk} = %s", fields


def update_fields(instance: Model, names: Sequence[str]) -> None:
    """`instance.save(update_fields=names)` for a model without save hooks nor signal
    receivers: the same statement, values prepared by each field as save() prepares them."""
    sql, fields = update_sql(type(instance), tuple(names))
    params = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, instance.pk])
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")


@functools.cache
def _data_row_sql(model: type[Model]) -> tuple[str, Columns]:
    quote = connection.ops.quote_name
    columns = Columns(model)
    table = quote(model._meta.db_table)
    link = quote(model._meta.get_field("form_status").column or "")  # type: ignore[union-attr]
    pk = quote(model._meta.pk.column or "")
    where = f"WHERE {table}.{link} = %s"
    sql = f"SELECT {columns.sql} FROM {table} {where} ORDER BY {table}.{pk} ASC LIMIT 1"
    return sql, columns


def data_row(model: type[Model], form_status_id: int) -> Any:
    """The form's data row of a form-status row, None when there is none: as
    `model.objects.filter(form_status_id=...).first()` reads it."""
    sql, columns = _data_row_sql(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, [form_status_id])
        found = cursor.fetchone()
    return None if found is None else columns.build(found)
