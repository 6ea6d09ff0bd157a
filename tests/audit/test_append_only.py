"""The audit trail is append-only in the database itself: raw SQL cannot rewrite it."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from pghistory.core import event_models
from pghistory.models import Context

from eligibility.models import Demographics
from trial import actions
from trial.audit import audit_context
from trial.guards import guarded_tables, tracked_tables
from trial.models import AuthEvent, AuthEventKind, FormStatus, UserEvent  # type: ignore[attr-defined]

# Event tables of every kind: a CRF's, the status row's, the accounts' and the roles'.
EVENT_TABLES = [
    event_models(tracks_model=Demographics)[0]._meta.db_table,
    event_models(tracks_model=FormStatus)[0]._meta.db_table,
    "trial_userevent",
    "trial_usergroupsevent",
]


def refused(sql: str, params=()) -> str:
    """Run `sql` in a savepoint; return the database's refusal (the test fails if none)."""
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as c:
        c.execute(sql, params)
    return str(error.value)


def count(table: str) -> int:
    with connection.cursor() as c:
        c.execute(f'SELECT count(*) FROM "{table}"')
        return c.fetchone()[0]


@pytest.fixture
def history(demog, nurse, data_manager):
    """Rows in every table above, and in the authentication log."""
    actions.log_auth_event(AuthEventKind.LOGIN, "alice", user=nurse)
    with audit_context(data_manager, reason="role review"):
        nurse.first_name = "Alicia"
        nurse.save()
    return demog


@pytest.mark.parametrize("table", EVENT_TABLES)
@pytest.mark.req("P11.10e")
def test_raw_update_and_delete_of_an_event_table_are_refused(history, table):
    before = count(table)
    assert before > 0
    assert "Cannot update or delete" in refused(f"UPDATE \"{table}\" SET pgh_label = 'x'")
    assert "Cannot update or delete" in refused(f'DELETE FROM "{table}"')
    assert count(table) == before


def test_raw_update_and_delete_of_the_auth_log_are_refused(history):
    assert "Cannot update or delete" in refused("UPDATE trial_authevent SET username = 'eve'")
    assert "Cannot update or delete" in refused("DELETE FROM trial_authevent")
    assert list(AuthEvent.objects.values_list("username", flat=True)) == ["alice"]


def test_every_event_table_has_the_update_and_delete_guard(db):
    with connection.cursor() as c:
        c.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'pgtrigger_append_only_%%'"
        )
        guarded = {row[0] for row in c.fetchall()}
    assert {m._meta.db_table for m in event_models()} | {"trial_authevent"} <= guarded


def _without_the_test_databases_allowance():
    # The test database lets Django's test runner TRUNCATE between transactional tests
    # (ALTER DATABASE ... SET edc.allow_truncate). Production has no such setting: lift it
    # inside this savepoint to test the guard as it stands there.
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    with connection.cursor() as c:
        c.execute(f"ALTER DATABASE {name} RESET edc.allow_truncate")
        # Check the deferred foreign keys now: PostgreSQL refuses to TRUNCATE a table with
        # pending checks, which would hide the guard's own refusal.
        c.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.parametrize(
    "table", [*EVENT_TABLES, "trial_signatureevent", "trial_authevent", "pghistory_context"]
)
def test_raw_truncate_of_an_append_only_table_is_refused(history, table):
    with transaction.atomic():
        _without_the_test_databases_allowance()
        assert "TRUNCATE refused" in refused(f'TRUNCATE "{table}"')
        # A session-level setting does not lift the guard: only the database owner's does.
        with connection.cursor() as c:
            c.execute("SET LOCAL edc.allow_truncate = 'on'")
        assert "TRUNCATE refused" in refused(f'TRUNCATE "{table}"')
        transaction.set_rollback(True)


def test_every_event_table_of_every_app_is_guarded_against_truncate(db):
    with connection.cursor() as c:
        c.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'edc_no_truncate'"
        )
        guarded = {row[0] for row in c.fetchall()}
    expected = {m._meta.db_table for m in event_models()}
    assert expected <= guarded
    assert {"pghistory_context", "trial_authevent"} <= guarded
    assert set(guarded_tables()) <= guarded


