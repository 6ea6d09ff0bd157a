"""The audit trail's database guards and the production role's grants.

The event tables are append-only: pgtrigger's `append_only` triggers (PGHISTORY_APPEND_ONLY)
refuse UPDATE and DELETE; `install_guards` adds what pghistory does not: TRUNCATE refused on
every event table, the context rows of older events (who, why, from where: since migration
0020 each event row carries its own) protected from deletion and from any change once their
transaction is over, writes to audited tables refused while a session asks pgtrigger to skip
its triggers, and the functions that write the trail run as their owner, so the application's
role itself needs no write privilege on it. `grant_statements` is the SQL of the production
role (README.md, "The database role").
"""

from __future__ import annotations

from typing import Any

from django.db import connection, connections
from pghistory.core import event_models
from pghistory.models import Context

from trial.attach import install_attach
from trial.models import AuthEvent, ContextStamp

# --- Database guards ------------------------------------------------------------------------

# Catalog tables are named with their schema: a session's temporary tables come first in the
# default search_path, so an unqualified pg_class could be a table the session made.
#
# edc_refuse_truncate: only a database-level setting (ALTER DATABASE, which needs the owner)
# lifts it: Django's test runner empties every table with TRUNCATE between transactional tests,
# so the test database alone is configured that way. A session-level SET does not count.
#
# edc_guard_context: only pghistory's _pgh_attach_context() (SECURITY DEFINER, see
# install_guards) writes contexts. It upserts the context of the running transaction: within
# that transaction the metadata may change (nested contexts add keys); afterwards it may only
# be attached to more events unchanged (pghistory skips the UPDATE when the metadata is the
# same), never rewritten nor completed: a reason added later would pass for the original one.
# "The transaction that created it" is the one whose start time is its created_at (NOW()).
#
# edc_stamp_context: each event row carries the database's stamp in its own columns
# (trial/models/trail.py), and no context row is written any more (trial/attach.py). A
# context row that is written all the same, by pghistory's own upsert between a migration
# and install_guards or while an event table lacks those columns, still leaves one
# ContextStamp per transaction: the login role (session_user: SET ROLE does not change it),
# the transaction id, its start (the events' pgh_created_at) and the server's clock (a
# BEFORE INSERT trigger fires even when the row then conflicts).
#
# edc_refuse_trigger_skip: pgtrigger's trigger functions return early when their name is in
# the session setting pgtrigger.ignore, which any role may SET. Rather than editing pgtrigger's
# functions (every migration that touches a trigger re-creates them from pgtrigger's template,
# silently undoing the edit), a trigger of our own, which pgtrigger neither knows nor skips,
# refuses every write to an audited table while the setting is non-empty, unless the role has
# the table owner's privileges (migrations may use pgtrigger.ignore; a superuser could drop the
# triggers anyway). It does not parse the setting: any value but empty is refused. The test of
# the setting is the trigger's WHEN (SKIP_SET), which costs no function call on the usual
# write; the function repeats it, so that it refuses the same whatever calls it.
SKIP_SET = "COALESCE(pg_catalog.current_setting('pgtrigger.ignore', true), '') NOT IN ('', '{}')"

