"""The audit trail's ledger: one row per changed item, kept by database triggers, that the
review page (trial/review.py) pages through.

Why a ledger: the trail lives in one event table per audited model, and turning events into
changed items (old value beside new) needs each event's predecessor. Doing that at read time
over a million events cannot answer a page in 150 ms, let alone filter on flags such as
"changed three times". So the changed items are filed once into `trial_auditentry`, with
their review flags computed then:

- off_hours / weekend: outside 08:00-20:00, or on Saturday or Sunday, in the site's own time
  zone (EMA 2023 guideline on computerised systems);
- after_sdv: the item had a source-verification mark when it changed;
- after_signature: a signature covering the form had been given when it changed;
- often_changed: the item has been changed from a non-empty value three times or more (every
  entry of that item carries the flag once the third correction arrives);
- deletions (label "delete") and failed logins and signatures (kind "auth", from the login
  log's own trigger).

Off the save path: filing a change costs several times the change itself (each event's
predecessor, the unpivot, the flags' lookups), so a save no longer pays for it. Each event
table carries a statement-level AFTER INSERT trigger that only appends the batch's event ids
to a queue (`trial_auditqueue`, in the saving transaction: a committed change is always
queued, a rolled-back one never). `edc_review_file()` files the queue set-based (each
table's queued events in one query, their entries written by one INSERT in queue order) and
deletes what it filed in the same transaction, so a filing cut short (a crash, a killed
worker) leaves its batches queued for the next call. It is called by the
worker every second (trial.tasks.file_review_ledger) and by every reader of the ledger before
it reads (the review page, SDV progress and verification: actions.file_review_ledger), so a
page shows a change as soon as it is committed. One advisory lock makes concurrent callers file
one after the other: a reader waits for a filing under way rather than read without it.

Filed later, a change's flags compare times: a mark or a signature counts if it was given at
or before the clock of the statement that queued the change (a back-fill of past events uses
their transaction's time).

The triggers are installed after every migrate (like guards.install_guards), from the same
list of audited tables the exports read (exports.common.sources), so a new form's tables are
reviewed without a migration of their own; a table reviewed for the first time is back-filled
from its events. The functions run as their owner: the application's role reads the ledger
and the queue and can write neither (guards.grant_statements).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections

from trial import schedule, signatures, trail_context
from trial.exports.common import sources
from trial.models import FormStatus

# The login log's kinds that the review flags (the others are routine).
AUTH_FAILURES = ("login_failed", "login_refused", "signature_failed", "locked")
# Working hours in site time: 08:00 to 20:00.
DAY_STARTS, DAY_ENDS = 8, 20
# An item is flagged once it has been corrected (changed from a non-empty value) this often.
OFTEN = 3

LEDGER = "trial_auditentry"
QUEUE = "trial_auditqueue"
# The advisory lock that serialises the filing (an arbitrary constant, "EDCR").
FILING_LOCK = 0x45444352
# The filing's memory for each sort and hash (the session's default, 4 MB, sends a long
# queue's unpivot, window and queue-order sorts to disk); one filing runs at a time.
FILING_WORK_MEM = "64MB"
# The ledger's columns as the filing computes them, each with the type the filing functions
# return it as (the ledger's own varchar lengths apply when the entries are inserted).
_ENTRY = (
    ("at", "timestamptz"),
    ("event_table", "text"),
    ("pgh_id", "bigint"),
    ("obj_id", "text"),
    ("label", "text"),
    ("kind", "text"),
    ("context_id", "uuid"),
    ("user_id", "integer"),
    ("username", "text"),
    ("site_id", "bigint"),
    ("participant_id", "bigint"),
    ("row_id", "bigint"),
    ("event", "text"),
    ("form", "text"),
    ("repeat", "integer"),
    ("grp", "text"),
    ("grp_key", "text"),
    ("item", "text"),
    ("address", "text"),
    ("old_value", "text"),
    ("new_value", "text"),
    ("corrections", "integer"),
    ("off_hours", "boolean"),
    ("weekend", "boolean"),
    ("after_sdv", "boolean"),
    ("after_signature", "boolean"),
    ("often_changed", "boolean"),
    ("deletion", "boolean"),
)
_COLUMNS = ", ".join(name for name, _ in _ENTRY)
# The row type of the filing functions: an entry and the queue batch it was filed from
# (`batch`, the queue's id), by which the consumer orders its one INSERT.
ENTRY_TYPE = "edc_review_entry"
_ENTRY_FIELDS = (("batch", "bigint"), *_ENTRY)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _flags(at: str, zone: str) -> tuple[str, str]:
    """off_hours and weekend of a time stamp, in the site's time zone."""
    local = f"({at} AT TIME ZONE coalesce({zone}, {_literal(settings.TIME_ZONE)}))"
    return (
        f"extract(hour FROM {local}) < {DAY_STARTS} OR extract(hour FROM {local}) >= {DAY_ENDS}",
        f"extract(isodow FROM {local}) >= 6",
    )


