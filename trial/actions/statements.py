"""Statements of the write path written out once per process instead of compiled by the ORM
on every save: the ORM's compilation of a select_related join, an annotation or an update
took longer than PostgreSQL took to run the statement, on every save and every seeded form.

Rows are read with trial.rowsql.Columns, as the ORM reads them; `update_sql` is the UPDATE of
some fields of one row by primary key, as `save(update_fields=...)` sends it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import NOT_PROVIDED, Field, Model
from django.db.models.fields import AutoFieldMixin

from trial.rowsql import Columns


@functools.cache
def update_sql(model: type[Model], names: frozenset[str]) -> tuple[str, tuple[Field, ...]]:
    """The UPDATE of fields `names` of one row of `model` by primary key, and those fields
    in the order of its parameters (the primary key last): the model's order, as save()."""
    quote = connection.ops.quote_name
    fields = tuple(f for f in model._meta.concrete_fields if f.name in names or f.attname in names)
    table = quote(model._meta.db_table)
    # Concrete fields: each has its column.
    sets = ", ".join(f"{quote(f.column or '')} = %s" for f in fields)
    pk = quote(model._meta.pk.column or "")
    return f"UPDATE {table} SET {sets} WHERE {table}.{pk} = %s", fields


def update_fields(instance: Model, names: Sequence[str]) -> None:
    """`instance.save(update_fields=names)` for a model without save hooks nor signal
    receivers: the same statement, values prepared by each field as save() prepares them."""
    sql, fields = update_sql(type(instance), frozenset(names))
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


@functools.cache
def _insert_sql(model: type[Model]) -> tuple[str, tuple[Field, ...]] | None:
    """The INSERT of a new row of `model` returning its primary key, and the fields in the
    order of its parameters; None for a model whose fields the database fills in itself
    (db_default, generated columns) or whose key is not the database's: the ORM saves those."""
    quote = connection.ops.quote_name
    pk = model._meta.pk
    if pk is None or not isinstance(pk, AutoFieldMixin):
        return None
    fields = []
    for field in model._meta.local_concrete_fields:
        if field.generated or field.db_default is not NOT_PROVIDED:
            return None
        if field is not pk:
            fields.append(field)
    table = quote(model._meta.db_table)
    names = ", ".join(quote(f.column or "") for f in fields)
    values = ", ".join(["%s"] * len(fields))
    returning = f"{table}.{quote(pk.column or '')}"
    return f"INSERT INTO {table} ({names}) VALUES ({values}) RETURNING {returning}", tuple(fields)


def insert(instance: Model) -> None:
    """`instance.save()` of a new row, for a model without save hooks nor signal receivers:
    the same statement, values prepared by each field as save() prepares them."""
    written = _insert_sql(type(instance)) if instance.pk is None else None
    if written is None:
        instance.save()
        return
    sql, fields = written
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (key,) = cursor.fetchone()
    instance.pk = key
    instance._state.adding = False
    instance._state.db = connection.alias
