"""The audit context's id on each event, without a context row, and pgtrigger's skip check
made cheap.

pghistory's triggers fill each event's `pgh_context_id` by calling `_pgh_attach_context()`,
which in pghistory upserts the context row (`pghistory_context`) for every row event. Since
the event row carries the context's metadata and the database's stamp itself (columns
filled by their defaults: trial/models/trail.py), `install_attach` replaces it with one
SQL expression that only reads the id the application sent (trial/audit_wire.py): it
writes nothing, and the planner inlines it into the trigger's INSERT. The id still groups
the events of one action (the History of a lab import, the review's entries).

While any event table lacks the columns (a database migrated back before them), pghistory's
own upsert stays: the events would otherwise keep no context at all.

`_pgtrigger_should_ignore(name)` is pgtrigger's check, called by every pgtrigger trigger
function on every row: PL/pgSQL with an exception block. Its replacement is one SQL
expression, which the planner inlines into the caller. A value of pgtrigger.ignore that is
not an array raises instead of being ignored; only the owner may set one at all
(edc_refuse_trigger_skip).

Migrations re-create both functions (pghistory after every migrate, pgtrigger with each
trigger it installs): install_guards calls install_attach after every migrate, and until
then pghistory's and pgtrigger's own versions run, slower but with the same records.
"""

from __future__ import annotations

from typing import Any

from pghistory.models import Context

# The column every event row carries its context in (trial.models.trail.Event).
CONTEXT_COLUMN = "edc_context"

_ATTACH_SQL = """
CREATE OR REPLACE FUNCTION _pgh_attach_context() RETURNS uuid
LANGUAGE sql STABLE AS $fn$
  SELECT nullif(pg_catalog.current_setting('pghistory.context_id', true), '')::uuid
$fn$"""

# pgtrigger's own test of its setting, without the exception block: false when unset or
# empty, else whether the trigger is named in it.
_SHOULD_IGNORE_SQL = """
CREATE OR REPLACE FUNCTION _pgtrigger_should_ignore(trigger_name name) RETURNS boolean
LANGUAGE sql STABLE AS $fn$
  SELECT CASE WHEN COALESCE(pg_catalog.current_setting('pgtrigger.ignore', true), '') = ''
    THEN false
    ELSE trigger_name = ANY (pg_catalog.current_setting('pgtrigger.ignore', true)::text[])
  END
$fn$"""

# The event tables that exist but lack the context column.
_WITHOUT_COLUMN = """
SELECT t.name FROM unnest(%s::text[]) AS t(name)
WHERE pg_catalog.to_regclass(t.name) IS NOT NULL AND NOT EXISTS (
  SELECT 1 FROM pg_catalog.pg_attribute a
  WHERE a.attrelid = pg_catalog.to_regclass(t.name) AND a.attname = %s AND NOT a.attisdropped
)"""


def install_attach(connection: Any, event_tables: list[str]) -> bool:
    """Replace pghistory's context upsert and pgtrigger's skip check (idempotent). While one
    of `event_tables` lacks the context column, pghistory's own upsert is (re)installed
    instead. True if this module's function (no context row) is the one installed."""
    with connection.cursor() as cursor:
        # pgtrigger creates its check with its first trigger.
        cursor.execute("SELECT pg_catalog.to_regprocedure('_pgtrigger_should_ignore(name)')")
        if cursor.fetchone()[0] is not None:
            cursor.execute(_SHOULD_IGNORE_SQL)
        cursor.execute(_WITHOUT_COLUMN, [event_tables, CONTEXT_COLUMN])
        if cursor.fetchone() is not None:
            Context.install_pgh_attach_context_func(using=connection.alias)
            return False
        cursor.execute(_ATTACH_SQL)
        return True
