"""The current data for statisticians: one CSV per form, one per item group, a data
dictionary describing every column of every CSV, and the ODM 1.3.2 Snapshot.

A form's CSV has one row per participant, event and repeat with data; a choice item has its
coded value and, beside it, `<item>_label`. Booleans are `true`/`false`, dates ISO 8601,
decimals with their column's places: R, SAS and pandas read them without editing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models
from django.utils import translation

from trial import crf as crf_registry
from trial import registry
from trial.exports import odm
from trial.exports.common import Scope
from trial.models import FormStatus

KEYS = (
    ("participant", "Participant code", "text"),
    ("site", "Site code", "text"),
    ("event", "Event code (schedule)", "text"),
    ("form_repeat", "Repeat of the form within the event (1, 2, ...)", "integer"),
    ("form_status", "Status of the form", "text"),
)
GROUP_KEY = ("group_repeat", "Repeat key of the row within its item group", "integer")
# The row's name as every page shows it (L1, Left kidney, 4 h, T1, E1), beside its key.
GROUP_NAME = ("group_repeat_label", "Name of the row (as on the form)", "text")
BATCH = 500


def _type(model_field: models.Field) -> str:
    kind = odm._data_type(model_field)
    return {"float": "decimal"}.get(kind, kind)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _columns(fields: list[models.Field]) -> list[tuple[str, models.Field, bool]]:
    """(column, field, is_label) for each item, a label column after each choice item."""
    columns = []
    for f in fields:
        columns.append((f.name, f, False))
        if f.choices:
            columns.append((f"{f.name}_label", f, True))
    return columns


def _value(values: dict[str, Any], column: tuple[str, models.Field, bool]) -> str:
    name, model_field, is_label = column
    value = values.get(model_field.name)
    if is_label:
        return "" if value in (None, "") else str(dict(model_field.flatchoices).get(value, value))
    return _cell(value)


def _units(spec: crf_registry.Crf) -> dict[str, str]:
    """The unit of each of the form's own items, entered or derived."""
    return {f.name: spec.unit(f.name) for f in spec.item_fields if spec.unit(f.name)}


def _rows(spec: crf_registry.Crf, scope: Scope) -> Iterator[list[FormStatus]]:
    rows = FormStatus.objects.filter(form=spec.code).select_related("participant__site")
    if scope.participant_ids is not None:
        rows = rows.filter(participant_id__in=scope.participant_ids)
    batch: list[FormStatus] = []
    for row in rows.order_by("participant__code", "event", "repeat").iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# Choice labels and the dictionary are English, whatever the language of the person
