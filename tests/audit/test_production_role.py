"""The production role: the application reads and appends to the audit trail, nothing more,
even if the triggers were gone (README.md (The database role))."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from pghistory.core import event_models
from pghistory.models import Context

from eligibility.models import Demographics
from tests.audit.conftest import save_demographics


@pytest.fixture
def app_role(db):
    """A throwaway role with the production grants, inside the test's transaction."""
    role = f"edc_test_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as c:
        c.execute(f'CREATE ROLE "{role}" NOLOGIN')
    call_command("audit_grants", role=role, apply=True, verbosity=0)
    return role


def as_role(role: str, sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as c:
        c.execute(f'SET LOCAL ROLE "{role}"')
        c.execute(sql, params)


UPDATES = {
    "trial_formstatusevent": "UPDATE trial_formstatusevent SET status = 'x'",
    "trial_userevent": "UPDATE trial_userevent SET username = 'x'",
    "trial_authevent": "UPDATE trial_authevent SET username = 'x'",
}


@pytest.mark.parametrize("table", UPDATES)
def test_the_app_role_cannot_update_delete_or_truncate_the_audit_trail(app_role, demog, table):
    for sql in (UPDATES[table], f'DELETE FROM "{table}"', f'TRUNCATE "{table}"'):
        with pytest.raises(DatabaseError, match="permission denied"):
            as_role(app_role, sql)


def test_the_app_role_cannot_delete_the_who_and_why(app_role, demog):
    with pytest.raises(DatabaseError, match="permission denied"):
        as_role(app_role, "DELETE FROM pghistory_context")


def test_the_app_role_still_writes_clinical_data_and_its_audit_events(app_role, demog, nurse):
    # The whole save (data, status row, triggers, context) runs under the application's role.
    with transaction.atomic():
        with connection.cursor() as c:
            c.execute(f'SET LOCAL ROLE "{app_role}"')
        row = save_demographics(nurse, demog, reason="transcription error", weight_kg="70")
        with connection.cursor() as c:
            c.execute("RESET ROLE")
    assert row.version == 2
    assert row.events.latest("pgh_id").edc_context["reason"] == "transcription error"


def test_grants_need_an_existing_role(db):
    with pytest.raises(CommandError, match="create it first"):
        call_command("audit_grants", role="no_such_role_here", verbosity=0)


# --- The application's login, on a connection of its own -----------------------------------
# What someone holding the application's password can do. The fixtures' data is committed
# (transactional_db), so the role's transactions come after the ones that wrote the trail,
# as they would in production.


@pytest.fixture
def app_login(transactional_db):
    """connect() opens an autocommit connection as a fresh login role with the production
    grants."""
    role = f"edc_test_login_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as c:
        c.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS')
    call_command("audit_grants", role=role, apply=True, verbosity=0)
    params = connection.get_connection_params()
    opened: list[psycopg.Connection] = []

    def connect() -> psycopg.Connection:
        conn = psycopg.connect(
            dbname=params["dbname"],
            host=params.get("host"),
            port=params.get("port"),
            user=role,
            autocommit=True,
        )
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()
    with connection.cursor() as c:
        c.execute(f'DROP OWNED BY "{role}"')
        c.execute(f'DROP ROLE "{role}"')


def demographics_events():
    return event_models(tracks_model=Demographics)[0]


def refused_as(conn: psycopg.Connection, *statements: tuple[str, list]) -> str:
    """Run the statements in one transaction of `conn`; return the refusal (the test fails
    if there is none)."""
    with pytest.raises(psycopg.Error) as error, conn.transaction():
        for sql, params in statements:
            conn.execute(sql, params)
    return str(error.value)


def set_context(context_id: uuid.UUID, metadata: dict) -> tuple[str, list]:
    """The two settings the triggers read, as pghistory.context() sends them (the write
    session sets the same two by SET LOCAL: trial/audit_wire.py)."""
    return (
        "SELECT set_config('pghistory.context_id', %s, true), "
        "set_config('pghistory.context_metadata', %s, true)",
        [str(context_id), json.dumps(metadata)],
    )


def update_weight(row, weight: str) -> tuple[str, list]:
    return (
        "UPDATE eligibility_demographics SET weight_kg = %s WHERE form_status_id = %s",
        [weight, row.pk],
    )


def trigger_names(table: str) -> list[str]:
    with connection.cursor() as c:
        c.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
            "AND tgname LIKE 'pgtrigger_%%'",
            [table],
        )
        return [row[0] for row in c.fetchall()]