def _covering_kinds(event: str, form: str) -> str:
    """The signature kinds that cover the form (event, form), as a text[]: each signable's
    own `covers` predicate evaluated over the schedule's forms, written into the SQL and
    read once per form changed (it was a function called for each of the participant's
    signatures, for each changed item)."""
    pairs = [(e.code, f) for e in schedule.EVENTS for f in e.forms]
    pairs += [(schedule.LOG_EVENT, f) for f in schedule.LOG_FORMS]
    rows = [
        f"({_literal(kind)}, {_literal(code)}, {_literal(name)})"
        for kind, signable in sorted(signatures.REGISTRY.items())
        for code, name in pairs
        if signable.covers(FormStatus(event=code, form=name, repeat=1))
    ]
    if not rows:
        return "'{}'::text[]"
    return (
        f"ARRAY(SELECT c.kind FROM (VALUES {', '.join(rows)}) AS c(kind, event, form) "
        f"WHERE c.event = {event} AND c.form = {form})"
    )


def _entries_sql(
    source: Any, relation: str, stamp: str = "e.pgh_created_at", batch: str | None = None
) -> str:
    """The query of the changed items of the events in `relation` (the queued events of one
    table, or the event table itself for a back-fill): the ledger's columns (_ENTRY, each as
    its type), preceded by the event's queue batch when `batch` (an expression of the event
    row `e`) is given.

    A mark or a signature counts if it was given at or before `stamp`, the time of the
    change: the statement's clock when it was queued (so that a mark given earlier in the
    same transaction counts, as it did when a trigger filed the change at once), or, in a
    back-fill of past events, their transaction's time."""
    table = source.event_table
    values = ", ".join(f"({_literal(name)}, {_literal(column)})" for name, column in source.items)
    clinical = source.kind in ("item", "group")
    key = "x.row_key"
    group = source.group or (source.kind if not clinical else "")
    # SDV marks and query items name a group item "group[key].item".
    address = (
        f"{_literal(source.group + '[')} || {key} || '].' || x.item" if source.group else "x.item"
    )
    changed = "x.pgh_label IN ('update', 'delete')"
    if clinical:
        after_sdv = (
            f"{changed} AND EXISTS (SELECT 1 FROM trial_sdvmark m WHERE m.row_id = x.fs_id "
            f"AND m.item = {address} AND m.verified_at <= x.stamp)"
        )
        # A signature covers every item of its forms: the first one covering each form
        # changed is looked up once (`sig`), and a change is after it if made at or after it.
        after_signature = f"{changed} AND sig.first_signed <= x.stamp"
        signatures_cte = f""", sig AS (
  SELECT f.id AS fs_id, (SELECT min(sg.signed_at) FROM trial_signature sg
    WHERE sg.participant_id = f.participant_id AND (sg.row_id = f.id OR sg.kind = 'casebook'
      OR sg.kind = ANY({_covering_kinds("f.event", "f.form")}))) AS first_signed
  FROM trial_formstatus f
  WHERE f.id IN (SELECT fs_id FROM x WHERE pgh_label IN ('update', 'delete'))
)"""
        signatures_join = "\nLEFT JOIN sig ON sig.fs_id = x.fs_id"
        # The item's corrections so far are read once per item (a bulk load or a long queue
        # brings many events of one item), then counted on over the events, in their order.
        correction = "(x.pgh_label = 'update' AND x.value_before IS NOT NULL)"
        corrections = (
            f"CASE WHEN {correction} THEN coalesce(pr.n, 0) + count(*) FILTER (WHERE "
            f"{correction}) OVER (PARTITION BY x.obj_id, x.item ORDER BY x.pgh_id) ELSE 0 END"
        )
        often = f"({corrections}) >= {OFTEN}"
    else:
        after_sdv = after_signature = often = "false"
        corrections = "0"
        signatures_cte = signatures_join = ""
    off_hours, weekend = _flags("x.pgh_created_at", "s.time_zone")
    context = trail_context.metadata_sql("x", "c")
    columns = {
        "at": "x.pgh_created_at",
        "event_table": _literal(table),
        "pgh_id": "x.pgh_id",
        "obj_id": "x.obj_id",
        "label": "x.pgh_label",
        "kind": _literal(source.kind),
        "context_id": "x.pgh_context_id",
        "user_id": f"({context} ->> 'user')::integer",
        "username": f"coalesce({context} ->> 'username', '')",
        "site_id": "p.site_id",
        "participant_id": "x.pid",
        "row_id": "x.fs_id",
        "event": "coalesce(fs.event, '')",
        "form": "coalesce(fs.form, '')",
        "repeat": "fs.repeat",
        "grp": _literal(group),
        "grp_key": f"coalesce({key}, '')",
        "item": "x.item",
        "address": address if clinical else "''",
        "old_value": "CASE x.pgh_label WHEN 'insert' THEN NULL WHEN 'delete' THEN x.value_now "
        "ELSE x.value_before END",
        "new_value": "CASE x.pgh_label WHEN 'delete' THEN NULL ELSE x.value_now END",
        "corrections": corrections,
        "off_hours": off_hours,
        "weekend": weekend,
        "after_sdv": f"coalesce({after_sdv}, false)",
        "after_signature": f"coalesce({after_signature}, false)",
        "often_changed": often,
        "deletion": f"x.pgh_label = 'delete' OR ({_literal(source.kind)} = 'FormStatus' AND "
        f"x.item = 'status' AND x.pgh_label = 'update' AND x.value_now = 'deleted')",
    }
    outputs = [f"({columns[name]})::{kind}" for name, kind in _ENTRY]
    row_key = f"x.j ->> {_literal(source.key_column)}" if source.key_column else "''"
    inner = outer = ""
    if batch is not None:
        outputs.insert(0, "x.batch")
        inner, outer = f", {batch} AS batch", ", x.batch"
    # Each event's JSON and its predecessor's are computed once (OFFSET 0 keeps the
    # subquery from being merged into the unpivot, which would compute them again for each
    # item), and only the item's two values go on: a form of many items (a LAB panel) no
    # longer carries its whole row into the window's sort.
    return f"""
WITH x AS (
  SELECT x.pgh_id, x.pgh_created_at, x.stamp, x.pgh_label, x.pgh_context_id, x.edc_context,
    x.obj_id,
    x.fs_id, x.pid{outer}, {row_key} AS row_key, k.item,
    x.j ->> k.col AS value_now, x.pj ->> k.col AS value_before
  FROM (
    SELECT e.pgh_id, e.pgh_created_at, {stamp} AS stamp, e.pgh_label, e.pgh_context_id,
      e.edc_context,
      e.pgh_obj_id::text AS obj_id, {source.fs_expr} AS fs_id, {source.pid_expr} AS pid,
      {source.row_json("e")} AS j, prev.pj{inner}
    FROM {relation} e {source.joins}
    LEFT JOIN LATERAL (
      SELECT {source.row_json("pe")} AS pj FROM {table} pe WHERE pe.pgh_obj_id = e.pgh_obj_id
        AND pe.pgh_id < e.pgh_id ORDER BY pe.pgh_id DESC LIMIT 1
    ) prev ON e.pgh_label = 'update'
    OFFSET 0
  ) x
  CROSS JOIN (VALUES {values}) AS k(item, col)
  WHERE CASE x.pgh_label
    WHEN 'update' THEN (x.pj -> k.col) IS DISTINCT FROM (x.j -> k.col)
    WHEN 'insert' THEN coalesce(jsonb_typeof(x.j -> k.col), 'null') <> 'null'
    ELSE true END
), pr AS (
  SELECT d.obj_id, d.item, (SELECT max(a.corrections) FROM {LEDGER} a
    WHERE a.event_table = {_literal(table)} AND a.obj_id = d.obj_id AND a.item = d.item) AS n
  FROM (SELECT DISTINCT obj_id, item FROM x WHERE pgh_label = 'update') d
){signatures_cte}
SELECT {", ".join(outputs)}
FROM x
LEFT JOIN pr ON pr.obj_id = x.obj_id AND pr.item = x.item
LEFT JOIN trial_formstatus fs ON fs.id = x.fs_id
LEFT JOIN trial_participant p ON p.id = x.pid
LEFT JOIN trial_site s ON s.id = p.site_id
LEFT JOIN pghistory_context c
  ON c.id = x.pgh_context_id AND x.edc_context IS NULL{signatures_join}"""


