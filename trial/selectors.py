"""Site scoping: every queryset of clinical data starts here.

A user sees the participants of the sites they belong to; data managers see every site;
administrators enter and read no clinical data. A participant out of reach is a 404, never a
403, so that its existence does not leak.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Exists, Model, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from trial import crf, keyset, roles, signatures
from trial.journey import DONE_STATES
from trial.models import (
    AuthEvent,
    AuthEventKind,
    FormStatus,
    Participant,
    QueryState,
    Signature,
    SignatureBreak,
    Site,
)
from trial.rowsql import Columns, build_row
from trial.schedule import LOG_EVENT


def visible_sites(user) -> QuerySet[Site]:
    names = roles.role_names(user)
    if not names & roles.READ_CLINICAL:
        return Site.objects.none()
    if names & roles.ALL_SITES:
        return Site.objects.all()
    site_ids = getattr(user, "_edc_site_ids", None)
    if site_ids is not None:
        # Read with the user (trial.accounts): the sites by id, without the memberships' join.
        return Site.objects.filter(pk__in=site_ids)
    return Site.objects.filter(memberships__user=user)


def remember_site_ids(user: Any, site_ids: Any) -> None:
    """The ids of the user's sites, read with the user (trial.accounts' backend): the
    participant queries of the request name them instead of joining the memberships."""
    user._edc_site_ids = list(site_ids or ())


def own_site_ids(user: Any) -> list[int] | None:
    """The ids of the sites whose clinical data `user` reads, when these are the user's own
    sites and were read with the user (trial.accounts' backend); None otherwise (a reader of
    every site, or of none, or a user read some other way): visible_sites then says."""
    site_ids = getattr(user, "_edc_site_ids", None)
    names = roles.role_names(user)
    if site_ids is not None and names & roles.READ_CLINICAL and not names & roles.ALL_SITES:
        return site_ids
    return None


def participants_for(user) -> QuerySet[Participant]:
    site_ids = own_site_ids(user)
    if site_ids is not None:
        # The sites as values: the planner then walks the list's index on code for a page of
        # one site's participants, where a subquery left it guessing and sorting them all.
        return Participant.objects.filter(site_id__in=site_ids).select_related("site")
    return Participant.objects.filter(site__in=visible_sites(user)).select_related("site")


# The participant list's page, written out once: the ORM spent longer building and compiling
# this query (two correlated subqueries, the site join, the keyset) than PostgreSQL spent
# answering it. The same SQL as the queryset's (the code search is Django's icontains).
_LIST_SQL = """
SELECT {participant}, {site},
    ARRAY(SELECT DISTINCT f.event FROM trial_formstatus f
          WHERE f.participant_id = p.id AND NOT (f.status = ANY(%s)) AND NOT (f.event = %s))
        AS open_events,
    (SELECT COUNT(q.id) FROM trial_query q
     WHERE q.participant_id = p.id AND NOT (q.state = %s) GROUP BY q.participant_id)
        AS open_query_count
