"""The audit context attached once per transaction (trial/attach.py): every event still
carries it, every transaction still leaves its stamp, and the mark that saves the upsert
cannot be used to skip either."""

from __future__ import annotations

import uuid

from django.db import connection, transaction
from pghistory.models import Context

from tests.audit.test_production_role import (  # noqa: F401 - pytest fixtures
    app_login,
    demographics_events,
    set_context,
    update_weight,
)
from trial import ledger
from trial.attach import ATTACHED
from trial.exports.common import sources
from trial.guards import install_guards
from trial.models import ContextStamp


def _stamps(context_id: uuid.UUID) -> list[ContextStamp]:
    return list(ContextStamp.objects.filter(context_id=context_id).order_by("pk"))


def test_a_transaction_of_many_rows_attaches_its_context_once(app_login, demog, nurse):  # noqa: F811
    events = demographics_events()
    context_id = uuid.uuid4()
    who = {"user": nurse.pk, "username": "alice", "reason": "transcription error"}
    conn = app_login()
    with conn.transaction():
        conn.execute(*set_context(context_id, who))
        for weight in ("70", "71", "72"):
            conn.execute(*update_weight(demog, weight))
        # Marked after the first row: the next ones only checked the mark and the stamp.
        mark = conn.execute("SELECT current_setting(%s, true)", [ATTACHED]).fetchone()[0]
        txid = conn.execute("SELECT txid_current()").fetchone()[0]
    assert mark.startswith(str(context_id))
    recorded = list(events.objects.filter(pgh_context_id=context_id).order_by("pgh_id"))
    assert [str(e.weight_kg) for e in recorded] == ["70.0", "71.0", "72.0"]
    assert Context.objects.get(pk=context_id).metadata == who
    assert [s.txid for s in _stamps(context_id)] == [txid]


def test_a_reason_added_within_the_transaction_still_reaches_the_context(
    app_login,  # noqa: F811
    demog,
    nurse,
):
    context_id = uuid.uuid4()
    who = {"user": nurse.pk, "username": "alice"}
    conn = app_login()
    with conn.transaction():
        conn.execute(*set_context(context_id, who))
        conn.execute(*update_weight(demog, "70"))
        conn.execute(*set_context(context_id, {**who, "reason": "transcription error"}))
        conn.execute(*update_weight(demog, "71"))
    assert Context.objects.get(pk=context_id).metadata["reason"] == "transcription error"
    assert len(_stamps(context_id)) == 1


def test_a_mark_set_by_hand_does_not_skip_the_context_nor_its_stamp(app_login, demog, nurse):  # noqa: F811
    context_id = uuid.uuid4()
    who = {"user": nurse.pk, "username": "alice"}
    sql, params = set_context(context_id, who)
    conn = app_login()
    with conn.transaction():
        conn.execute(sql, params)
        # The mark the upsert would leave, forged before any row was written.
        conn.execute("SELECT set_config(%s, %s, true)", [ATTACHED, params[0] + params[1]])
        conn.execute(*update_weight(demog, "70"))
        txid = conn.execute("SELECT txid_current()").fetchone()[0]
    assert Context.objects.get(pk=context_id).metadata == who
    (stamp,) = _stamps(context_id)
    assert (stamp.txid, stamp.db_role) == (txid, conn.info.user)


def test_a_mark_kept_past_a_rolled_back_savepoint_does_not_skip_the_stamp(
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
        mark = conn.execute("SELECT current_setting(%s)", [ATTACHED]).fetchone()[0]
        # The savepoint's attach (context, stamp and mark) is undone; the mark is put back.
        conn.execute("ROLLBACK TO SAVEPOINT s")
        conn.execute("SELECT set_config(%s, %s, true)", [ATTACHED, mark])
        conn.execute(*update_weight(demog, "71"))
        txid = conn.execute("SELECT txid_current()").fetchone()[0]
    event = demographics_events().objects.filter(pgh_context_id=context_id).get()
    assert str(event.weight_kg) == "71.0"
    assert Context.objects.get(pk=context_id).metadata == who
    assert [s.txid for s in _stamps(context_id)] == [txid]


def test_a_context_written_by_another_upsert_is_still_stamped(demog, nurse):
    # Between a migration that re-creates pghistory's upsert and install_guards, the stamp
    # trigger stamps what pghistory's own function writes.
    context_id = uuid.uuid4()
    try:
        Context.install_pgh_attach_context_func()
        with transaction.atomic(), connection.cursor() as c:
            c.execute(*set_context(context_id, {"user": nurse.pk, "username": "alice"}))
            c.execute(*update_weight(demog, "70"))
            c.execute("SELECT txid_current()")
            (txid,) = c.fetchone()
    finally:
        install_guards(connection)
    assert [s.txid for s in _stamps(context_id)] == [txid]
    with connection.cursor() as c:
        c.execute("SELECT prosrc FROM pg_proc WHERE proname = '_pgh_attach_context'")
        assert ATTACHED in c.fetchone()[0]


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