def _often_sql(after: str) -> str:
    """When an item reaches its third correction, every earlier entry of it is flagged too
    (later ones are flagged as they are written): the items that reached it among the
    entries after id `after`, once per item, over its few entries before. A statement of
    its own, after the entries' INSERT, so that it sees them all (an UPDATE in the same
    statement as the INSERT would not see the rows that INSERT writes)."""
    return f"""
UPDATE {LEDGER} a SET often_changed = true
FROM (SELECT DISTINCT event_table, obj_id, item FROM {LEDGER}
      WHERE id > {after} AND corrections = {OFTEN}) o
WHERE a.event_table = o.event_table AND a.obj_id = o.obj_id AND a.item = o.item
  AND a.corrections < {OFTEN} AND NOT a.often_changed"""


def _entry_type() -> str:
    """The row type the filing functions return (an entry and its queue batch)."""
    fields = ", ".join(f"{name} {kind}" for name, kind in _ENTRY_FIELDS)
    return f"CREATE TYPE {ENTRY_TYPE} AS ({fields})"


def _filer_function(name: str, source: Any) -> str:
    """The filing function of one event table: the entries of its queued events `ids` (each
    with its statement's clock and its queue batch), in one query, returned to the consumer,
    which writes every table's entries in queue order."""
    # Each event with the clock of its statement (queued_at) and its batch; to_jsonb(e)
    # carries them as two more keys, which no item names.
    events = (
        f"(SELECT ev.*, u.queued_at, u.edc_batch FROM {source.event_table} ev "
        f"JOIN unnest(ids, ats, batches) AS u(pgh_id, queued_at, edc_batch) "
        f"ON ev.pgh_id = u.pgh_id)"
    )
    return f"""
CREATE OR REPLACE FUNCTION {name}(ids bigint[], ats timestamptz[], batches bigint[])
RETURNS SETOF {ENTRY_TYPE} LANGUAGE plpgsql AS $fn$
BEGIN
  RETURN QUERY {_entries_sql(source, events, "e.queued_at", "e.edc_batch")};
END
$fn$"""


