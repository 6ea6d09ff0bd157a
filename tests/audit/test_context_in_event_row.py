"""Each event row carries its action's context and the database's stamp (trial/models/trail.py,
trial/attach.py): every event of a transaction carries them, no context row and no stamp
row are written, events written before the columns existed are read from their context row
and stamp as before, and the migration that added the columns stamped no old event."""

from __future__ import annotations

import csv
import importlib
import io
import uuid
from datetime import UTC, datetime, timedelta

from django.db import connection, migrations, transaction
from django.db.models import NOT_PROVIDED
from pghistory.core import event_models
from pghistory.models import Context

from tests.audit.test_production_role import (  # noqa: F401 - pytest fixtures
    app_login,
    demographics_events,
    set_context,
    update_weight,
)
from trial import actions, history, ledger, trail_context
from trial.attach import CONTEXT_COLUMN, install_attach
from trial.exports import audit_csv
from trial.exports.common import Scope, sources
from trial.guards import event_tables, install_guards
from trial.models import AuditEntry, ContextStamp
from trial.models.trail import Event as TrailEvent


def attaches_in_row(connection) -> bool:
    """Whether the installed `_pgh_attach_context()` is trial/attach.py's (SQL, writes no
    context row) rather than pghistory's upsert (PL/pgSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.lanname = 'sql' FROM pg_catalog.pg_proc p "
            "JOIN pg_catalog.pg_language l ON l.oid = p.prolang "
            "WHERE p.proname = '_pgh_attach_context' AND pg_catalog.pg_function_is_visible(p.oid)"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


MIGRATIONS = [
    "trial.migrations.0020_events_carry_context_and_stamp",
    "eligibility.migrations.0007_events_carry_context_and_stamp",
    "dosing.migrations.0006_events_carry_context_and_stamp",
    "imaging.migrations.0005_events_carry_context_and_stamp",
    "followup.migrations.0004_events_carry_context_and_stamp",
]


def _counts() -> tuple[int, int]:
    return Context.objects.count(), ContextStamp.objects.count()


def test_every_event_of_a_transaction_carries_its_context_and_stamp(app_login, demog, nurse):  # noqa: F811
    events = demographics_events()
    context_id = uuid.uuid4()
    who = {"user": nurse.pk, "username": "alice", "reason": "transcription error"}
    before = _counts()
    conn = app_login()
    started = datetime.now(UTC)
    with conn.transaction():
        conn.execute(*set_context(context_id, who))
        for weight in ("70", "71", "72"):
            conn.execute(*update_weight(demog, weight))
        txid = conn.execute("SELECT txid_current()").fetchone()[0]
    ended = datetime.now(UTC)
    recorded = list(events.objects.filter(pgh_context_id=context_id).order_by("pgh_id"))
    assert [str(e.weight_kg) for e in recorded] == ["70.0", "71.0", "72.0"]
    assert [e.edc_context for e in recorded] == [who] * 3
    assert {e.edc_txid for e in recorded} == {txid}
    assert {e.edc_db_role for e in recorded} == {conn.info.user}
    assert all(e.edc_client_address for e in recorded)
    # The server's clock of each statement, in order, within the transaction.
    clocks = [e.edc_clock_at for e in recorded]
    assert clocks == sorted(clocks) and started <= clocks[0] and clocks[-1] <= ended
    # One row per event: no context row, no stamp.
    assert _counts() == before


def test_an_event_written_without_a_context_still_carries_the_stamp(app_login, demog):  # noqa: F811
    conn = app_login()
    with conn.transaction():
        conn.execute(*update_weight(demog, "70"))
        txid = conn.execute("SELECT txid_current()").fetchone()[0]
    event = demographics_events().objects.latest("pgh_id")
    assert str(event.weight_kg) == "70.0"
    assert (event.pgh_context_id, event.edc_context) == (None, None)
    assert (event.edc_txid, event.edc_db_role) == (txid, conn.info.user)


def test_a_rolled_back_savepoint_leaves_no_event_and_the_next_carries_the_context(
    app_login,  # noqa: F811
    demog,
    nurse,
):
    context_id = uuid.uuid4()
    who = {"user": nurse.pk, "username": "alice"}
    conn = app_login()
    with conn.transaction():
        conn.execute(*set_context(context_id, who))
        conn.execute("SAVEPOINT s")
        conn.execute(*update_weight(demog, "70"))
        conn.execute("ROLLBACK TO SAVEPOINT s")
        conn.execute(*update_weight(demog, "71"))
        txid = conn.execute("SELECT txid_current()").fetchone()[0]
    event = demographics_events().objects.filter(pgh_context_id=context_id).get()
    assert str(event.weight_kg) == "71.0"
    assert (event.edc_context, event.edc_txid) == (who, txid)


def test_a_context_written_by_pghistorys_own_upsert_is_still_stamped(demog, nurse):
    # Between a migration that re-creates pghistory's upsert and install_guards, the stamp
    # trigger stamps what pghistory's own function writes.
    context_id = uuid.uuid4()
    try:
        Context.install_pgh_attach_context_func()
        assert not attaches_in_row(connection)
        with transaction.atomic(), connection.cursor() as c:
            c.execute(*set_context(context_id, {"user": nurse.pk, "username": "alice"}))
            c.execute(*update_weight(demog, "70"))
            c.execute("SELECT txid_current()")
            (txid,) = c.fetchone()
    finally:
        install_guards(connection)
    assert [s.txid for s in ContextStamp.objects.filter(context_id=context_id)] == [txid]
    # The event carries them too, and install_guards put this project's function back.
    event = demographics_events().objects.filter(pgh_context_id=context_id).get()
    assert event.edc_txid == txid
    assert attaches_in_row(connection)


def test_without_the_columns_pghistorys_upsert_stays(demog):
    """A database migrated back before the columns: the context must still be kept, in its
    row, so pghistory's upsert is installed rather than the id alone."""
    table = demographics_events()._meta.db_table
    with transaction.atomic():
        with connection.cursor() as c:
            c.execute(f'ALTER TABLE "{table}" DROP COLUMN {CONTEXT_COLUMN}')
        install_attach(connection, event_tables())
        assert not attaches_in_row(connection)
        transaction.set_rollback(True)
    assert attaches_in_row(connection)


