"""What every export shares: the scope (who asks, which site or participant), the audited
tables and the one streamed query that turns their events into changed items.

The audit trail is read in the database: one UNION ALL query over every audited clinical
event table, each branch unpivoting its events into one row per changed item (old value
from the previous event of the same object, by a window function), ordered by time. It is
read through a server-side cursor in chunks, so memory does not grow with the trail; the
same SQL is what the benchmark hands to COPY.

Values are the stored values as PostgreSQL writes them in JSON (`to_jsonb`): dates and
times in ISO 8601, numbers with their column's scale, booleans `true`/`false`. The ODM
Snapshot reads the current tables the same way, so replaying the trail compares exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection

from trial import crf as crf_registry
from trial import roles
from trial.history import event_model_for
from trial.models import (
    FormStatus,
    Participant,
    Query,
    QueryMessage,
    SdvMark,
    Signature,
    SignatureBreak,
    Site,
)
from trial.selectors import visible_sites

CHUNK = 5000
SYSTEM = "system"


class ExportError(Exception):
    """A filter names nothing the requester may export: an error, never an empty file."""


# --- Scope ----------------------------------------------------------------------------------


@dataclass
class Scope:
    """Which participants an export covers: None means every participant of every site."""

    user: Any = None
    site: Site | None = None
    participant: Participant | None = None
    participant_ids: list[int] | None = None
    filters: dict[str, str] = field(default_factory=dict)


def resolve_scope(user: Any = None, *, site: str = "", participant: str = "") -> Scope:
    """The scope of an export asked for by `user` (None: the system, for data managers'
    scripts) with optional site and participant codes. Unknown codes, and codes out of the
    user's reach, raise ExportError with the same message, so reach does not leak."""
    sites = Site.objects.all() if user is None else visible_sites(user)
    if user is not None and not roles.has_any(user, {roles.MONITOR, roles.DATA_MANAGER}):
        raise ExportError("Only monitors and data managers may export the audit trail.")
    filters = {"site": site, "participant": participant}
    scope = Scope(user=user, filters={k: v for k, v in filters.items() if v})
    participants = Participant.objects.filter(site__in=sites)
    if site:
        try:
            scope.site = sites.get(code=site)
        except ObjectDoesNotExist:
            raise ExportError(f"No such site: {site}") from None
        participants = participants.filter(site=scope.site)
    if participant:
        try:
            scope.participant = participants.get(code=participant)
        except ObjectDoesNotExist:
            raise ExportError(f"No such participant: {participant}") from None
        participants = participants.filter(pk=scope.participant.pk)
    all_sites = user is None or bool(roles.role_names(user) & roles.ALL_SITES)
    if not all_sites or site or participant:
        scope.participant_ids = list(participants.values_list("pk", flat=True))
    return scope


# --- The audited tables, as branches of one query --------------------------------------------


@dataclass(frozen=True)
class Source:
    """One audited model's event table, and how its events find their form and participant."""

    kind: str  # "item" (CRF data), "group" (item-group row) or a record name ("Query", ...)
    event_table: str
    items: tuple[tuple[str, str], ...]  # (item name, column)
    joins: str  # SQL joining the event row `e` to `fs` (form-status row) and giving pid
    fs_expr: str
    pid_expr: str
    group: str = ""
    key_column: str = ""
    model: Any = None


def _table(model: Any) -> str:
    event_model = event_model_for(model)
    if event_model is None:  # pragma: no cover - every source model is @audited
        raise LookupError(f"{model.__name__} is not audited")
    return event_model._meta.db_table


def _columns(fields: list[Any]) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, f.column) for f in fields)


# Records of the domain apps, named by label (trial imports no domain app): the lab import's
# files, queued values (on the panel they were approved into or chosen for), the sites' CSV
# columns and the hospital identifiers. A file and a site's columns belong to no participant:
# they are in the whole trail and the review, not in one participant's export.
APP_RECORDS = [
    (
        "dosing.LabImportFile",
        (
            "name",
            "sha256",
            "kind",
            "size",
            "site",
            "observation_count",
            "imported_at",
            "imported_by",
        ),
        "",
        "NULL::integer",
        "NULL::integer",
    ),
    (
        "dosing.ImportedLabValue",
        (
            "file",
            "position",
            "code",
            "display",
            "sample_date",
            "sampled_at",
            "value",
            "comparator",
            "unit",
            "low",
            "high",
            "status",
            "state",
            "chosen_row",
            "written_row",
            "decided_at",
            "decided_by",
            "rejection_reason",
        ),
        "",
        "coalesce(e.written_row_id, e.chosen_row_id)",
        "e.participant_id",
    ),
    (
        "dosing.SiteCsvColumns",
        (
            "site",
            "participant",
            "sampled_at",
            "code",
            "value",
            "unit",
            "low",
            "high",
            "delimiter",
            "identifier_system",
        ),
        "",
        "NULL::integer",
        "NULL::integer",
    ),
    (
        "dosing.HospitalIdentifier",
        ("participant", "system", "value", "added_by"),
        "",
        "NULL::integer",
        "e.participant_id",
    ),
]