def test_the_app_login_cannot_skip_the_audit_triggers(app_login, demog):
    # pgtrigger's trigger functions return early for the names listed in pgtrigger.ignore.
    ignore = "{" + ",".join(trigger_names("eligibility_demographics")) + "}"
    events = demographics_events().objects.count()
    conn = app_login()
    for set_ignore in (
        ("SELECT set_config('pgtrigger.ignore', %s, true)", [ignore]),
        ("SELECT set_config('pgtrigger.ignore', %s, false)", [ignore]),
    ):
        assert "pgtrigger.ignore" in refused_as(conn, set_ignore, update_weight(demog, "99"))
    # Even a value that names no trigger of this table: the guard does not parse it.
    assert "pgtrigger.ignore" in refused_as(
        conn, ("SET LOCAL pgtrigger.ignore = '{x}'", []), update_weight(demog, "99")
    )
    assert str(Demographics.objects.get(form_status=demog).weight_kg) == "61.5"
    assert demographics_events().objects.count() == events


def test_the_app_login_cannot_write_events_or_contexts_itself(app_login, demog):
    event_model = demographics_events()
    table = event_model._meta.db_table
    columns = [f.column for f in event_model._meta.concrete_fields if f.column != "pgh_id"]
    values = [
        "now() - interval '30 days'" if column == "pgh_created_at" else f'"{column}"'
        for column in columns
    ]
    quoted = ", ".join(f'"{column}"' for column in columns)
    backdated_copy = (
        f'INSERT INTO "{table}" ({quoted}) SELECT {", ".join(values)} FROM "{table}" LIMIT 1'
    )
    backdated_context = (
        "INSERT INTO pghistory_context (id, metadata, created_at, updated_at) "
        "VALUES (%s, %s, now() - interval '30 days', now() - interval '30 days')"
    )
    conn = app_login()
    assert "permission denied" in refused_as(conn, (backdated_copy, []))
    assert "permission denied" in refused_as(
        conn, (backdated_context, [str(uuid.uuid4()), json.dumps({"reason": "invented"})])
    )
    # Nor through pghistory's upsert function, called by hand.
    assert "permission denied" in refused_as(conn, ("SELECT _pgh_attach_context()", []))
    assert event_model.objects.count() == 1


def test_the_app_login_cannot_add_a_reason_to_an_older_context(app_login, demog):
    event_model = demographics_events()
    table = event_model._meta.db_table
    event = event_model.objects.get()
    assert event.edc_context is not None and "reason" not in event.edc_context
    forged = {**event.edc_context, "reason": "transcription error"}
    conn = app_login()
    assert "permission denied" in refused_as(
        conn,
        (
            f'UPDATE "{table}" SET edc_context = edc_context || %s WHERE pgh_id = %s',
            [json.dumps({"reason": "x"}), event.pgh_id],
        ),
    )
    # A change recorded later under the old context's id carries its own context; the older
    # event's is what it was.
    with conn.transaction():
        conn.execute(*set_context(event.pgh_context_id, forged))
        conn.execute(*update_weight(demog, "70"))
    event.refresh_from_db()
    assert "reason" not in event.edc_context
    assert event_model.objects.latest("pgh_id").edc_context == forged


def test_the_app_login_cannot_add_a_reason_to_a_context_row_of_an_older_change(app_login, db):
    """Events written before the context moved into the event row name a context row; the
    application's login can neither rewrite it nor upsert over it."""
    old = Context.objects.create(id=uuid.uuid4(), metadata={"username": "alice"})
    forged = {**old.metadata, "reason": "transcription error"}
    conn = app_login()
    assert "permission denied" in refused_as(
        conn,
        (
            "UPDATE pghistory_context SET metadata = metadata || %s WHERE id = %s",
            [json.dumps({"reason": "x"}), str(old.pk)],
        ),
    )
    assert "permission denied" in refused_as(
        conn,
        (
            "INSERT INTO pghistory_context (id, metadata, created_at, updated_at) "
            "VALUES (%s, %s, now(), now()) ON CONFLICT (id) DO UPDATE SET metadata = "
            "EXCLUDED.metadata",
            [str(old.pk), json.dumps(forged)],
        ),
    )
    old.refresh_from_db()
    assert "reason" not in old.metadata