# exporting (the labels are lazy translations).
@translation.override("en")
def write(scope: Scope, directory: Path) -> int:
    """Write the CSVs, the dictionary and the Snapshot into `directory`; returns the number
    of data rows written (forms and item groups)."""
    directory.mkdir(parents=True, exist_ok=True)
    total = 0
    dictionary: list[tuple] = []
    for spec in sorted(crf_registry.REGISTRY.values(), key=lambda s: s.code):
        units = _units(spec)
        form_file = f"{spec.code.lower()}.csv"
        form_columns = _columns(spec.item_fields)
        for name, label, kind in KEYS:
            dictionary.append((form_file, spec.code, "", name, label, kind, "", ""))
        for column in form_columns:
            dictionary.append(_describe(form_file, spec.code, "", column, units))
        group_files = {}
        namings = {}
        for group in spec.groups:
            group_file = f"{spec.code.lower()}__{group.name}.csv"
            group_files[group.name] = (group_file, _columns(group.item_fields))
            # Names without a participant's data (the lesions' segments are in their CSV).
            namings[group.name] = group.naming(None)
            for name, label, kind in (*KEYS[:4], GROUP_KEY, GROUP_NAME):
                dictionary.append((group_file, spec.code, group.name, name, label, kind, "", ""))
            for column in group_files[group.name][1]:
                dictionary.append(
                    _describe(
                        group_file,
                        spec.code,
                        group.name,
                        column,
                        {k: str(v) for k, v in group.units.items()},
                        namings[group.name],
                    )
                )
        computed = registry.computed_tables(spec.code)
        for table in computed:
            table_file = f"{spec.code.lower()}__{table.name}.csv"
            for name, label, kind in (*KEYS[:4], GROUP_KEY, GROUP_NAME):
                dictionary.append((table_file, spec.code, table.name, name, label, kind, "", ""))
            for computed_column in table.columns:
                dictionary.append(
                    (
                        table_file,
                        spec.code,
                        table.name,
                        computed_column.name,
                        computed_column.label,
                        computed_column.kind,
                        computed_column.unit,
                        "",
                    )
                )
        handles = {}
        try:
            form_out = open(directory / form_file, "w", encoding="utf-8", newline="")  # noqa: SIM115
            handles[""] = form_out
            form_writer = csv.writer(form_out)
            form_writer.writerow([k[0] for k in KEYS] + [c[0] for c in form_columns])
            group_writers = {}
            for name, (group_file, columns) in group_files.items():
                handles[name] = open(directory / group_file, "w", encoding="utf-8", newline="")  # noqa: SIM115
                group_writers[name] = csv.writer(handles[name])
                group_writers[name].writerow(
                    [k[0] for k in KEYS[:4]]
                    + [GROUP_KEY[0], GROUP_NAME[0]]
                    + [c[0] for c in columns]
                )
            table_writers = {}
            for table in computed:
                handle = open(  # noqa: SIM115 - closed with the others below
                    directory / f"{spec.code.lower()}__{table.name}.csv",
                    "w",
                    encoding="utf-8",
                    newline="",
                )
                handles[f"computed:{table.name}"] = handle
                table_writers[table.name] = csv.writer(handle)
                table_writers[table.name].writerow(
                    [k[0] for k in KEYS[:4]]
                    + [GROUP_KEY[0], GROUP_NAME[0]]
                    + [c.name for c in table.columns]
                )
            for batch in _rows(spec, scope):
                values = crf_registry.snapshot(batch)
                for table in computed:
                    found = table.rows([row for row in batch if row.pk in values])
                    for row in batch:
                        keys = [
                            row.participant.code,
                            row.participant.site.code,
                            row.event,
                            row.repeat,
                        ]
                        for key, label, items in found.get(row.pk, []):
                            table_writers[table.name].writerow(
                                [*keys, key, label]
                                + [_cell(items.get(c.name)) for c in table.columns]
                            )
                for row in batch:
                    if row.pk not in values:
                        continue
                    data = values[row.pk]
                    keys = [row.participant.code, row.participant.site.code, row.event, row.repeat]
                    form_writer.writerow(
                        [*keys, row.status] + [_value(data, c) for c in form_columns]
                    )
                    total += 1
                    for name, (_file, columns) in group_files.items():
                        for key, items in data.get(name, {}).items():
                            group_writers[name].writerow(
                                [*keys, key, namings[name].row(key)]
                                + [_value(items, c) for c in columns]
                            )
                            total += 1
        finally:
            for handle in handles.values():
                handle.close()
    with open(directory / "dictionary.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["file", "form", "item_group", "field", "label", "type", "unit", "allowed_values"]
        )
        writer.writerows(dictionary)
    with open(directory / "snapshot.odm.xml", "wb") as out:
        odm.write_snapshot(scope, out)
    return total


def _describe(
    file: str,
    form: str,
    group: str,
    column: tuple,
    units: dict[str, str],
    naming: crf_registry.GroupNaming | None = None,
) -> tuple:
    name, model_field, is_label = column
    label = naming.bare_item(model_field.name) if naming else str(model_field.verbose_name)
    if is_label:
        return (file, form, group, name, f"{label} (label)", "text", "", "")
    allowed = ""
    if model_field.choices:
        allowed = "; ".join(
            f"{value}={text}" for value, text in model_field.flatchoices if value not in ("", None)
        )
    elif isinstance(model_field, models.BooleanField):
        allowed = "true; false"
    unit = units.get(model_field.name, "")
    return (file, form, group, name, label, _type(model_field), str(unit), allowed)