@pytest.mark.req("P11.10e")
def test_the_who_and_why_of_a_past_change_cannot_be_rewritten(history):
    """The context and the stamp are columns of the event row: rewriting or completing them
    is an UPDATE of an append-only table."""
    event = UserEvent.objects.filter(edc_context__reason="role review").get()
    assert event.edc_context["username"] == "dana"
    for sql in (
        "UPDATE trial_userevent SET edc_context = jsonb_set(edc_context, '{reason}', '\"typo\"')",
        # Not even completed: a key added later would pass for one recorded at the time.
        'UPDATE trial_userevent SET edc_context = edc_context || \'{"site": "TLS"}\'',
        "UPDATE trial_userevent SET edc_db_role = 'someone', edc_txid = 1",
        "DELETE FROM trial_userevent",
    ):
        assert "Cannot update or delete" in refused(f"{sql} WHERE pgh_id = %s", [event.pgh_id])
    event.refresh_from_db()
    assert event.edc_context["reason"] == "role review"
    assert "site" not in event.edc_context
    assert event.edc_db_role != "someone"


@pytest.mark.req("P11.10e")
def test_a_context_row_of_an_older_change_cannot_be_rewritten(db):
    """Events written before the context moved into the event row name a context row: it
    stays protected as it was."""
    context = Context.objects.create(
        id=uuid.uuid4(), metadata={"reason": "role review", "username": "dana"}
    )
    # Another transaction than the one that wrote it: pretend it is from yesterday.
    with transaction.atomic(), connection.cursor() as c:
        c.execute("ALTER TABLE pghistory_context DISABLE TRIGGER edc_guard_context")
        c.execute(
            "UPDATE pghistory_context SET created_at = created_at - interval '1 day' WHERE id = %s",
            [context.pk],
        )
        c.execute("ALTER TABLE pghistory_context ENABLE TRIGGER edc_guard_context")
    assert "UPDATE refused" in refused(
        "UPDATE pghistory_context SET metadata = jsonb_set(metadata, '{reason}', '\"typo\"') "
        "WHERE id = %s",
        [context.pk],
    )
    assert "UPDATE refused" in refused(
        'UPDATE pghistory_context SET metadata = metadata || \'{"site": "TLS"}\' WHERE id = %s',
        [context.pk],
    )
    assert "DELETE refused" in refused("DELETE FROM pghistory_context WHERE id = %s", [context.pk])
    context.refresh_from_db()
    assert context.metadata["reason"] == "role review"
    assert "site" not in context.metadata


def test_every_audited_table_refuses_writes_that_skip_its_triggers(db):
    with connection.cursor() as c:
        c.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'edc_no_trigger_skip'"
        )
        guarded = {row[0] for row in c.fetchall()}
    tracked = set(tracked_tables())
    assert {"eligibility_demographics", "trial_formstatus", "auth_user"} <= tracked
    assert tracked <= guarded


def test_every_function_that_writes_the_trail_runs_as_its_owner(db):
    """The application's role has no INSERT on the trail: pghistory's trigger functions run
    as their owner, with a search_path of their own."""
    with connection.cursor() as c:
        c.execute(
            "SELECT c.relname, p.proname, p.prosecdef, p.proconfig, p.prosrc "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal"
        )
        functions = c.fetchall()
        # The context's id: read from the session, writing nothing (the event row carries the
        # context), so left to run as its caller, the trigger, which is the owner.
        c.execute(
            "SELECT l.lanname, p.prosrc FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
            "WHERE p.proname = '_pgh_attach_context'"
        )
        ((language, source),) = c.fetchall()
        assert language == "sql" and "INSERT" not in source.upper()
    for table, events in tracked_tables().items():
        writers = [
            (name, definer, config)
            for relname, name, definer, config, source in functions
            if relname == table and any(f'"{event}"' in source for event in events)
        ]
        assert len(writers) >= 2, table  # an insert or delete event, at least
        for name, definer, config in writers:
            assert definer, name
            assert config == ["search_path=public, pg_temp"], name


def test_a_bulk_queryset_update_is_audited_row_by_row_with_its_context(participant, data_manager):
    event_model = event_models(tracks_model=FormStatus)[0]
    rows = participant.forms.filter(event="SCR")
    count = rows.count()
    assert count > 1
    with audit_context(data_manager, reason="bulk check", command="test"):
        updated = rows.update(status="missed")
    assert updated == count
    events = event_model.objects.filter(pgh_label="update", status="missed").select_related(
        "pgh_context"
    )
    assert events.count() == count
    assert {e.edc_context["reason"] for e in events} == {"bulk check"}
    assert {e.edc_context["username"] for e in events} == {"dana"}


def test_raw_sql_changes_to_clinical_data_are_audited_too(demog):
    event_model = event_models(tracks_model=Demographics)[0]
    with connection.cursor() as c:
        c.execute(
            "UPDATE eligibility_demographics SET weight_kg = 99 WHERE form_status_id = %s",
            [demog.pk],
        )
    weights = list(
        event_model.objects.filter(form_status_id=demog.pk)
        .order_by("pgh_id")
        .values_list("weight_kg", flat=True)
    )
    assert [str(w) for w in weights] == ["61.5", "99.0"]