def test_the_app_login_still_records_its_changes_with_their_context(app_login, demog, nurse):
    event_model = demographics_events()
    context_id = uuid.uuid4()
    who = {"user": nurse.pk, "username": "alice"}
    conn = app_login()
    with conn.transaction():
        conn.execute(*set_context(context_id, who))
        conn.execute(*update_weight(demog, "70"))
        # Within its transaction, pghistory may add keys to the context it is writing.
        conn.execute(*set_context(context_id, {**who, "reason": "transcription error"}))
        conn.execute(*update_weight(demog, "71"))
    # A later transaction may attach events to the same context, unchanged
    # (a request's context spans the request's transactions).
    with conn.transaction():
        conn.execute(*set_context(context_id, {**who, "reason": "transcription error"}))
        conn.execute(*update_weight(demog, "72"))
    events = list(event_model.objects.filter(pgh_context_id=context_id).order_by("pgh_id"))
    assert [str(e.weight_kg) for e in events] == ["70.0", "71.0", "72.0"]
    # Each event carries the context as the session had it when the event was written.
    assert [e.edc_context for e in events] == [
        who,
        {**who, "reason": "transcription error"},
        {**who, "reason": "transcription error"},
    ]
    # And what the database asserts: the login, and each transaction's own id.
    assert {e.edc_db_role for e in events} == {conn.info.user}
    assert events[0].edc_txid == events[1].edc_txid != events[2].edc_txid


def test_the_app_login_cannot_divert_events_into_tables_of_its_own(app_login, demog):
    # Temporary tables come first in the default search_path: the triggers must not write
    # the trail into a same-named table the session created.
    event_model = demographics_events()
    table = event_model._meta.db_table
    conn = app_login()
    with conn.transaction():
        conn.execute(
            f'CREATE TEMP TABLE "{table}" (LIKE public."{table}" INCLUDING DEFAULTS) ON COMMIT DROP'
        )
        conn.execute(
            "CREATE TEMP TABLE pghistory_context (LIKE public.pghistory_context INCLUDING ALL) "
            "ON COMMIT DROP"
        )
        conn.execute(*set_context(uuid.uuid4(), {"reason": "diverted"}))
        conn.execute(*update_weight(demog, "70"))
        diverted = conn.execute(f'SELECT count(*) FROM pg_temp."{table}"').fetchone()[0]
        diverted += conn.execute("SELECT count(*) FROM pg_temp.pghistory_context").fetchone()[0]
    assert diverted == 0
    latest = event_model.objects.latest("pgh_id")
    assert str(latest.weight_kg) == "70.0"
    assert latest.edc_context == {"reason": "diverted"}


def test_the_app_login_cannot_update_or_delete_events_or_contexts(app_login, demog):
    table = demographics_events()._meta.db_table
    conn = app_login()
    for sql in (
        f"UPDATE \"{table}\" SET pgh_label = 'x'",
        f'DELETE FROM "{table}"',
        "UPDATE pghistory_context SET updated_at = now()",
        "DELETE FROM pghistory_context",
    ):
        assert "permission denied" in refused_as(conn, (sql, []))
    assert demographics_events().objects.count() == 1


def test_the_owner_may_still_skip_triggers(demog):
    # Migrations (as the owner) may need pgtrigger.ignore; the tests run as a superuser.
    ignore = "{" + ",".join(trigger_names("eligibility_demographics")) + "}"
    events = demographics_events().objects.count()
    with transaction.atomic(), connection.cursor() as c:
        c.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [ignore])
        c.execute(*update_weight(demog, "99"))
    assert demographics_events().objects.count() == events
