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
from django.db.models import Q

from trial import crf as crf_registry
from trial import roles, schedule, trail_context
from trial.history import event_model_for, event_model_of
from trial.models import (
    AuditedTOTPDevice,
    AuditedUser,
    AuditedUserGroups,
    AuditReview,
    ExportLog,
    FormStatus,
    Membership,
    Participant,
    Query,
    QueryMessage,
    RoleAssignment,
    SdvMark,
    Signature,
    SignatureBreak,
    Site,
    UserPreference,
)
from trial.selectors import visible_sites

CHUNK = 5000
SYSTEM = "system"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
    # The sites exported (None: every site): AdminData lists their users and locations.
    sites: list[Site] | None = None


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
    if scope.participant is not None:
        scope.sites = [scope.participant.site]
    elif scope.site is not None:
        scope.sites = [scope.site]
    elif not all_sites:
        scope.sites = list(sites.order_by("code"))
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
    # A JSON column whose keys are items of their own (the participant's event dates: one
    # item per event, "event_dates.ELIG"), spread into the event's JSON as "column.key".
    spread: str = ""
    # Its events may belong to no participant (a lab file, a site's CSV columns): the ODM
    # writes those after the subjects, in ClinicalData's extension slot.
    bare: bool = False
    # The item group (trial.crf.ItemGroup) whose rows this table holds: the exports name a
    # row by its permanent label (T2, E3), as History and the PDFs do.
    item_group: Any = None

    def key_sql(self, alias: str) -> str:
        """The row's key as the exports write it, read from event JSON `alias`."""
        if not self.key_column:
            return "''"
        key = f"({alias} ->> {_literal(self.key_column)})"
        return self.item_group.label_sql(key) if self.item_group is not None else key

    def row_json(self, alias: str) -> str:
        """The JSON of event row `alias`, as the unpivot reads it (`to_jsonb`, plus the
        spread column's keys)."""
        row = f"to_jsonb({alias})"
        if not self.spread:
            return row
        prefix = _literal(self.spread + ".")
        return (
            f"({row} || coalesce((SELECT jsonb_object_agg({prefix} || d.key, d.value) "
            f"FROM jsonb_each({alias}.{self.spread}) d), '{{}}'::jsonb))"
        )


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
                    item_group=group,
                )
            )
    result.append(
        Source(
            "Participant",
            _table(Participant),
            _columns([Participant._meta.get_field(name) for name in PARTICIPANT_ITEMS])
            + tuple((f"event_dates.{e.code}",) * 2 for e in schedule.EVENTS),
            "",
            "NULL::integer",
            "e.pgh_obj_id",
            key_column="id",
            model=Participant,
            spread="event_dates",
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
    bare = set()
    for label, names, joins, fs_expr, pid_expr in APP_RECORDS:
        if apps.is_installed(label.split(".")[0]):
            records.append((apps.get_model(label), names, joins, fs_expr, pid_expr))
            bare.add(apps.get_model(label))
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
                bare=model in bare,
            )
        )
    return result


# The participant's own changes: registration (the insert), status, enrolment, the gate
# decision, the casebook lock (its reason is the change's), and the event dates (spread).
PARTICIPANT_ITEMS = (
    "code",
    "site",
    "status",
    "screening_date",
    "enrolment_date",
    "gate_decision",
    "locked_at",
    "locked_by",
)

# Audited models that are not the clinical trail, and the trail that shows them instead. The
# review ledger and both audit exports read every other event table (sources()); a new
# audited table must be one or the other (tests/exports/test_complete_trail.py).
OTHER_TRAILS: dict[Any, str] = {
    Site: "administration (sites)",
    Membership: "administration (users' sites)",
    AuditedUser: "administration (accounts)",
    AuditedUserGroups: "administration (roles)",
    RoleAssignment: "administration (dated role assignments, the roles-over-time report)",
    AuditedTOTPDevice: "administration (second factors)",
    UserPreference: "the person's own preferences (profile), no trial data",
    ExportLog: "the export log (exports page, system audit)",
    AuditReview: "the review marks, shown beside each entry of the review page",
}


def _branch(index: int, source: Source, scoped: bool, bare: bool = False) -> str:
    values = ", ".join(
        f"({_literal(name)}, {_literal(column)}, {n})"
        for n, (name, column) in enumerate(source.items)
    )
    where = f"WHERE {source.pid_expr} = ANY(%(pids)s)" if scoped else ""
    if bare:
        where = f"WHERE {source.pid_expr} IS NULL"
    key = source.key_sql("x.j")
    # A spread key absent from the event and its predecessor (an event not yet dated) is no
    # item of that event.
    spread = " AND (x.j ? k.col OR x.pj ? k.col)" if source.spread else ""
    return f"""
SELECT {index} AS src, {_literal(source.event_table)} AS tbl, x.pgh_id, x.pgh_created_at,
  x.pgh_label, x.pgh_context_id, x.edc_context, x.edc_txid, x.edc_clock_at, x.edc_db_role,
  x.fs_id,
  x.pid, {_literal(source.group or (source.kind if source.kind not in ("item", "group") else ""))}
  AS grp, {key} AS grp_key, k.item, k.n,
  CASE x.pgh_label WHEN 'insert' THEN NULL WHEN 'delete' THEN x.j ->> k.col
    ELSE x.pj ->> k.col END AS old_value,
  CASE x.pgh_label WHEN 'delete' THEN NULL ELSE x.j ->> k.col END AS new_value
FROM (
  SELECT e.pgh_id, e.pgh_created_at, e.pgh_label, e.pgh_context_id, e.edc_context, e.edc_txid,
    e.edc_clock_at, e.edc_db_role,
    {source.fs_expr} AS fs_id, {source.pid_expr} AS pid, {source.row_json("e")} AS j,
    lag({source.row_json("e")}) OVER (PARTITION BY e.pgh_obj_id ORDER BY e.pgh_id) AS pj
  FROM {source.event_table} e {source.joins} {where}
) x
CROSS JOIN LATERAL (VALUES {values}) AS k(item, col, n)
WHERE (x.pgh_label <> 'update' OR (x.pj -> k.col) IS DISTINCT FROM (x.j -> k.col)){spread}"""


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
    "client_address",
)


