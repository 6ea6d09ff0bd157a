"""The participant list's to-do: the open queries of the reader's own sites, oldest first,
read by one hand-written query (trial/queries.py, to_answer) and equal to what the ORM's
scope gives for the same user."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.urls import reverse

from tests.audit.conftest import save_demographics
from tests.conftest import make_user
from trial import actions, queries, roles
from trial.models import Query


def _listed(user_client) -> tuple[list[Query], str]:
    response = user_client.get(reverse("participant_list"))
    assert response.status_code == 200
    return response.context["queries_to_answer"], response.content.decode()


def test_the_to_do_lists_the_open_queries_of_the_readers_sites_oldest_first(
    client, participant, tls_participant, nurse, tls_nurse, monitor, tls
):
    tls_monitor = make_user("tom", roles.MONITOR, tls)
    bdx_row = save_demographics(nurse, participant.forms.get(form="DEMOG"))
    tls_row = save_demographics(tls_nurse, tls_participant.forms.get(form="DEMOG"))
    later = actions.open_query(monitor, bdx_row, item="weight_kg", text="Weight?")
    first = actions.open_query(monitor, bdx_row, item="height_cm", text="Height?")
    answered = actions.open_query(monitor, bdx_row, item="sex", text="Sex?")
    actions.answer_query(nurse, answered, text="As in the source.")
    closed = actions.open_query(monitor, bdx_row, item="birth_date", text="Date?")
    actions.close_query(monitor, closed, text="Fine.")
    elsewhere = actions.open_query(tls_monitor, tls_row, item="weight_kg", text="Weight?")
    # Oldest first by when each was opened, not by id: the first one raised is moved later.
    Query.objects.filter(pk=later.pk).update(opened_at=first.opened_at + timedelta(hours=1))

    client.force_login(nurse)
    shown, html = _listed(client)
    assert [q.pk for q in shown] == [first.pk, later.pk]
    assert [(q.row.pk, q.participant.code, q.item_label) for q in shown] == [
        (bdx_row.pk, participant.code, "Height (cm)"),
        (bdx_row.pk, participant.code, "Weight (kg)"),
    ]
    for q in shown:
        link = reverse("query_detail", args=[participant.code, q.pk])
        assert f'href="{link}"' in html
    assert "Height (cm)" in html and "Weight (kg)" in html

    # A user read without the sites (not through the login's backend) takes the ORM's way:
    # the same queries, rows and labels.
    plain = User.objects.get(pk=nurse.pk)
    by_orm = queries.to_answer(plain)
    assert [(q.pk, q.row.pk, q.participant.code, q.item_label) for q in by_orm] == [
        (q.pk, q.row.pk, q.participant.code, q.item_label) for q in shown
    ]

    client.force_login(tls_nurse)
    shown, _html = _listed(client)
    assert [q.pk for q in shown] == [elsewhere.pk]