_GUARD_FUNCTIONS = """
CREATE OR REPLACE FUNCTION edc_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_catalog.pg_db_role_setting s
        JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
        WHERE d.datname = pg_catalog.current_database() AND s.setrole = 0
          AND 'edc.allow_truncate=on' = ANY (s.setconfig)
    ) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit table % is append-only: TRUNCATE refused', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION edc_guard_context() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit table % is append-only: DELETE refused', TG_TABLE_NAME;
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'audit table % is append-only: UPDATE refused', TG_TABLE_NAME;
    END IF;
    IF OLD.created_at <> pg_catalog.transaction_timestamp()
       AND NEW.metadata IS DISTINCT FROM OLD.metadata THEN
        RAISE EXCEPTION 'audit table % is append-only: UPDATE refused (context % is from an '
            'earlier transaction)', TG_TABLE_NAME, OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION edc_stamp_context() RETURNS trigger AS $$
BEGIN
    -- A database migrated back to before the table (only the owner migrates).
    IF pg_catalog.to_regclass('trial_contextstamp') IS NULL THEN
        RETURN NEW;
    END IF;
    INSERT INTO trial_contextstamp
        (context_id, txid, transaction_started_at, clock_at, db_role, client_address)
    VALUES (
        NEW.id, pg_catalog.txid_current(), pg_catalog.transaction_timestamp(),
        pg_catalog.clock_timestamp(), session_user,
        COALESCE(pg_catalog.host(pg_catalog.inet_client_addr()), 'local')
    )
    ON CONFLICT (context_id, txid) DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION edc_refuse_trigger_skip() RETURNS trigger AS $$
BEGIN
    IF COALESCE(pg_catalog.current_setting('pgtrigger.ignore', true), '') IN ('', '{}') THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.pg_has_role(
        current_user,
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID),
        'USAGE'
    ) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audited table %: % refused while pgtrigger.ignore is set (%): the audit '
        'triggers would be skipped', TG_TABLE_NAME, TG_OP,
        pg_catalog.current_setting('pgtrigger.ignore', true)
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

# The functions that write the trail run as their owner (the migrations' role), with a fixed
# search_path: the application's role then needs no INSERT on the event tables nor on
# pghistory_context (grant_statements revokes it), so only these triggers append to the trail,
# and a temporary table of the session cannot stand in for an event table. A migration that
# re-creates one of them resets it to SECURITY INVOKER until install_guards runs again (after
# every migrate); in between, the application's writes fail with "permission denied" rather
# than go unrecorded.
_EVENT_WRITERS = """
SELECT DISTINCT p.oid::regprocedure::text, n.nspname
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE NOT t.tgisinternal AND c.relname = %s AND pg_catalog.pg_table_is_visible(c.oid)
  AND EXISTS (SELECT 1 FROM unnest(%s::text[]) e WHERE pg_catalog.strpos(p.prosrc, e) > 0)
"""

_CONTEXT_WRITER = """
SELECT p.oid::regprocedure::text, n.nspname
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname = '_pgh_attach_context' AND pg_catalog.pg_function_is_visible(p.oid)
"""


def tracked_tables() -> dict[str, list[str]]:
    """Every audited table, with the event tables its triggers write."""
    tables: dict[str, set[str]] = {}
    for model in event_models():
        tracked = getattr(model, "pgh_tracked_model", None)
        if tracked is not None:
            tables.setdefault(tracked._meta.db_table, set()).add(model._meta.db_table)
    return {table: sorted(events) for table, events in sorted(tables.items())}


def event_tables() -> list[str]:
    """The tables pghistory's triggers append to (the context table aside)."""
    return sorted({model._meta.db_table for model in event_models()})


def guarded_tables() -> list[str]:
    """Every append-only table: the event tables of every app, the context and auth log."""
    tables = {model._meta.db_table for model in event_models()}
    tables |= {Context._meta.db_table, AuthEvent._meta.db_table, ContextStamp._meta.db_table}
    return sorted(tables)


