"""Rows read by hand-written SQL, built as the ORM builds them.

Some statements run on every save or page are written out once per process instead of being
compiled by the ORM each time (the ORM took longer to compile them than PostgreSQL to run
them). `Columns` gives such a statement a model's columns and turns its part of a result row
into a model instance: each field's database converters, then `from_db`, as a queryset does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


class Columns:
    """A model's concrete columns as a SELECT list, and the instance built from a result
    row as the ORM builds it (each field's converters from the database, then `from_db`)."""

    def __init__(self, model: type[Model], alias: str = "") -> None:
        # `alias`: the statement's name for the model's table, when it gives one.
        table = alias or connection.ops.quote_name(model._meta.db_table)
        fields = list(model._meta.concrete_fields)
        self.model = model
        self.width = len(fields)
        self.attnames = [f.attname for f in fields]
        # Where the primary key sits: null there is a LEFT JOIN that found no row.
        self.pk_index = self.attnames.index(model._meta.pk.attname)
        # A concrete field always has its column.
        self.sql = ", ".join(f"{table}.{connection.ops.quote_name(f.column or '')}" for f in fields)
        self.converters: list[tuple[int, list[Any], Any]] = []
        for index, field in enumerate(fields):
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self.converters.append((index, found, column))

    def build(self, values: Sequence[Any]) -> Any:
        values = list(values)
        for index, converters, column in self.converters:
            value = values[index]
            for convert in converters:
                value = convert(value, column, connection)
            values[index] = value
        return self.model.from_db(connection.alias, self.attnames, values)


def build_row(values: Sequence[Any], columns: Sequence[Columns]) -> list[Any]:
    """The instances of a result row whose leading columns are `columns`' in turn (the
    statement's other columns follow them); None for a LEFT JOIN that found no row (its
    primary key is null)."""
    built: list[Any] = []
    start = 0
    for column in columns:
        part = values[start : start + column.width]
        start += column.width
        built.append(None if part[column.pk_index] is None else column.build(part))
    return built