# The event tables' trigger: the batch's ids queued for the filing function named by the
# trigger's argument. Nothing else runs in the saving transaction.
_ENQUEUE_SQL = f"""
CREATE OR REPLACE FUNCTION edc_review_enqueue() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO {QUEUE} (filer, ids, queued_at)
    SELECT TG_ARGV[0], array_agg(pgh_id), clock_timestamp() FROM new_events HAVING count(*) > 0;
  RETURN NULL;
END
$fn$"""


def _file_sql(filers: list[str]) -> str:
    """The consumer: every batch queued (and committed), filed set-based. Each table's
    filing function is called once, over all of its queued events (a demo's queue alternates
    between tables in tens of thousands of small batches: one call per batch was most of
    the filing's time); their entries are written by one INSERT in queue order, so that the
    ledger's ids follow the changes between batches (SDV progress compares them; the
    oversight reads the entries after the last id it saw). Corrections are counted over all
    the events of an item in their order, on from the earlier filings' count; the third
    correction flags the item's earlier entries after the INSERT, these included.

    The batches filed are exactly those read at the start, and they are deleted in the same
    transaction: one queued by a transaction that commits meanwhile, with a lower id, stays
    for the next call, and a filing cut short leaves them all queued. The filing functions
    are called by name from a static CASE (edc_review_entries), not EXECUTE, so that each
    keeps its prepared plan across calls, and the INSERT stays small to plan again (the
    worker and the readers file a few batches at a time: a plan of one branch per table
    cost more than the filing)."""
    if not filers:  # nothing audited yet: nothing can be queued
        return (
            "CREATE OR REPLACE FUNCTION edc_review_file() RETURNS integer "
            "LANGUAGE sql AS $$ SELECT 0 $$"
        )
    dispatch = "\n".join(
        f"    WHEN {_literal(name)} THEN RETURN QUERY SELECT * FROM {name}(ids, ats, batches);"
        for name in filers
    )
    entry = ", ".join(f"r.{name}" for name, _ in _ENTRY)
    insert = f"""WITH q AS MATERIALIZED (
      SELECT b.filer, array_agg(u.pgh_id) AS ids, array_agg(b.queued_at) AS ats,
        array_agg(b.id) AS batches
      FROM {QUEUE} b CROSS JOIN unnest(b.ids) AS u(pgh_id)
      WHERE b.id = ANY(filed) GROUP BY b.filer
    )
    INSERT INTO {LEDGER} ({_COLUMNS})
    SELECT {entry}
    FROM q CROSS JOIN LATERAL edc_review_entries(q.filer, q.ids, q.ats, q.batches) r"""
    # Several batches: sorted as a whole before the first row is written, so every filing
    # function has read the ledger (the earlier corrections) before this INSERT adds to it.
    # One batch (a bulk load): one function, whose result is complete before its first row
    # is read (a PL/pgSQL set is materialised), in any order.
    body = f"""
  IF cardinality(filed) = 1 THEN
    {insert};
  ELSE
    {insert}
    ORDER BY r.batch, r.pgh_id;
  END IF;
  {_often_sql("last_id")};"""
    return f"""
CREATE OR REPLACE FUNCTION edc_review_entries(filer text, ids bigint[], ats timestamptz[],
  batches bigint[]) RETURNS SETOF {ENTRY_TYPE} LANGUAGE plpgsql AS $fn$
BEGIN
  CASE filer
{dispatch}
    ELSE NULL;
  END CASE;
END
$fn$;
CREATE OR REPLACE FUNCTION edc_review_file() RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
  filed bigint[];
  last_id bigint;
BEGIN
  PERFORM pg_advisory_xact_lock({FILING_LOCK});
  SELECT array_agg(id) INTO filed FROM {QUEUE};
  IF filed IS NULL THEN
    RETURN 0;
  END IF;
  SELECT coalesce(max(id), 0) INTO last_id FROM {LEDGER};{body}
  DELETE FROM {QUEUE} WHERE id = ANY(filed);
  RETURN cardinality(filed);
END
$fn$"""


