"""The review ledger off the save path: a save only queues its audit events; the worker and
every reader of the ledger file the queue, in order, and a filing cut short leaves it queued
for the next one (trial/ledger.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse

from eligibility.models import Demographics
from tests.audit.conftest import save_demographics
from tests.conftest import PASSWORD
from trial import actions, tasks
from trial.history import event_model_for
from trial.ledger import install_ledger
from trial.models import AuditEntry, LedgerQueue


class Crash(Exception):
    """The filing's process dies before its transaction commits."""


def changes(row):
    return AuditEntry.objects.filter(row=row, kind="item", label="update")


def test_a_save_queues_its_events_and_files_nothing(demog, nurse):
    actions.file_review_ledger()
    save_demographics(nurse, demog, reason="typo on the scale", weight_kg="62.5")
    assert not changes(demog).exists()
    queued = list(LedgerQueue.objects.order_by("id"))
    assert queued and all(batch.ids and batch.filer.startswith("edc_review_") for batch in queued)
    assert actions.file_review_ledger() == len(queued)
    (change,) = changes(demog)
    assert (change.item, change.old_value, change.new_value) == ("weight_kg", "61.5", "62.5")
    assert not LedgerQueue.objects.exists()
    assert actions.file_review_ledger() == 0  # nothing filed twice
    assert changes(demog).count() == 1


def test_the_review_page_shows_a_change_at_its_next_read(demog, nurse, monitor, client):
    save_demographics(nurse, demog, reason="typo on the scale", weight_kg="62.5")
    client.force_login(monitor)
    page = client.get(
        reverse("audit_review"), {"form": "DEMOG", "item": "weight_kg", "kind": "update"}
    )
    text = page.content.decode()
    assert text.count("data-entry=") == 1 and "typo on the scale" in text and "62.5" in text
    assert not LedgerQueue.objects.exists()


def test_a_filing_cut_short_is_filed_again_on_the_next_run(demog, nurse, monitor, client):
    save_demographics(nurse, demog, reason="first", weight_kg="62.5")
    save_demographics(nurse, demog, reason="second", weight_kg="63.5")
    queued = LedgerQueue.objects.count()
    # The worker files the queue, then dies before its transaction commits: nothing of its
    # work stays, neither entries nor the queue's deletions.
    with pytest.raises(Crash), transaction.atomic():
        assert actions.file_review_ledger() == queued
        assert changes(demog).count() == 2
        raise Crash
    assert not changes(demog).exists()
    assert LedgerQueue.objects.count() == queued
    # The worker's next run (after its restart) files it all, once and in order.
    assert tasks.file_review_ledger() == queued
    assert [(c.old_value, c.new_value) for c in changes(demog).order_by("id")] == [
        ("61.5", "62.5"),
        ("62.5", "63.5"),
    ]
    assert [c.corrections for c in changes(demog).order_by("id")] == [1, 2]
    # And a reader finds nothing left to file.
    client.force_login(monitor)
    assert client.get(reverse("audit_review")).status_code == 200
    assert changes(demog).count() == 2 and not LedgerQueue.objects.exists()


def append_heights(row, heights: list[str]) -> None:
    """Append one Demographics update event per height in ONE statement (one batch), as
    the database owner, like a bulk load."""
    events = event_model_for(Demographics)
    table = events._meta.db_table
    columns = [f.column for f in events._meta.concrete_fields if f.column != "pgh_id"]
    chosen = {"pgh_label": "'update'", "pgh_created_at": "now()", "height_cm": "h.height"}
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(chosen.get(c, f'e.{c}') for c in columns)} "
            f"FROM (SELECT * FROM {table} WHERE form_status_id = %s ORDER BY pgh_id DESC "
            f"LIMIT 1) e CROSS JOIN unnest(%s::numeric[]) WITH ORDINALITY AS h(height, n) "
            f"ORDER BY h.n",
            [row.pk, heights],
        )


def ledger() -> list[dict]:
    return list(AuditEntry.objects.order_by("id").values())