FROM trial_participant p JOIN trial_site s ON s.id = p.site_id
WHERE {where}
ORDER BY p.code {direction} LIMIT %s
"""


@functools.cache
def _list_columns() -> tuple[Columns, Columns]:
    """The participant's and its site's columns (tables `p` and `s`) of the statements below."""
    return Columns(Participant, "p"), Columns(Site, "s")


def _column_lists() -> dict[str, str]:
    participant, site = _list_columns()
    return {"participant": participant.sql, "site": site.sql}


def participant_list_page(
    user, *, query: str = "", status: str = "", after: str = "", before: str = "", size: int
) -> keyset.Page | None:
    """A keyset page of the participant list (keyset.page's, by code), each participant with
    its site, `open_events` (the events with a form to do) and `open_query_count`, in one
    query. None when the user's sites were not read with the user: the caller then pages the
    queryset of participants_for."""
    names = roles.role_names(user)
    if not names & roles.READ_CLINICAL:
        return keyset.Page()  # no clinical data: no participant, and no query to say so
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    if not names & roles.ALL_SITES:
        site_ids = own_site_ids(user)
        if site_ids is None:
            return None
        where.append("p.site_id = ANY(%s)")
        params.append(list(site_ids))
    if query:
        where.append("UPPER(p.code::text) LIKE UPPER(%s)")
        params.append(f"%{connection.ops.prep_for_like_query(query)}%")
    if status:
        where.append("p.status = %s")
        params.append(status)
    if before:
        where.append("p.code < %s")
        params.append(before)
    elif after:
        where.append("p.code > %s")
        params.append(after)
    sql = _LIST_SQL.format(
        **_column_lists(),
        where=" AND ".join(where),
        direction="DESC" if before else "ASC",
    )
    done = [state.value for state in DONE_STATES]
    with connection.cursor() as cursor:
        cursor.execute(sql, [done, LOG_EVENT, QueryState.CLOSED.value, *params, size + 1])
        found = cursor.fetchall()
    rows = []
    for values in found:
        participant = _participant_with_site(values)
        # The queryset's annotations, under their names.
        participant.open_events = values[-2]  # type: ignore[attr-defined]
        participant.open_query_count = values[-1]  # type: ignore[attr-defined]
        rows.append(participant)
    return keyset.cut(rows, "code", size=size, after=after, before=before)


def _participant_with_site(values: Any) -> Participant:
    """A participant and its site (as select_related("site") leaves them) from a row that
    starts with the columns of _list_columns()."""
    participant, site = build_row(values, _list_columns())
    Participant.site.field.set_cached_value(participant, site)
    return participant


# Every participant's page reads its participant first: written out for the same reason.
_ONE_SQL = """
SELECT {participant}, {site}
FROM trial_participant p JOIN trial_site s ON s.id = p.site_id
WHERE p.code = %s{scope}
"""


def participant_or_404(user, code: str) -> Participant:
    """The participant of that code in reach of the user, with its site: one query."""
    names = roles.role_names(user)
    if not names & roles.READ_CLINICAL:
        raise Http404("No such participant")  # no clinical data: nothing to look up
    params: list[Any] = [code]
    scope = ""
    if not names & roles.ALL_SITES:
        site_ids = getattr(user, "_edc_site_ids", None)
        if site_ids is None:
            try:
                return participants_for(user).get(code=code)
            except Participant.DoesNotExist:
                raise Http404("No such participant") from None
        scope = " AND p.site_id = ANY(%s)"
        params.append(list(site_ids))
    with connection.cursor() as cursor:
        cursor.execute(_ONE_SQL.format(**_column_lists(), scope=scope), params)
        found = cursor.fetchone()
    if found is None:
        raise Http404("No such participant")
    return _participant_with_site(found)


def form_status_or_404(participant: Participant, event: str, form: str, repeat: int) -> FormStatus:
    try:
        # Who saved it last is on every form page: read with the row.
        return participant.forms.select_related("updated_by").get(
            event=event, form=form, repeat=repeat
        )
    except FormStatus.DoesNotExist:
        raise Http404("No such form") from None


# How far a user reaches, as visible_sites says it, as a condition on "trial_participant" for
# the statements written out by hand (the CRF page's slot, the write session's lock).
REACH_MEMBER = """ AND "trial_participant"."site_id" IN (
    SELECT m."site_id" FROM "trial_membership" m WHERE m."user_id" = %s)"""
# The sites read with the user (remember_site_ids), as visible_sites names them.
REACH_SITES = """ AND "trial_participant"."site_id" = ANY(%s)"""


def reach_condition(user: Any) -> tuple[str, list[Any]] | None:
    """visible_sites(user) as SQL on "trial_participant": ("", []) for every site, the
    user's sites (by id when read with the user, else through the memberships) otherwise,
    None when the user reaches no site."""
    names = roles.role_names(user)
    if not names & roles.READ_CLINICAL:
        return None
    if names & roles.ALL_SITES:
        return "", []
    site_ids = getattr(user, "_edc_site_ids", None)
    if site_ids is not None:
        return REACH_SITES, [list(site_ids)]
    return REACH_MEMBER, [user.pk]


_SLOT_SQL = """SELECT {columns}
FROM "trial_formstatus"
INNER JOIN "trial_participant" ON "trial_formstatus"."participant_id" = "trial_participant"."id"
INNER JOIN "trial_site" ON "trial_participant"."site_id" = "trial_site"."id"
LEFT OUTER JOIN {users} ON "trial_formstatus"."updated_by_id" = {users}.{user_pk}{data_join}
WHERE "trial_participant"."code" = %s AND "trial_formstatus"."event" = %s
    AND "trial_formstatus"."form" = %s AND "trial_formstatus"."repeat" = %s{reach}
ORDER BY "trial_formstatus"."id" ASC LIMIT 1
"""


@functools.cache
def _slot_sql(data_model: type[Model] | None, reach: str) -> tuple[str, tuple[Columns, ...]]:
    """The CRF page's read of its slot, written out once per process: the ORM took longer to
    compile its four joins than PostgreSQL to run it, on every form page and every save."""
    users = get_user_model()
    models: list[type[Model]] = [FormStatus, Participant, Site, users]
    data_join = ""
    if data_model is not None:
        models.append(data_model)
        table = connection.ops.quote_name(data_model._meta.db_table)
        field = data_model._meta.get_field("form_status")
        link = connection.ops.quote_name(field.column or "")  # type: ignore[union-attr]
        data_join = f'\nLEFT OUTER JOIN {table} ON "trial_formstatus"."id" = {table}.{link}'
    columns = tuple(Columns(model) for model in models)
    sql = _SLOT_SQL.format(
        columns=", ".join(c.sql for c in columns),
        users=connection.ops.quote_name(users._meta.db_table),
        user_pk=connection.ops.quote_name(users._meta.pk.column or ""),
        data_join=data_join,
        reach=reach,
    )
    return sql, columns


def crf_slot_or_404(
    user, code: str, event: str, form: str, repeat: int
) -> tuple[Participant, FormStatus]:
    """participant_or_404 and form_status_or_404 in one query: the form's row, with its
    participant (in reach of this user) and site, who saved it last and the form's data row
    (read again under the save's locks), as select_related gives them. A miss is looked up
    again step by step, so that it is the same 404 as theirs."""
    reach = reach_condition(user)
    found = None
    if reach is not None:
        spec = crf.get(form)
        data_model = spec.model if spec is not None else None
        sql, columns = _slot_sql(data_model, reach[0])
        with connection.cursor() as cursor:
            cursor.execute(sql, [code, event, form, repeat, *reach[1]])
            values = cursor.fetchone()
        if values is not None:
            found = _slot_from(values, columns, data_model)
    if found is None:
        participant = participant_or_404(user, code)
        return participant, form_status_or_404(participant, event, form, repeat)
    return found.participant, found


def _slot_from(
    values: Sequence[Any], columns: tuple[Columns, ...], data_model: type[Model] | None
) -> FormStatus:
    row, participant, site, updated_by, *data = build_row(values, columns)
    Participant.site.field.set_cached_value(participant, site)
    FormStatus.participant.field.set_cached_value(row, participant)
    FormStatus.updated_by.field.set_cached_value(row, updated_by)
    if data_model is not None:
        link = data_model._meta.get_field("form_status")
        link.remote_field.set_cached_value(row, data[0])  # type: ignore[union-attr]
        if data[0] is not None:
            link.set_cached_value(data[0], row)  # type: ignore[union-attr]
    return row


def participant_count() -> int:
    return Participant.objects.count()


def open_events_subquery() -> ArraySubquery:
    """The events with at least one form not done, as a column of a participant query: the
    participant list reads them with its page of participants, in the same query."""
    return ArraySubquery(
        FormStatus.objects.filter(participant_id=OuterRef("pk"))
        .exclude(status__in=[s.value for s in DONE_STATES])
        .exclude(event=LOG_EVENT)
        .order_by()
        .values("event")
        .distinct()
    )


# --- Signatures -------------------------------------------------------------------------
# "Current" is the latest signature of a kind and row: a newer one supersedes the older
# (derived, never written). A decision signed once per participant always names the same row
# (its slot, or none), so this is the latest of its kind; a decision signed per row (an adverse
# event's causality) has one current signature per row. Each selector annotates the first
# break (first_break_at, _changes), so that Signature.verdict costs no query.


def _with_first_break(signatures: QuerySet[Signature]) -> QuerySet[Signature]:
    breaks = SignatureBreak.objects.filter(signature=OuterRef("pk")).order_by("at", "pk")
    return signatures.annotate(  # type: ignore[no-redef]  # declared on Signature for its readers
        first_break_at=Subquery(breaks.values("at")[:1]),
        first_break_changes=Subquery(breaks.values("changes")[:1]),
        first_break_mac=Subquery(breaks.values("mac")[:1]),
    )


def _rechecked(signature: Signature | None) -> Signature | None:
    # A page shows the verdict on the data as it stands, not only as the application last
    # recorded it: a change made around the write session (SQL by hand) shows as broken.
    if signature is None:
        return None
    return signatures.recheck(signature, signature.participant)


def current_signature(
    participant: Participant, kind: str, row: FormStatus | None = None, *, recheck: bool = True
) -> Signature | None:
    """The latest signature of that kind for the participant (and row, for a kind signed per
    row), valid or not. `recheck` (pages): its signed data recomputed from the data as it
    stands; the signing action reads it without (the session's breaks are its record)."""
    found = Signature.objects.filter(participant=participant, kind=kind)
    if row is not None:
        found = found.filter(row=row)
    latest = (
        _with_first_break(found)
        .select_related("signer", "row", "participant")
        .order_by("-signed_at", "-pk")
        .first()
    )
    return _rechecked(latest) if recheck else latest


def row_signature(row: FormStatus) -> Signature | None:
    """The latest signature attached to this form-status row, valid or not."""
    return _rechecked(
        _with_first_break(Signature.objects.filter(row=row))
        .select_related("row", "participant")
        .order_by("-signed_at", "-pk")
        .first()
    )


def current_signatures(participant: Participant) -> dict[str, Signature]:
    """The current signatures of the participant, in one query, by `signatures.current_key`:
    the kind, or "kind/row id" for a kind signed per row."""
    found = {}
    for signature in _current_with_first_break("= %s", [participant.pk], with_content=True):
        signature.participant = participant
        found[signatures.current_key(signature)] = signatures.recheck(signature, participant)
    return found


# The pages' read of the current signatures (the participant page, the list's signatures to
# sign again), each with its first break and, for the participant page, its signed row:
# written out once rather than compiled by the ORM on each request (three correlated
# subqueries and a join cost more to compile than to run). One LATERAL join reads the break.
_CURRENT_SQL = """
SELECT DISTINCT ON (s.participant_id, s.kind, s.row_id) {columns},
    b.at AS first_break_at, b.changes AS first_break_changes, b.mac AS first_break_mac{rows}
FROM trial_signature s
LEFT JOIN LATERAL (
    SELECT sb.at, sb.changes, sb.mac FROM trial_signaturebreak sb
    WHERE sb.signature_id = s.id ORDER BY sb.at, sb.id LIMIT 1
) b ON true{join}
WHERE s.participant_id {where}
ORDER BY s.participant_id, s.kind, s.row_id, s.signed_at DESC, s.id DESC
"""
_ROW_FIELDS = [f.attname for f in FormStatus._meta.concrete_fields]


def _current_with_first_break(
    where: str, params: list[Any], *, with_content: bool
) -> list[Signature]:
    """The latest signature of each participant, kind and row among the participants that
    `where` (with `params`) selects, with its first break (first_break_at, _changes, _mac) as
    the ORM's annotations gave them. With the content, the signed row comes too (as
    select_related("row") gave it); without, the content is deferred."""
    names = [
        f.column for f in Signature._meta.concrete_fields if with_content or f.name != "content"
    ]
    columns = ", ".join(f"s.{name}" for name in names)
    rows = join = ""
    if with_content:
        rows = "".join(f", r.{name} AS row__{name}" for name in _ROW_FIELDS)
        join = "\nLEFT JOIN trial_formstatus r ON r.id = s.row_id"
    sql = _CURRENT_SQL.format(columns=columns, rows=rows, join=join, where=where)
    found = list(Signature.objects.raw(sql, params))
    for signature in found:
        signature.first_break_changes = _json(signature.first_break_changes)
        if not with_content:
            continue
        values = [signature.__dict__.pop(f"row__{name}") for name in _ROW_FIELDS]
        row = None
        if signature.row_id is not None:
            row = FormStatus.from_db(Signature.objects.db, _ROW_FIELDS, values)
        signature.row = row
    return found


# The save path's read of the signatures to check (refresh_signatures, on every save of a
# covered form): written out once rather than compiled by the ORM on each save.
_UNBROKEN_SQL = """
SELECT DISTINCT ON (s.kind, s.row_id) s.id, s.participant_id, s.row_id, s.kind, s.meaning,
    s.signer_id, s.signer_name, s.signed_at, s.content_hash, s.mac,
    EXISTS (SELECT 1 FROM trial_signaturebreak b WHERE b.signature_id = s.id) AS broken{sections}
FROM trial_signature s
WHERE s.participant_id = %s AND s.kind = ANY(%s)
ORDER BY s.kind, s.row_id, s.signed_at DESC, s.id DESC
"""


def unbroken_current_signatures(
    participant: Participant, kinds: list[str], section_keys: list[str]
) -> list[Signature]:
    """The current signatures of these kinds that no break has invalidated yet, in one query,
    without their content: only the sections named (top-level keys of the content, as
    `stored_sections`), read as jsonb by the database."""
    sections = "".join(f", s.content -> %s AS section_{i}" for i in range(len(section_keys)))
    latest = Signature.objects.raw(
        _UNBROKEN_SQL.format(sections=sections), [*section_keys, participant.pk, list(kinds)]
    )
    result = []
    for signature in latest:
        if signature.broken:
            continue
        signature.stored_sections = {
            key: _json(getattr(signature, f"section_{i}")) for i, key in enumerate(section_keys)
        }
        result.append(signature)
    return result


def _json(value: Any) -> Any:
    # jsonb reaches Django as text (JSONField decodes it); a raw column is decoded here.
    return json.loads(value) if isinstance(value, str) else value


def signatures_to_redo(
    participant_ids: list[int] | QuerySet[Any, Any],
) -> dict[int, list[tuple[Signature, Any]]]:
    """Per participant, the current signatures that no longer stand (broken, or a record that
    fails its seal) with their verdicts: one query for a whole page of participants. The seal is
    checked without reading the (possibly large) content."""
    if isinstance(participant_ids, QuerySet):
        # A scope of participants (the reminders'): its own SQL, inside this one query.
        sub, sub_params = participant_ids.query.sql_with_params()
        latest = _current_with_first_break(f"IN ({sub})", list(sub_params), with_content=False)
    else:
        latest = _current_with_first_break("= ANY(%s)", [list(participant_ids)], with_content=False)
    result: dict[int, list[tuple[Signature, Any]]] = {}
    for signature in latest:
        verdict = signatures.verify(signature, with_content=False)
        if verdict.needs_signing:
            result.setdefault(signature.participant_id, []).append((signature, verdict))
    return result


# --- Account lockout (logins and signatures share it) -------------------------------------

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
_FAILURES = (
    AuthEventKind.LOGIN_FAILED,
    AuthEventKind.SIGNATURE_FAILED,
    AuthEventKind.OTP_FAILED,
)
# A success, a lock or its lifting starts the count again: failures are counted since the last
# of these. A password accepted while the second factor is pending (PASSWORD_OK) does not: a
# wrong code after it is the next failure of the same count.
_RESETS = (
    AuthEventKind.LOGIN,
    AuthEventKind.SIGNED,
    AuthEventKind.LOCKED,
    AuthEventKind.UNLOCKED,
)


def consecutive_failures(username: str) -> int:
    events = AuthEvent.objects.filter(username=username)
    last_reset = events.filter(kind__in=_RESETS).order_by("-pk").values_list("pk", flat=True)
    failures = events.filter(kind__in=_FAILURES)
    reset_pk = last_reset.first()
    if reset_pk is not None:
        failures = failures.filter(pk__gt=reset_pk)
    return failures.count()


def locked_until(username: str) -> datetime | None:
    """When the account's current lock ends, or None if it is not locked (never locked, the
    lock over, or lifted by an administrator)."""
    last = (
        AuthEvent.objects.filter(
            username=username, kind__in=(AuthEventKind.LOCKED, AuthEventKind.UNLOCKED)
        )
        .order_by("-pk")
        .values_list("kind", "at")
        .first()
    )
    if last is None or last[0] == AuthEventKind.UNLOCKED:
        return None
    until = last[1] + LOCK_DURATION
    return until if until > timezone.now() else None


def current_locks() -> list[AuthEvent]:
    """The accounts locked now (one query): each one's LOCKED event, oldest first, with
    `until` set. A lock is current for LOCK_DURATION unless lifted or superseded."""
    later = AuthEvent.objects.filter(
        username=OuterRef("username"),
        kind__in=(AuthEventKind.LOCKED, AuthEventKind.UNLOCKED),
        pk__gt=OuterRef("pk"),
    )
    locks = list(
        AuthEvent.objects.filter(kind=AuthEventKind.LOCKED, at__gt=timezone.now() - LOCK_DURATION)
        .exclude(Exists(later))
        .select_related("user")
        .order_by("at", "pk")
    )
    for lock in locks:
        lock.until = lock.at + LOCK_DURATION
    return locks


def recent_lifts(limit: int = 20) -> list[AuthEvent]:
    return list(
        AuthEvent.objects.filter(kind=AuthEventKind.UNLOCKED)
        .select_related("actor")
        .order_by("-pk")[:limit]
    )
