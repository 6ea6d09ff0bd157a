"""seed_demo --jobs: participants filled by worker processes give the demo of one process."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.conftest import _clone_database, _connected_to, _drop_database
from trial import crf
from trial.models import FormStatus, Participant, Signature

PARTICIPANTS = 24  # the showcase's 12 and a spread with follow-up, ended and IAH stages


def _demo(jobs: int) -> dict[str, Any]:
    """Everything a reader sees of each participant, by code: journey, every form's state
    and values (item groups included), signatures."""
    call_command("seed_demo", participants=PARTICIPANTS, seed=11, jobs=jobs, verbosity=0)
    seen: dict[str, Any] = {}
    for participant in Participant.objects.order_by("code"):
        rows = list(participant.forms.order_by("event", "form", "repeat"))
        values = crf.snapshot(rows)
        seen[participant.code] = {
            "journey": (
                participant.status,
                participant.event_dates,
                participant.gate_decision,
                participant.enrolment_date,
            ),
            "forms": [
                (row.event, row.form, row.repeat, row.status, row.version, values.get(row.pk))
                for row in rows
            ],
            "signatures": sorted(
                (s.kind, s.meaning, s.row.form if s.row_id else "")
                for s in Signature.objects.filter(participant=participant)
            ),
        }
    return seen


def test_workers_fill_the_same_demo_as_one_process(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        own = connection.settings_dict["NAME"]
        demos = {}
        for jobs in (1, 2):
            name = f"{own}_jobs{jobs}"
            _clone_database(own, name)
            try:
                with _connected_to(name):
                    demos[jobs] = _demo(jobs)
                    # The workers wrote: the rows are theirs, not this process's.
                    entered = FormStatus.objects.filter(first_saved_by__isnull=False).count()
            finally:
                _drop_database(name)
            assert entered > 100
    one, two = demos[1], demos[2]
    assert len(one) == PARTICIPANTS
    # The spread reached follow-up imaging and an early end: values that were "in turn".
    recist = [v for p in one.values() for *_, v in p["forms"] if v and "target_response" in v]
    assert {v["target_response"] for v in recist} >= {"PR", "PD"}
    assert one == two


def test_jobs_out_of_range_are_refused(db):
    with pytest.raises(CommandError, match="--jobs must be between 1 and 8"):
        call_command("seed_demo", participants=1, jobs=0)


def test_in_a_transaction_the_command_fills_in_process(db):
    # Workers could not see this test's transaction; asked for two, it fills here.
    call_command("seed_demo", participants=3, jobs=2, verbosity=0)
    assert Participant.objects.count() == 3
    assert FormStatus.objects.filter(participant__code="BDX-001").exists()


def test_the_workers_are_given_the_servers_this_process_uses(db, monkeypatch):
    # Without the URLs a worker's settings would attach to the private servers themselves
    # (trial.embedded), whose shared record of processes is not safe for several at once.
    import dj_database_url
    from django.conf import settings

    from trial import demo_worker

    monkeypatch.delenv("DATABASE_URL", raising=False)
    urls = demo_worker._server_urls()
    parsed = dj_database_url.parse(urls["DATABASE_URL"])
    mine = connection.settings_dict

    def server(database: dict) -> tuple:
        socket = database["HOST"] or database["OPTIONS"].get("host")
        return socket, database["NAME"], database["USER"]

    assert server(parsed) == server(mine) and server(mine)[0]
    assert urls["REDIS_URL"] == settings.REDIS_URL