# The changed items' columns (COLUMNS); u: the unpivoted events, fs/p/s: form, participant
# and site, c: the audit context, au and r: the account and its roles (now), st: what the
# database recorded of the transaction. Both c and st are the event row's own columns, or
# for an event written before they existed its context row and ContextStamp
# (trial/trail_context.py).
SELECT = """u.src, u.pgh_id,
  to_char(u.pgh_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS timestamp,
  u.pgh_label, c.metadata ->> 'user', c.metadata ->> 'username', c.metadata ->> 'reason',
  s.code, p.code, fs.event, fs.form, fs.repeat, u.grp, u.grp_key, u.item, u.old_value,
  u.new_value, u.tbl, c.metadata ->> 'client_address'"""


def changes_sql(
    scope: Scope, only: list[Source] | None = None, select: str = "", *, bare: bool = False
) -> tuple[str, dict[str, Any]]:
    """The SQL (and its parameters) of every changed item of the scope, oldest first.

    Events of one transaction share its start time: they come table by table, then in
    event order (pgh_id), so replaying them per item gives the final values. The old value
    of an update is always the object's previous event by pgh_id, whatever the time order.
    (Two transactions changing the same row are serialised by its row lock, but the one that
    started first may write second: its events then sort first by time although they came
    later. Replay per item would then need pgh_id order; the readers' order is time.)

    `bare`: only the events that belong to no participant (of the whole trail).
    """
    scoped = scope.participant_ids is not None
    branches = "\nUNION ALL\n".join(
        _branch(i, source, scoped, bare) for i, source in enumerate(only or sources())
    )
    sql = f"""
SELECT {select or SELECT}
FROM ({branches}) u
LEFT JOIN trial_formstatus fs ON fs.id = u.fs_id
LEFT JOIN trial_participant p ON p.id = u.pid
LEFT JOIN trial_site s ON s.id = p.site_id
LEFT JOIN pghistory_context oc ON oc.id = u.pgh_context_id AND u.edc_context IS NULL
CROSS JOIN LATERAL (SELECT {trail_context.metadata_sql("u", "oc")} AS metadata) c
LEFT JOIN auth_user au ON au.id::text = c.metadata ->> 'user'
LEFT JOIN LATERAL (
  SELECT u.edc_db_role AS db_role, u.edc_txid AS txid, u.edc_clock_at AS clock_at
  WHERE u.edc_txid IS NOT NULL
  UNION ALL
  (SELECT st.db_role, st.txid, st.clock_at FROM trial_contextstamp st
   WHERE u.edc_txid IS NULL AND st.context_id = u.pgh_context_id
     AND st.transaction_started_at = u.pgh_created_at
   ORDER BY st.txid LIMIT 1)
) st ON true
LEFT JOIN (
  SELECT ug.user_id, string_agg(g.name, '; ' ORDER BY g.name) AS roles
  FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id GROUP BY ug.user_id
) r ON r.user_id = au.id
ORDER BY u.pgh_created_at, u.src, u.pgh_id, u.n"""
    return sql, {"pids": scope.participant_ids or []}


def stream_changes(
    scope: Scope, only: list[Source] | None = None, select: str = "", *, bare: bool = False
) -> Iterator[tuple]:
    """Every changed item of the scope (COLUMNS, or the `select` list), through a
    server-side cursor."""
    sql, params = changes_sql(scope, only, select, bare=bare)
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
    # Their sites among the exported ones (codes), for AdminData's LocationRefs.
    sites: tuple[str, ...] = ()
    role_names: frozenset[str] = frozenset()


def people(sites: list[Site] | None = None) -> dict[str, Person]:
    """The accounts of the exported sites (`sites`, None: every account) by id (text, as in
    the audit context), with their roles and sites: a handful of rows, read once per export.

    A user of a site is a member of it now or ever (a member who left still signs the
    changes they made there), or holds a role that reaches every site (a data manager's
    queries and locks)."""
    User = get_user_model()
    role_map: dict[int, list[str]] = {}
    for user_id, name in User.groups.through.objects.values_list("user_id", "group__name"):
        role_map.setdefault(user_id, []).append(name)
    members = Membership.objects.all()
    users = User.objects.all()
    if sites is not None:
        members = members.filter(site__in=sites)
        ever = event_model_of(Membership).objects.filter(site__in=sites).values("user_id")
        users = users.filter(Q(pk__in=ever) | Q(groups__name__in=roles.ALL_SITES)).distinct()
    site_map: dict[int, list[str]] = {}
    for user_id, code in members.order_by("site__code").values_list("user_id", "site__code"):
        site_map.setdefault(user_id, []).append(code)
    return {
        str(u.pk): Person(
            u.pk,
            u.get_username(),
            u.get_full_name() or u.get_username(),
            u.first_name,
            u.last_name,
            "; ".join(sorted(role_map.get(u.pk, []))),
            tuple(site_map.get(u.pk, [])),
            frozenset(role_map.get(u.pk, [])),
        )
        for u in users.order_by("username")
    }