def _auth_sql(relation: str) -> str:
    """Failed logins and signatures, refused logins and locks: entries of kind "auth". A
    failure on a participant's page (a signature) belongs to that participant's site."""
    failures = ", ".join(_literal(k) for k in AUTH_FAILURES)
    return f"""
INSERT INTO {LEDGER} ({_COLUMNS})
SELECT e.at, 'trial_authevent', e.id, e.id::text, e.kind, 'auth', NULL, e.user_id,
  e.username, p.site_id, p.id, NULL, '', '', NULL, '', '', '', '', NULL,
  nullif(concat_ws(' ', nullif(e.detail, ''), nullif(e.client_address, '')), ''),
  0, {", ".join(_flags("e.at", "s.time_zone"))}, false, false, false, false
FROM {relation} e
LEFT JOIN trial_participant p ON p.code = substring(e.url FROM '/p/([A-Z0-9_-]+)/')
LEFT JOIN trial_site s ON s.id = p.site_id
WHERE e.kind IN ({failures})"""


# The plain indexes of an event table on pgh_obj_id alone (pghistory's, from the foreign key).
# Django finds a foreign key's index by introspection when a migration changes the field, so
# a later migration does not look for the one dropped here.
_LONE_OBJ_INDEXES = """
SELECT i.relname FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
WHERE x.indrelid = %s::regclass AND x.indnatts = 1 AND NOT x.indisunique
  AND x.indpred IS NULL AND x.indexprs IS NULL AND a.attname = 'pgh_obj_id'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = x.indexrelid)
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_index y WHERE y.indrelid = %s::regclass
              AND y.indexrelid <> x.indexrelid AND y.indkey[0] = x.indkey[0] AND y.indnatts > 1)
"""


def _install_entry_type(cursor: Any) -> None:
    """(Re)create the filing functions' row type when its definition has changed (the
    definition is kept as the type's comment); the functions that return it go with it, and
    are created again by the install."""
    definition = _entry_type()
    cursor.execute("SELECT obj_description(to_regtype(%s), 'pg_type')", [ENTRY_TYPE])
    (current,) = cursor.fetchone()
    if current == definition:
        return
    cursor.execute(f"DROP TYPE IF EXISTS {ENTRY_TYPE} CASCADE")
    cursor.execute(definition)
    cursor.execute(f"COMMENT ON TYPE {ENTRY_TYPE} IS {_literal(definition)}")