def install_guards(connection: Any) -> None:
    """Install the guards: TRUNCATE refused on every append-only table, the context table's
    guard, pgtrigger.ignore refused on every audited table, and the functions that write the
    trail made to run as their owner.

    Idempotent; run after every migrate (post_migrate), so tables that other apps add later,
    and trigger functions that a migration re-created, are covered without migrations of
    their own.
    """
    q = connection.ops.quote_name
    context_table = q(Context._meta.db_table)
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        cursor.execute(_GUARD_FUNCTIONS)
        in_row = install_attach(connection, event_tables())
        for table in guarded_tables():
            if table not in existing:
                continue
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER edc_no_truncate BEFORE TRUNCATE ON {q(table)} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION edc_refuse_truncate()"
            )
        cursor.execute(
            f"CREATE OR REPLACE TRIGGER edc_guard_context BEFORE UPDATE OR DELETE ON "
            f"{context_table} FOR EACH ROW EXECUTE FUNCTION edc_guard_context()"
        )
        cursor.execute(
            f"CREATE OR REPLACE TRIGGER edc_stamp_context BEFORE INSERT ON {context_table} "
            f"FOR EACH ROW EXECUTE FUNCTION edc_stamp_context()"
        )
        writers: set[tuple[str, str]] = set()
        for table, events in tracked_tables().items():
            if table not in existing:
                continue
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER edc_no_trigger_skip BEFORE INSERT OR UPDATE OR "
                f"DELETE ON {q(table)} FOR EACH STATEMENT WHEN ({SKIP_SET}) EXECUTE FUNCTION "
                f"edc_refuse_trigger_skip()"
            )
            cursor.execute(_EVENT_WRITERS, [table, [f'"{event}"' for event in events]])
            writers.update(cursor.fetchall())
        cursor.execute(_CONTEXT_WRITER)
        context_writers = cursor.fetchall()
        # pghistory's upsert writes context rows, as the owner. This project's version only
        # reads a setting: left as the invoker's, so that the planner can inline it (the
        # triggers that call it run as the owner anyway).
        if not in_row:
            writers.update(context_writers)
        # The stamp's writer runs as the owner too: the application's role may not insert.
        writers.update(("edc_stamp_context()", schema) for _f, schema in context_writers)
        for function, schema in sorted(writers):
            cursor.execute(
                f"ALTER FUNCTION {function} SECURITY DEFINER SET search_path = {q(schema)}, pg_temp"
            )
        if _is_test_database(connection):
            name = q(connection.settings_dict["NAME"])
            cursor.execute(f"ALTER DATABASE {name} SET edc.allow_truncate = 'on'")


def _is_test_database(connection: Any) -> bool:
    name = connection.settings_dict.get("NAME") or ""
    test_name = (connection.settings_dict.get("TEST") or {}).get("NAME") or ""
    return bool(test_name) and (name == test_name or name.startswith(test_name + "_"))


def install_guards_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    install_guards(connections[using])


# --- The production database role -----------------------------------------------------------


def grant_statements(role: str, database: str) -> list[str]:
    """SQL that lets `role` (the application's login) read and write the application's
    tables but only read the audit trail: its triggers append to it, running as the owner.
    Run as the owner after each migrate (manage.py audit_grants --apply); README.md (The
    database role) explains why."""

    q = connection.ops.quote_name
    trail = ", ".join(
        q(t) for t in [*event_tables(), "pghistory_context", ContextStamp._meta.db_table]
    )
    logs = ", ".join(
        q(t)
        for t in guarded_tables()
        if t not in event_tables() and t not in ("pghistory_context", ContextStamp._meta.db_table)
    )
    return [
        f"REVOKE ALL ON DATABASE {q(database)} FROM PUBLIC",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {q(database)} TO {q(role)}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {q(role)}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {q(role)}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {q(role)}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {q(role)}",
        # The trail (events and their who/why): read only. The triggers write it as the
        # owner (install_guards makes their functions SECURITY DEFINER).
        f"REVOKE INSERT, UPDATE, DELETE ON {trail} FROM {q(role)}",
        # pghistory's upsert of the context, called by hand, would write a context with no
        # event; the triggers call it as the owner.
        f"REVOKE EXECUTE ON FUNCTION _pgh_attach_context() FROM PUBLIC, {q(role)}",
        # The application's own append-only logs (logins): it appends, nothing else.
        f"REVOKE UPDATE, DELETE ON {logs} FROM {q(role)}",
        # Signatures and their breaks: appended, never rewritten.
        f"REVOKE UPDATE, DELETE ON trial_signature, trial_signaturebreak FROM {q(role)}",
        f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {q(role)}",
        # The review's ledger of the trail: its triggers write it, as the owner.
        f"REVOKE INSERT, UPDATE, DELETE ON trial_auditentry FROM {q(role)}",
        # Its queue: the event tables' triggers append to it and edc_review_file() files it,
        # both as the owner.
        f"REVOKE INSERT, UPDATE, DELETE ON trial_auditqueue FROM {q(role)}",
    ]