def sources() -> list[Source]:
    """Every audited clinical table: each CRF data model and its item groups (from the
    registry), then form statuses, signatures and their breaks, queries, messages, SDV marks."""
    result: list[Source] = []
    seen: set[Any] = set()
    fs_join = "JOIN trial_formstatus fs ON fs.id = e.form_status_id"
    for spec in crf_registry.REGISTRY.values():
        if spec.model in seen:
            continue
        seen.add(spec.model)
        result.append(
            Source(
                "item",
                _table(spec.model),
                _columns(spec.item_fields),
                fs_join,
                "fs.id",
                "fs.participant_id",
                model=spec.model,
            )
        )
        parent_events = _table(spec.model)
        for group in spec.groups:
            parent_column = crf_registry.db_column(group.model, group.parent_field)
            result.append(
                Source(
                    "group",
                    _table(group.model),
                    _columns(group.item_fields),
                    # The parent data row may be gone; its first event still says its form.
                    f"JOIN LATERAL (SELECT pe.form_status_id FROM {parent_events} pe "
                    f"WHERE pe.pgh_obj_id = e.{parent_column} ORDER BY pe.pgh_id LIMIT 1) pe "
                    f"ON true JOIN trial_formstatus fs ON fs.id = pe.form_status_id",
                    "fs.id",
                    "fs.participant_id",
                    group=group.name,
                    key_column=crf_registry.db_column(group.model, group.repeat_key),
                    model=group.model,
                )
            )
    records = [
        (
            FormStatus,
            ("status", "version", "locked_at", "locked_by", "sdv_at", "sdv_by"),
            "JOIN trial_formstatus fs ON fs.id = e.pgh_obj_id",
            "fs.id",
            "fs.participant_id",
        ),
        (
            Signature,
            ("kind", "meaning", "signer", "signer_name", "signed_at", "content_hash"),
            "LEFT JOIN trial_formstatus fs ON fs.id = e.row_id",
            "e.row_id",
            "e.participant_id",
        ),
        (
            SignatureBreak,
            ("signature", "at", "changes"),
            "JOIN trial_signature sg ON sg.id = e.signature_id",
            "sg.row_id",
            "sg.participant_id",
        ),
        (
            Query,
            ("item", "state", "value_when_raised", "opened_by", "opened_at", "closed_at"),
            "",
            "e.row_id",
            "e.participant_id",
        ),
        (
            QueryMessage,
            ("query", "kind", "text", "author", "at"),
            "JOIN trial_query q ON q.id = e.query_id",
            "q.row_id",
            "q.participant_id",
        ),
        (
            SdvMark,
            ("item", "value", "verified_by", "verified_at"),
            "JOIN trial_formstatus fs ON fs.id = e.row_id",
            "e.row_id",
            "fs.participant_id",
        ),
    ]
    for label, names, joins, fs_expr, pid_expr in APP_RECORDS:
        if apps.is_installed(label.split(".")[0]):
            records.append((apps.get_model(label), names, joins, fs_expr, pid_expr))
    for model, names, joins, fs_expr, pid_expr in records:
        fields = [model._meta.get_field(name) for name in names]
        result.append(
            Source(
                model.__name__,
                _table(model),
                _columns(fields),
                joins,
                fs_expr,
                pid_expr,
                key_column="id",
                model=model,
            )
        )
    return result


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _branch(index: int, source: Source, scoped: bool) -> str:
    values = ", ".join(
        f"({_literal(name)}, {_literal(column)}, {n})"
        for n, (name, column) in enumerate(source.items)
    )
    where = f"WHERE {source.pid_expr} = ANY(%(pids)s)" if scoped else ""
    key = f"x.j ->> {_literal(source.key_column)}" if source.key_column else "''"
    return f"""
SELECT {index} AS src, {_literal(source.event_table)} AS tbl, x.pgh_id, x.pgh_created_at,
  x.pgh_label, x.pgh_context_id, x.fs_id,
  x.pid, {_literal(source.group or (source.kind if source.kind not in ("item", "group") else ""))}
  AS grp, {key} AS grp_key, k.item, k.n,
  CASE x.pgh_label WHEN 'insert' THEN NULL WHEN 'delete' THEN x.j ->> k.col
    ELSE x.pj ->> k.col END AS old_value,
  CASE x.pgh_label WHEN 'delete' THEN NULL ELSE x.j ->> k.col END AS new_value
FROM (
  SELECT e.pgh_id, e.pgh_created_at, e.pgh_label, e.pgh_context_id,
    {source.fs_expr} AS fs_id, {source.pid_expr} AS pid, to_jsonb(e) AS j,
    lag(to_jsonb(e)) OVER (PARTITION BY e.pgh_obj_id ORDER BY e.pgh_id) AS pj
  FROM {source.event_table} e {source.joins} {where}
) x
CROSS JOIN LATERAL (VALUES {values}) AS k(item, col, n)
WHERE x.pgh_label <> 'update' OR (x.pj -> k.col) IS DISTINCT FROM (x.j -> k.col)"""


