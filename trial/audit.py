"""The audit trail's plumbing: which models are tracked, and the context each event carries.

Every clinical model is decorated with `@audited`: PostgreSQL triggers (django-pghistory) then
record each insert, update and delete, bulk updates and raw SQL included. Who, why, from where
and through which page or command travel in `pghistory.context`, set by the middleware for
requests and by `audit_context` for actions and management commands.

The event tables are append-only: pgtrigger's `append_only` triggers (PGHISTORY_APPEND_ONLY)
refuse UPDATE and DELETE; `install_guards` adds what pghistory does not: TRUNCATE refused on
every event table, and the context table (who, why, from where) protected from deletion and
from rewriting once its transaction is over. README.md, "The database role", explains the
database role that makes this hold against a determined user too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pghistory
from pghistory import runtime


def audited(model_class: type) -> type:
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent()
    )(model_class)


@contextmanager
def audit_context(user: Any = None, reason: str = "", **extra: Any) -> Iterator[None]:
    """Attach the acting user, the reason for change and the command to every row event in
    the block.

    Inside a request's (or a command's) context, the block gets a context of its own that
    starts from the outer values (page, client address) and adds these. pghistory would
    otherwise merge them into the outer context for the rest of the request, so a reason
    given for one change would also label every later event of the same request.
    """
    values: dict[str, Any] = dict(extra)
    if user is not None and getattr(user, "pk", None) is not None:
        values["user"] = user.pk
        values["username"] = user.get_username()
    if reason:
        values["reason"] = reason
    outer = getattr(runtime._tracker, "value", None)
    if outer is None:
        with pghistory.context(**values):
            yield
        return
    # An action run by a management command keeps both names: "seed_demo > save_crf".
    outer_command = outer.metadata.get("command")
    if outer_command and values.get("command") and values["command"] != outer_command:
        values["command"] = f"{outer_command} > {values['command']}"
    # The outer context already installed pghistory's SQL hook; it reads the current value
    # at each statement, so swapping the value is enough.
    runtime._tracker.value = runtime.Context(id=uuid.uuid4(), metadata={**outer.metadata, **values})
    try:
        yield
    finally:
        runtime._tracker.value = outer


# --- Database guards ------------------------------------------------------------------------

# Only a database-level setting (ALTER DATABASE, which needs the owner) lifts the TRUNCATE
# guard: Django's test runner empties every table with TRUNCATE between transactional tests,
# so the test database alone is configured that way. A session-level SET does not count.
_GUARD_FUNCTIONS = """
CREATE OR REPLACE FUNCTION edc_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
        WHERE d.datname = current_database() AND s.setrole = 0
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
    -- pghistory upserts the context as an action proceeds, within the action's transaction.
    -- Afterwards a context may only gain keys: who, why and where are never rewritten.
    IF NEW.id <> OLD.id OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'audit table % is append-only: UPDATE refused', TG_TABLE_NAME;
    END IF;
    IF OLD.created_at <> transaction_timestamp() AND NOT (NEW.metadata @> OLD.metadata) THEN
        RAISE EXCEPTION 'audit table % is append-only: UPDATE refused', TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def guarded_tables() -> list[str]:
    """Every append-only table: the event tables of every app, the context and auth log."""
    from pghistory.core import event_models
    from pghistory.models import Context

    from trial.models import AuthEvent

    tables = {model._meta.db_table for model in event_models()}
    tables |= {Context._meta.db_table, AuthEvent._meta.db_table}
    return sorted(tables)


def install_guards(connection: Any) -> None:
    """Install the TRUNCATE guard on every append-only table and the context table's guard.

    Idempotent; run after every migrate (post_migrate), so event tables that other apps add
    later are covered without migrations of their own.
    """
    from pghistory.models import Context

    context_table = connection.ops.quote_name(Context._meta.db_table)
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        cursor.execute(_GUARD_FUNCTIONS)
        for table in guarded_tables():
            if table not in existing:
                continue
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER edc_no_truncate BEFORE TRUNCATE ON "
                f"{connection.ops.quote_name(table)} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION edc_refuse_truncate()"
            )
        cursor.execute(
            f"CREATE OR REPLACE TRIGGER edc_guard_context BEFORE UPDATE OR DELETE ON "
            f"{context_table} FOR EACH ROW EXECUTE FUNCTION edc_guard_context()"
        )
        if _is_test_database(connection):
            name = connection.ops.quote_name(connection.settings_dict["NAME"])
            cursor.execute(f"ALTER DATABASE {name} SET edc.allow_truncate = 'on'")


def _is_test_database(connection: Any) -> bool:
    name = connection.settings_dict.get("NAME") or ""
    test_name = (connection.settings_dict.get("TEST") or {}).get("NAME") or ""
    return bool(test_name) and (name == test_name or name.startswith(test_name + "_"))


def install_guards_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    install_guards(connections[using])


# --- The production database role -----------------------------------------------------------


def grant_statements(role: str, database: str) -> list[str]:
    """SQL that lets `role` (the application's login) read and write the application's
    tables but only read and append to the audit trail. Run as the owner after each migrate
    (manage.py audit_grants --apply); README.md (The database role) explains why."""
    from django.db import connection

    q = connection.ops.quote_name
    append_only = ", ".join(q(t) for t in guarded_tables() if t != "pghistory_context")
    return [
        f"REVOKE ALL ON DATABASE {q(database)} FROM PUBLIC",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {q(database)} TO {q(role)}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {q(role)}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {q(role)}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {q(role)}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {q(role)}",
        # The audit trail: read and append, nothing else.
        f"REVOKE UPDATE, DELETE ON {append_only} FROM {q(role)}",
        f"REVOKE UPDATE, DELETE ON trial_signature, trial_signaturebreak FROM {q(role)}",
        # pghistory upserts the context row of the running transaction: no DELETE.
        f"REVOKE DELETE ON pghistory_context FROM {q(role)}",
        f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {q(role)}",
    ]
