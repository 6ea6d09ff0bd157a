"""Pages that list things run a fixed number of queries, whatever the data volume."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trial import actions, views
from trial.models import FormState


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_participant_list_queries_do_not_grow_with_participants(
    nurse_client, nurse, bdx, monkeypatch
):
    actions.register_participant(nurse, bdx, date(2026, 1, 5))
    few = count_queries(nurse_client, reverse("participant_list"))
    for day in range(6, 26):
        actions.register_participant(nurse, bdx, date(2026, 1, day))
    many = count_queries(nurse_client, reverse("participant_list"))
    assert few == many
    # Session, the user with its roles; one keyset page of participants (never counted) with
    # each one's events to do and open-query count; signatures to redo; the queries to answer.
    assert many == 5  # was 8
    # The last page, a search by code and one by status cost the same.
    monkeypatch.setattr(views, "PAGE_SIZE", 7)
    for query in ("?before=ZZZ", "?q=BDX-01", "?status=screening", "?after=BDX-003"):
        assert count_queries(nurse_client, reverse("participant_list") + query) == 5


def test_participant_page_queries_do_not_grow_with_forms(nurse_client, nurse, participant):
    url = reverse("participant_detail", args=[participant.code])
    few = count_queries(nurse_client, url)
    participant.status = "follow_up"
    participant.gate_decision = "proceed"
    participant.event_dates = {"SCR": "2026-03-02", "C4": "2026-04-01", "IAH": "2026-05-27"}
    participant.save()
    actions.ensure_expected_forms(participant)
    for number in range(5):
        actions.add_repeat(nurse, participant, "AE", {"term": "Nausea", "grade": 1 + number % 3})
    participant.forms.update(status=FormState.COMPLETE)
    assert participant.forms.count() > 50
    many = count_queries(nurse_client, url)
    assert few == many
    # Session, the user with its roles; the participant, its forms, its current signatures,
    # its open queries, the adverse-event panel.
    assert many == 7  # was 8