# The columns of every changed item, in this order.
COLUMNS = (
    "src",
    "pgh_id",
    "timestamp",
    "label",
    "user_id",
    "username",
    "reason",
    "site",
    "participant",
    "event",
    "form",
    "repeat",
    "grp",
    "grp_key",
    "item",
    "old_value",
    "new_value",
    "event_table",
)


# The changed items' columns (COLUMNS); u: the unpivoted events, fs/p/s: form, participant
# and site, c: the audit context, au and r: the account and its roles (now), st: what the
# database recorded of the transaction (ContextStamp).
SELECT = """u.src, u.pgh_id,
  to_char(u.pgh_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS timestamp,
  u.pgh_label, c.metadata ->> 'user', c.metadata ->> 'username', c.metadata ->> 'reason',
  s.code, p.code, fs.event, fs.form, fs.repeat, u.grp, u.grp_key, u.item, u.old_value,
  u.new_value, u.tbl"""


def changes_sql(
    scope: Scope, only: list[Source] | None = None, select: str = ""
) -> tuple[str, dict[str, Any]]:
    """The SQL (and its parameters) of every changed item of the scope, oldest first.

    Events of one transaction share its start time: they come table by table, then in
    event order (pgh_id), so replaying them per item gives the final values. The old value
    of an update is always the object's previous event by pgh_id, whatever the time order.
    (Two transactions changing the same row are serialised by its row lock, but the one that
    started first may write second: its events then sort first by time although they came
    later. Replay per item would then need pgh_id order; the readers' order is time.)
    """
    scoped = scope.participant_ids is not None
    branches = "\nUNION ALL\n".join(
        _branch(i, source, scoped) for i, source in enumerate(only or sources())
    )
    sql = f"""
SELECT {select or SELECT}
FROM ({branches}) u
LEFT JOIN trial_formstatus fs ON fs.id = u.fs_id
LEFT JOIN trial_participant p ON p.id = u.pid
LEFT JOIN trial_site s ON s.id = p.site_id
LEFT JOIN pghistory_context c ON c.id = u.pgh_context_id
LEFT JOIN auth_user au ON au.id::text = c.metadata ->> 'user'
LEFT JOIN LATERAL (
  SELECT st.db_role, st.txid, st.clock_at FROM trial_contextstamp st
  WHERE st.context_id = c.id AND st.transaction_started_at = u.pgh_created_at
  ORDER BY st.txid LIMIT 1
) st ON true
LEFT JOIN (
  SELECT ug.user_id, string_agg(g.name, '; ' ORDER BY g.name) AS roles
  FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id GROUP BY ug.user_id
) r ON r.user_id = au.id
ORDER BY u.pgh_created_at, u.src, u.pgh_id, u.n"""
    return sql, {"pids": scope.participant_ids or []}


def stream_changes(
    scope: Scope, only: list[Source] | None = None, select: str = ""
) -> Iterator[tuple]:
    """Every changed item of the scope (COLUMNS, or the `select` list), through a
    server-side cursor."""
    sql, params = changes_sql(scope, only, select)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(CHUNK)
            if not rows:
                break
            yield from rows


# --- People -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    pk: int
    username: str
    full_name: str
    first_name: str
    last_name: str
    roles: str


def people() -> dict[str, Person]:
    """Every account by id (text, as in the audit context), with its roles: a handful of
    rows, read once per export."""
    User = get_user_model()
    role_map: dict[int, list[str]] = {}
    for user_id, name in User.groups.through.objects.values_list("user_id", "group__name"):
        role_map.setdefault(user_id, []).append(name)
    return {
        str(u.pk): Person(
            u.pk,
            u.get_username(),
            u.get_full_name() or u.get_username(),
            u.first_name,
            u.last_name,
            "; ".join(sorted(role_map.get(u.pk, []))),
        )
        for u in User.objects.all()
    }
