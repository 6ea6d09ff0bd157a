"""The review ledger off the save path: a save only queues its audit events; the worker and
every reader of the ledger file the queue, in order, and a filing cut short leaves it queued
for the next one (trial/ledger.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse

from tests.audit.conftest import save_demographics
from trial import actions, tasks
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
            "SELECT p.proname FROM pg_proc p WHERE p.proname LIKE 'edc_review_%%' "
            "AND p.pronargs = 2 AND has_function_privilege('public', p.oid, 'EXECUTE')"
        )
        assert cursor.fetchall() == []