def test_each_migration_adds_the_columns_before_their_defaults():
    """A volatile default given with the column would be computed for every existing row,
    stamping every old event with the migration's own transaction, clock and role."""
    covered: set[str] = set()
    for name in MIGRATIONS:
        operations = importlib.import_module(name).Migration.operations
        added = [op for op in operations if isinstance(op, migrations.AddField)]
        altered = [op for op in operations if isinstance(op, migrations.AlterField)]
        assert added and len(added) == len(altered) == len(operations) / 2, name
        assert all(op.field.db_default is NOT_PROVIDED and op.field.null for op in added)
        assert all(op.field.db_default is not NOT_PROVIDED for op in altered)
        assert operations.index(altered[0]) > operations.index(added[-1])
        covered |= {f"{name.split('.')[0]}.{op.model_name}" for op in added}
    # Every event model of the time (an event model added later gets the columns with its
    # table, which has no old events: test_every_event_table_has_the_columns... checks them).
    expected = {f"{m._meta.app_label}.{m._meta.model_name}" for m in event_models()}
    assert covered <= expected and len(covered) == 50
    columns = {f.name for f in TrailEvent._meta.fields} - {"pgh_id", "pgh_created_at", "pgh_label"}
    assert columns == set(trail_context.TRAIL_COLUMNS)


def test_every_event_table_has_the_columns_with_their_defaults(db):
    with connection.cursor() as c:
        c.execute(
            "SELECT table_name, column_name, column_default FROM information_schema.columns "
            "WHERE column_name = ANY(%s)",
            [list(trail_context.TRAIL_COLUMNS)],
        )
        found = {(t, col): default for t, col, default in c.fetchall()}
    for model in event_models():
        for column in trail_context.TRAIL_COLUMNS:
            assert found.get((model._meta.db_table, column)), (model._meta.db_table, column)