def content(entries: list[dict]) -> dict:
    """The entries by event and item, with everything but their id."""
    return {
        (e["event_table"], e["pgh_id"], e["item"]): {k: v for k, v in e.items() if k != "id"}
        for e in entries
    }


def test_a_long_queue_filed_in_one_call_equals_its_batches_filed_one_by_one(
    demog, nurse, monitor, investigator, test_kind, tls_participant, tls_nurse
):
    install_ledger(connection)  # the test-only kind registered after migrate: cover it too
    actions.verify_items(monitor, demog, ["weight_kg", "height_cm"])  # files the queue so far
    tls_demog = save_demographics(tls_nurse, tls_participant.forms.get(form="DEMOG"))
    # Batches of several tables, interleaved: data, form statuses, a signature, an adverse
    # event, two participants; then one statement with three corrections of one item.
    for n, weight in enumerate(["62", "63", "64", "65"]):
        save_demographics(nurse, demog, reason=f"scale {n}", weight_kg=weight)
        save_demographics(tls_nurse, tls_demog, reason=f"scale {n}", height_cm=str(170 + n))
        if n == 1:
            actions.sign(investigator, PASSWORD, demog.participant, kind=test_kind, meaning="ok")
            actions.add_repeat(nurse, demog.participant, "AE", {}, complete=False)
    append_heights(demog, ["150", "151", "152"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, filer, ids, queued_at FROM trial_auditqueue ORDER BY id")
        batches = cursor.fetchall()
    runs = [b[1] for n, b in enumerate(batches) if n == 0 or b[1] != batches[n - 1][1]]
    assert len(runs) > len(set(runs)) >= 4  # tables come back after others
    before = ledger()

    with transaction.atomic():
        assert actions.file_review_ledger() == len(batches)
        at_once = ledger()[len(before) :]
        transaction.set_rollback(True)
    assert ledger() == before and LedgerQueue.objects.count() == len(batches)

    # The same queue, one batch per call; each batch's entries say which batch they are.
    batch_of = {}
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM trial_auditqueue")
        for batch in batches:
            cursor.execute(
                "INSERT INTO trial_auditqueue (id, filer, ids, queued_at) VALUES (%s, %s, %s, %s)",
                batch,
            )
            filed = len(ledger())
            assert actions.file_review_ledger() == 1
            batch_of |= {(e["event_table"], e["pgh_id"]): batch[0] for e in ledger()[filed:]}
    one_by_one = ledger()[len(before) :]

    assert content(at_once) == content(one_by_one)
    # What the comparison covers: every flag the filing computes, on some entry.
    for flag in ("after_sdv", "after_signature", "often_changed"):
        assert any(e[flag] for e in at_once) and not all(e[flag] for e in at_once), flag
    assert {e["corrections"] for e in at_once} >= {1, 2, 3, 4}
    # Between batches, the one call's ids follow the queue.
    order = [batch_of[(e["event_table"], e["pgh_id"])] for e in at_once]
    assert order == sorted(order) and len(set(order)) == len(batches)


def test_a_change_rolled_back_is_never_queued(demog, nurse):
    actions.file_review_ledger()
    with pytest.raises(Crash), transaction.atomic():
        save_demographics(nurse, demog, reason="abandoned", weight_kg="70")
        assert LedgerQueue.objects.exists()
        raise Crash
    assert not LedgerQueue.objects.exists()
    actions.file_review_ledger()
    assert not changes(demog).exists()


def test_the_worker_files_the_queue_every_second():
    (entry,) = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "trial.tasks.file_review_ledger"
    ]
    assert entry["schedule"] <= 1.0


def test_the_application_cannot_file_a_batch_by_hand(demog):
    # The per-table filing functions are the owner's: only edc_review_file() calls them.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') "
            "FROM pg_proc p WHERE p.proname LIKE 'edc_review_%%' AND p.pronargs > 0"
        )
        filers = cursor.fetchall()
    assert len(filers) > 10 and not any(executable for _, executable in filers)