def install_ledger(connection: Any) -> None:
    """(Re)install the ledger's triggers on every audited event table and on the login log,
    with an index on each event table for the predecessor lookup (in place of pghistory's
    index of the object alone), and back-fill the tables the ledger has never seen.
    Idempotent: run after every migrate."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        if LEDGER not in existing or QUEUE not in existing:
            return
        # Functions of the filing one batch at a time, replaced by the set-based one: dropped,
        # so that nothing can call them any more.
        cursor.execute("DROP FUNCTION IF EXISTS edc_review_run(text, bigint[], timestamptz[])")
        cursor.execute("DROP FUNCTION IF EXISTS edc_signature_covers(text, text, text)")
        _install_entry_type(cursor)
        cursor.execute(_ENQUEUE_SQL)
        filers: list[str] = []
        functions = [
            "edc_review_enqueue()",
            "edc_review_file()",
        ]
        for n, source in enumerate(sources()):
            table = source.event_table
            if table not in existing:
                continue
            name = f"edc_review_{n}"
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {q(table[:50] + '_obj_pgh')} ON {q(table)} "
                f"(pgh_obj_id, pgh_id)"
            )
            # pghistory's index of pgh_obj_id alone serves nothing this one does not (its
            # first column), and every event paid for it.
            cursor.execute(_LONE_OBJ_INDEXES, [table, table])
            for (index,) in cursor.fetchall():
                cursor.execute(f"DROP INDEX IF EXISTS {q(index)}")
            # The statement-level function of the synchronous ledger had this name and no
            # argument, the filing of one batch at a time two: dropped, so that nothing can
            # call them any more.
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}() CASCADE")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}(bigint[], timestamptz[])")
            cursor.execute(_filer_function(name, source))
            filers.append(name)
            # Called only by edc_review_file (as the owner): never by the application.
            cursor.execute(
                f"REVOKE EXECUTE ON FUNCTION {name}(bigint[], timestamptz[], bigint[]) FROM PUBLIC"
            )
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER edc_review AFTER INSERT ON {q(table)} "
                f"REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT "
                f"EXECUTE FUNCTION edc_review_enqueue({_literal(name)})"
            )
            cursor.execute(f"SELECT 1 FROM {LEDGER} WHERE event_table = %s LIMIT 1", [table])
            if cursor.fetchone() is None:
                # Events queued before (a first install under way) are filed by this
                # back-fill: their batches are dropped, not filed twice.
                cursor.execute(f"DELETE FROM {QUEUE} WHERE filer = %s", [name])
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {LEDGER}")
                (first_id,) = cursor.fetchone()
                cursor.execute(
                    f"INSERT INTO {LEDGER} ({_COLUMNS}) {_entries_sql(source, q(table))}"
                )
                cursor.execute(_often_sql("%s"), [first_id])
        cursor.execute(_file_sql(filers))
        if filers:
            # Called only by edc_review_file (as the owner): never by the application.
            cursor.execute(
                "REVOKE EXECUTE ON FUNCTION edc_review_entries(text, bigint[], timestamptz[], "
                "bigint[]) FROM PUBLIC"
            )
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION edc_review_auth() RETURNS trigger LANGUAGE plpgsql "
            f"AS $fn$ BEGIN {_auth_sql('new_events')}; RETURN NULL; END $fn$"
        )
        functions.append("edc_review_auth()")
        cursor.execute(
            "CREATE OR REPLACE TRIGGER edc_review AFTER INSERT ON trial_authevent "
            "REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT "
            "EXECUTE FUNCTION edc_review_auth()"
        )
        cursor.execute(f"SELECT 1 FROM {LEDGER} WHERE kind = 'auth' LIMIT 1")
        if cursor.fetchone() is None:
            cursor.execute(_auth_sql("trial_authevent"))
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        for function in functions:
            cursor.execute(
                f"ALTER FUNCTION {function} SECURITY DEFINER SET search_path = {q(schema)}, pg_temp"
            )
        cursor.execute(
            f"ALTER FUNCTION edc_review_file() SET work_mem = {_literal(FILING_WORK_MEM)}"
        )


def install_ledger_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    install_ledger(connections[using])