def _an_older_event(demog, nurse) -> tuple:
    """An event as written before the columns existed: no context nor stamp of its own, a
    context row and its stamp beside it (written here as the owner, as pghistory's upsert
    and the stamp trigger wrote them)."""
    table = demographics_events()._meta.db_table
    context = Context.objects.create(
        id=uuid.uuid4(),
        metadata={"user": nurse.pk, "username": "alice", "reason": "older reason"},
    )
    at = datetime.now(UTC) - timedelta(days=400)
    stamp = ContextStamp.objects.filter(context_id=context.pk).get()
    own = {
        "pgh_created_at": "%(at)s",
        "pgh_context_id": "%(context)s",
        "weight_kg": "58",
        **{column: "NULL" for column in trail_context.TRAIL_COLUMNS},
    }
    columns = [
        f.column for f in demographics_events()._meta.concrete_fields if f.column != "pgh_id"
    ]
    values = ", ".join(own.get(column, f'"{column}"') for column in columns)
    with connection.cursor() as c:
        c.execute(
            f'INSERT INTO "{table}" ({", ".join(columns)}) SELECT {values} FROM "{table}" '
            "ORDER BY pgh_id LIMIT 1 RETURNING pgh_id",
            {"at": at, "context": context.pk},
        )
        (pgh_id,) = c.fetchone()
        c.execute(
            "UPDATE trial_contextstamp SET transaction_started_at = %s WHERE id = %s",
            [at, stamp.pk],
        )
    return table, pgh_id, stamp


def test_an_older_event_reads_its_context_row_and_stamp(demog, nurse):
    # The stamp's own guard refuses an UPDATE: lifted for this setup only, as the owner.
    with connection.cursor() as c:
        c.execute("ALTER TABLE trial_contextstamp DISABLE TRIGGER USER")
    try:
        table, pgh_id, stamp = _an_older_event(demog, nurse)
    finally:
        with connection.cursor() as c:
            c.execute("ALTER TABLE trial_contextstamp ENABLE TRIGGER USER")
    event = demographics_events().objects.select_related("pgh_context").get(pgh_id=pgh_id)
    assert event.edc_context is None
    assert history._context(event)["reason"] == "older reason"
    assert trail_context.metadata_of_events([(table, pgh_id)]) == {
        (table, pgh_id): {"user": nurse.pk, "username": "alice", "reason": "older reason"}
    }
    out = io.StringIO()
    audit_csv.write(Scope(), out)
    rows = [
        r
        for r in csv.DictReader(io.StringIO(out.getvalue()))
        if r["audit_event"] == f"{table}:{pgh_id}"
    ]
    assert rows and {(r["reason"], r["db_role"], r["db_transaction"]) for r in rows} == {
        ("older reason", stamp.db_role, str(stamp.txid))
    }
    actions.file_review_ledger()
    entry = AuditEntry.objects.get(event_table=table, pgh_id=pgh_id, item="weight_kg")
    assert (entry.username, entry.user_id) == ("alice", nurse.pk)


def test_the_event_tables_keep_one_index_that_leads_with_the_object(db):
    with connection.cursor() as c:
        for source in sources():
            c.execute(
                "SELECT array_agg(a.attname ORDER BY k.n) FROM pg_index x "
                "CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) "
                "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum "
                "WHERE x.indrelid = %s::regclass GROUP BY x.indexrelid",
                [source.event_table],
            )
            leading = [cols for (cols,) in c.fetchall() if cols[0] == "pgh_obj_id"]
            assert leading == [["pgh_obj_id", "pgh_id"]], source.event_table


def test_installing_again_leaves_the_indexes_as_they_are(db):
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'")
        (before,) = c.fetchone()
        ledger.install_ledger(connection)
        c.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'")
        assert c.fetchone() == (before,)
