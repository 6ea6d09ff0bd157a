"""Queries as the pages read them: where they stand, the items they point at, and whether the
value changed since they were raised. Writes are in trial/actions.py (open_query ...)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.utils import timezone

from trial import crf as crf_registry
from trial import history, selectors, signatures
from trial.models import FormStatus, Participant, Query, QueryState
from trial.rowsql import Columns, build_row

WHOLE_FORM = ""


def item_key(ref: crf_registry.ItemRef) -> str:
    """An item's address within its form: "weight_kg", or "target_lesions[2].diameter_mm"."""
    return f"{ref.group}[{ref.key}].{ref.item}" if ref.group else ref.item


def item_values(row: FormStatus) -> dict[str, Any]:
    """Every item of the row's form by its address, as stored (plain JSON values)."""
    if crf_registry.get(row.form) is None:
        return {}
    values = crf_registry.snapshot([row]).get(row.pk)
    if values is None:
        return {}
    return plain_items(row, values)


def plain_items(row: FormStatus, values: dict[str, Any]) -> dict[str, Any]:
    """One form's stored values (crf.values_of) by item address, as plain JSON values."""
    pairs = crf_registry.item_refs(row, values)
    return signatures.normalise({item_key(ref): value for ref, value in pairs})


def _key_order(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (0, key)


def item_labels(row: FormStatus, values: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """The form's items, (address, label), in the order the form shows them: its own items
    (derived values after the typed ones), then each group's rows by key, each row's items
    in order. Labels carry the unit, and a group's rows their name ("Index lesion SUVs ·
    L2 (segment IV) · SUVmax"): the raise form, the query lists and the SDV list read them."""
    spec = crf_registry.get(row.form)
    if spec is None:
        return []
    fields = {f.name: f for f in spec.item_fields}
    labels = [
        (name, history.item_label(fields[name], spec.unit(name))) for name in spec.item_order()
    ]
    values = item_values(row) if values is None else values
    for group in spec.groups:
        prefix = f"{group.name}["
        keys = {k[len(prefix) : k.index("]")] for k in values if k.startswith(prefix)}
        if not keys:
            continue
        naming = group.naming(row.participant)
        title = str(group.label or group.name)
        for key in sorted(keys, key=_key_order):
            for model_field in group.item_fields:
                address = f"{group.name}[{key}].{model_field.name}"
                if address in values:
                    label = f"{title} · {naming.row(key)} · {naming.item(model_field.name)}"
                    labels.append((address, label))
    return labels


@dataclass
class QueryView:
    query: Query
    label: str
    current: Any
    changed: bool
    days_open: int


def present(
    queries: list[Query],
    rows_values: dict[int, dict[str, Any]],
    labels: dict[str, str] | None = None,
) -> list[QueryView]:
    now = timezone.now()
    views = []
    for query in queries:
        values = rows_values.get(query.row_id, {})
        current = values.get(query.item) if query.item else None
        changed = bool(query.item) and current != query.value_when_raised
        label = (labels or {}).get(query.item, query.item)
        views.append(QueryView(query, label, current, changed, query.days_open(now)))
    return views


def for_row(row: FormStatus) -> list[QueryView]:
    """The row's queries, open first, with "changed since raised" (two queries)."""
    queries = list(row.queries.select_related("opened_by").order_by("state", "-opened_at"))
    if not queries:
        return []
    values = item_values(row)
    return present(queries, {row.pk: values}, dict(item_labels(row, values)))


def item_label(row: FormStatus, item: str) -> str:
    """The label (with its unit) of the item a query is about, never its code. A form's own
    item needs no read; an item of a group row reads the row's values for its name."""
    spec = crf_registry.get(row.form)
    if spec is None or not item:
        return item
    fields = {f.name: f for f in spec.item_fields}
    if item in fields:
        return history.item_label(fields[item], spec.unit(item))
    return dict(item_labels(row)).get(item, item)


def _labelled(queries: Iterable[Query]) -> list[Query]:
    # The lists show each query's item by its label (set as `item_label`).
    found = list(queries)
    for query in found:
        query.item_label = item_label(query.row, query.item)  # type: ignore[attr-defined]
    return found


def open_for_participant(
    participant: Participant, rows: Iterable[FormStatus] | None = None
) -> list[Query]:
    """The participant's queries not closed, oldest first, each with its item's label.
    `rows`: the participant's form rows when the page has read them already (the participant
    page), which the queries then point at instead of reading them again."""
    if rows is None:
        return _labelled(
            participant.queries.exclude(state=QueryState.CLOSED)
            .select_related("row")
            .order_by("opened_at")
        )
    by_id = {row.pk: row for row in rows}
    # Written out: the ORM compiled this filter for longer than PostgreSQL ran it.
    found = list(Query.objects.raw(_OPEN_SQL, [participant.pk, QueryState.CLOSED.value]))
    for query in found:
        row = by_id.get(query.row_id)
        if row is not None:  # always, the rows being the participant's: else read as usual
            Query.row.field.set_cached_value(query, row)
        Query.participant.field.set_cached_value(query, participant)
    return _labelled(found)


_OPEN_SQL = f"""
SELECT * FROM {Query._meta.db_table} WHERE participant_id = %s AND NOT (state = %s)
ORDER BY opened_at
"""


def open_count_subquery() -> Subquery:
    """The participant's open (not closed) queries counted, as a column of a participant
    query: the participant list reads it with its page of participants, in the same query."""
    return Subquery(
        Query.objects.filter(participant_id=OuterRef("pk"))
        .exclude(state=QueryState.CLOSED)
        .order_by()
        .values("participant_id")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


# The to-do of the user's own sites, written out: on the participant list, the ORM took
# longer to build and compile this (the scope, two related models) than PostgreSQL to run it.
_TO_ANSWER_SQL = """
SELECT {query}, {row}, {participant}
FROM trial_query q
JOIN trial_formstatus f ON f.id = q.row_id
JOIN trial_participant p ON p.id = q.participant_id
WHERE q.state = %s AND p.site_id = ANY(%s)
ORDER BY q.opened_at LIMIT %s
"""


@functools.cache
def _to_answer_statement() -> tuple[str, tuple[Columns, Columns, Columns]]:
    columns = Columns(Query, "q"), Columns(FormStatus, "f"), Columns(Participant, "p")
    query, row, participant = (c.sql for c in columns)
    return _TO_ANSWER_SQL.format(query=query, row=row, participant=participant), columns


def to_answer(user: Any, limit: int = 20) -> list[Query]:
    """The to-do of the sites `user` reads: open queries awaiting an answer, oldest first,
    each with its row, its participant and its item's label (one query)."""
    site_ids = selectors.own_site_ids(user)
    if site_ids is None:
        return _labelled(
            Query.objects.filter(
                participant__in=selectors.participants_for(user), state=QueryState.OPEN
            )
            .select_related("row", "participant")
            .order_by("opened_at")[:limit]
        )
    sql, columns = _to_answer_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [QueryState.OPEN.value, list(site_ids), limit])
        found = cursor.fetchall()
    queries = []
    for values in found:
        query, row, participant = build_row(values, columns)
        Query.row.field.set_cached_value(query, row)
        Query.participant.field.set_cached_value(query, participant)
        queries.append(query)
    return _labelled(queries)
