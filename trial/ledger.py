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
queued, a rolled-back one never). `edc_review_file()` files the queue in its order, one
batch at a time, and deletes what it filed in the same transaction, so a filing cut short
(a crash, a killed worker) leaves its batches queued for the next call. It is called by the
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

from trial import schedule, signatures
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
_COLUMNS = (
    "at, event_table, pgh_id, obj_id, label, kind, context_id, user_id, username, site_id, "
    "participant_id, row_id, event, form, repeat, grp, grp_key, item, address, old_value, "
    "new_value, "
    "corrections, off_hours, weekend, after_sdv, after_signature, often_changed, deletion"
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _flags(at: str, zone: str) -> str:
    """off_hours and weekend of a time stamp, in the site's time zone."""
    local = f"({at} AT TIME ZONE coalesce({zone}, {_literal(settings.TIME_ZONE)}))"
    return (
        f"(extract(hour FROM {local}) < {DAY_STARTS} OR extract(hour FROM {local}) >= "
        f"{DAY_ENDS}), (extract(isodow FROM {local}) >= 6)"
    )


def _covers_function() -> str:
    """edc_signature_covers(kind, event, form): which signature kinds cover which forms, from
    each signable's own `covers` predicate evaluated over the schedule's forms."""
    pairs = [(e.code, f) for e in schedule.EVENTS for f in e.forms]
    pairs += [(schedule.LOG_EVENT, f) for f in schedule.LOG_FORMS]
    rows = []
    for kind, signable in sorted(signatures.REGISTRY.items()):
        for event, form in pairs:
            if signable.covers(FormStatus(event=event, form=form, repeat=1)):
                rows.append(f"({_literal(kind)}, {_literal(event)}, {_literal(form)})")
    values = ", ".join(rows) or "(NULL, NULL, NULL)"
    return f"""
CREATE OR REPLACE FUNCTION edc_signature_covers(k text, ev text, fm text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT EXISTS (SELECT 1 FROM (VALUES {values}) AS c(kind, event, form)
                 WHERE c.kind = k AND c.event = ev AND c.form = fm)
$$"""


def _entries_sql(source: Any, relation: str, stamp: str = "e.pgh_created_at") -> str:
    """INSERT of the changed items of the events in `relation` (a batch of the queue, or the
    event table itself for a back-fill) of one audited table.

    A mark or a signature counts if it was given at or before `stamp`, the time of the
    change: the statement's clock when it was queued (so that a mark given earlier in the
    same transaction counts, as it did when a trigger filed the change at once), or, in a
    back-fill of past events, their transaction's time."""
    table = source.event_table
    values = ", ".join(f"({_literal(name)}, {_literal(column)})" for name, column in source.items)
    clinical = source.kind in ("item", "group")
    key = f"(x.j ->> {_literal(source.key_column)})" if source.key_column else "''"
    group = source.group or (source.kind if not clinical else "")
    # SDV marks and query items name a group item "group[key].item".
    address = (
        f"{_literal(source.group + '[')} || {key} || '].' || x.item" if source.group else "x.item"
    )
    changed = "x.pgh_label IN ('update', 'delete')"
    if clinical:
        sdv_time = " AND m.verified_at <= x.stamp"
        signed_time = " AND sg.signed_at <= x.stamp"
        after_sdv = (
            f"{changed} AND EXISTS (SELECT 1 FROM trial_sdvmark m WHERE m.row_id = x.fs_id "
            f"AND m.item = {address}{sdv_time})"
        )
        after_signature = (
            f"{changed} AND EXISTS (SELECT 1 FROM trial_signature sg WHERE sg.participant_id = "
            f"x.pid{signed_time} AND (sg.row_id = x.fs_id OR "
            f"edc_signature_covers(sg.kind, fs.event, fs.form) OR sg.kind = 'casebook'))"
        )
        # The item's corrections so far are read once per item of the batch (a bulk load
        # brings many events of one item), then counted on within the batch.
        correction = "(x.pgh_label = 'update' AND (x.pj ->> x.col) IS NOT NULL)"
        corrections = (
            f"CASE WHEN {correction} THEN coalesce(pr.n, 0) + count(*) FILTER (WHERE "
            f"{correction}) OVER (PARTITION BY x.obj_id, x.item ORDER BY x.pgh_id) ELSE 0 END"
        )
        often = f"({corrections}) >= {OFTEN}"
    else:
        after_sdv = after_signature = often = "false"
        corrections = "0"
    return f"""
WITH x AS (
  SELECT x.*, k.item, k.col
  FROM (
    SELECT e.pgh_id, e.pgh_created_at, {stamp} AS stamp, e.pgh_label, e.pgh_context_id,
      e.pgh_obj_id::text AS obj_id, {source.fs_expr} AS fs_id, {source.pid_expr} AS pid,
      {source.row_json("e")} AS j, prev.pj
    FROM {relation} e {source.joins}
    LEFT JOIN LATERAL (
      SELECT {source.row_json("pe")} AS pj FROM {table} pe WHERE pe.pgh_obj_id = e.pgh_obj_id
        AND pe.pgh_id < e.pgh_id ORDER BY pe.pgh_id DESC LIMIT 1
    ) prev ON e.pgh_label = 'update'
  ) x
  CROSS JOIN LATERAL (VALUES {values}) AS k(item, col)
  WHERE CASE x.pgh_label
    WHEN 'update' THEN (x.pj -> k.col) IS DISTINCT FROM (x.j -> k.col)
    WHEN 'insert' THEN coalesce(jsonb_typeof(x.j -> k.col), 'null') <> 'null'
    ELSE true END
), pr AS (
  SELECT d.obj_id, d.item, (SELECT max(a.corrections) FROM {LEDGER} a
    WHERE a.event_table = {_literal(table)} AND a.obj_id = d.obj_id AND a.item = d.item) AS n
  FROM (SELECT DISTINCT obj_id, item FROM x WHERE pgh_label = 'update') d
)
INSERT INTO {LEDGER} ({_COLUMNS})
SELECT x.pgh_created_at, {_literal(table)}, x.pgh_id, x.obj_id, x.pgh_label,
  {_literal(source.kind)}, x.pgh_context_id, (c.metadata ->> 'user')::integer,
  coalesce(c.metadata ->> 'username', ''), p.site_id, x.pid, x.fs_id,
  coalesce(fs.event, ''), coalesce(fs.form, ''), fs.repeat, {_literal(group)},
  coalesce({key}, ''), x.item, {address if clinical else "''"},
  CASE x.pgh_label WHEN 'insert' THEN NULL WHEN 'delete' THEN x.j ->> x.col
    ELSE x.pj ->> x.col END,
  CASE x.pgh_label WHEN 'delete' THEN NULL ELSE x.j ->> x.col END,
  {corrections}, {_flags("x.pgh_created_at", "s.time_zone")},
  coalesce({after_sdv}, false), coalesce({after_signature}, false), {often},
  x.pgh_label = 'delete' OR ({_literal(source.kind)} = 'FormStatus' AND x.item = 'status'
    AND x.pgh_label = 'update' AND (x.j ->> x.col) = 'deleted')
FROM x
LEFT JOIN pr ON pr.obj_id = x.obj_id AND pr.item = x.item
LEFT JOIN trial_formstatus fs ON fs.id = x.fs_id
LEFT JOIN trial_participant p ON p.id = x.pid
LEFT JOIN trial_site s ON s.id = p.site_id
LEFT JOIN pghistory_context c ON c.id = x.pgh_context_id"""


# When an item reaches its third correction, its earlier entries join the queue (later
# ones are flagged as they are written): once per item, over its few entries before.
_OFTEN_SQL = f"""
UPDATE {LEDGER} a SET often_changed = true
FROM (SELECT DISTINCT event_table, obj_id, item FROM {LEDGER}
      WHERE id > %s AND corrections = {OFTEN}) o
WHERE a.event_table = o.event_table AND a.obj_id = o.obj_id AND a.item = o.item
  AND a.corrections < {OFTEN} AND NOT a.often_changed"""


def _filer_function(name: str, source: Any) -> str:
    """The filing function of one event table: the entries of the events `ids`, in one
    statement. A record's events (form statuses, signatures, queries...) are only filed; a
    CRF item's entries also flag the item's earlier entries when this change is its third
    correction, in the same statement (a data-modifying WITH)."""
    # Each event with the clock of its statement (queued_at); to_jsonb(e) carries it as one
    # more key, which no item names.
    events = (
        f"(SELECT ev.*, u.queued_at FROM {source.event_table} ev "
        f"JOIN unnest(ids, ats) AS u(pgh_id, queued_at) ON ev.pgh_id = u.pgh_id)"
    )
    insert = _entries_sql(source, events, "e.queued_at")
    if source.kind in ("item", "group"):
        head, tail = insert.split(f"\nINSERT INTO {LEDGER}", 1)
        insert = f"""{head},
ins AS (INSERT INTO {LEDGER}{tail}
  RETURNING event_table, obj_id, item, corrections)
UPDATE {LEDGER} a SET often_changed = true
FROM (SELECT DISTINCT event_table, obj_id, item FROM ins WHERE corrections = {OFTEN}) o
WHERE a.event_table = o.event_table AND a.obj_id = o.obj_id AND a.item = o.item
  AND a.corrections < {OFTEN} AND NOT a.often_changed"""
    return f"""
CREATE OR REPLACE FUNCTION {name}(ids bigint[], ats timestamptz[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  {insert};
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
    """The consumer: every batch queued (and committed), in queue order, so that the ledger's
    ids follow the changes (SDV progress compares them); consecutive batches of one table
    are filed in one call. Each batch leaves the queue as it is read (exactly the batches
    filed: one queued by a transaction that commits meanwhile, with a lower id, stays for
    the next call). The filing functions are called by name from a static CASE, not EXECUTE,
    so that each keeps its prepared plan across calls (a demo's tens of thousands of
    batches would otherwise plan the unpivot each time)."""
    dispatch = "\n".join(
        f"    WHEN {_literal(name)} THEN PERFORM {name}(ids, ats);" for name in filers
    )
    return f"""
CREATE OR REPLACE FUNCTION edc_review_run(filer text, ids bigint[], ats timestamptz[])
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  CASE filer
{dispatch}
    ELSE NULL;
  END CASE;
END
$fn$;
CREATE OR REPLACE FUNCTION edc_review_file() RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
  q record;
  run_filer text;
  run_ids bigint[] := '{{}}';
  run_ats timestamptz[] := '{{}}';
  n integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock({FILING_LOCK});
  FOR q IN SELECT id, filer, ids, queued_at FROM {QUEUE} ORDER BY id LOOP
    IF run_filer IS DISTINCT FROM q.filer THEN
      IF run_filer IS NOT NULL THEN
        PERFORM edc_review_run(run_filer, run_ids, run_ats);
      END IF;
      run_filer := q.filer;
      run_ids := '{{}}';
      run_ats := '{{}}';
    END IF;
    run_ids := run_ids || q.ids;
    run_ats := run_ats || array_fill(q.queued_at, ARRAY[cardinality(q.ids)]);
    DELETE FROM {QUEUE} WHERE id = q.id;
    n := n + 1;
  END LOOP;
  IF run_filer IS NOT NULL THEN
    PERFORM edc_review_run(run_filer, run_ids, run_ats);
  END IF;
  RETURN n;
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
  0, {_flags("e.at", "s.time_zone")}, false, false, false, false
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
        cursor.execute(_covers_function())
        cursor.execute(_ENQUEUE_SQL)
        filers: list[str] = []
        functions = [
            "edc_signature_covers(text, text, text)",
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
            # argument: dropped, so that nothing can call it any more.
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}() CASCADE")
            cursor.execute(_filer_function(name, source))
            filers.append(name)
            # Called only by edc_review_file (as the owner): never by the application.
            cursor.execute(
                f"REVOKE EXECUTE ON FUNCTION {name}(bigint[], timestamptz[]) FROM PUBLIC"
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
                cursor.execute(_entries_sql(source, q(table)))
                cursor.execute(_OFTEN_SQL, [first_id])
        cursor.execute(_file_sql(filers))
        # Called only by edc_review_file (as the owner): never by the application.
        cursor.execute(
            "REVOKE EXECUTE ON FUNCTION edc_review_run(text, bigint[], timestamptz[]) FROM PUBLIC"
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


def install_ledger_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    install_ledger(connections[using])
