"""Queries (data clarification): raised by a monitor on an item, seen by the site in four
places, answered or corrected, closed or sent back; every message audited."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.urls import reverse

from tests.audit.conftest import DEMOG, crf_url, save_demographics
from trial import actions
from trial.models import Query, QueryMessage, QueryState


@pytest.fixture
def saved_demog(participant, nurse):
    return save_demographics(nurse, participant.forms.get(form="DEMOG"))


def test_the_query_life_cycle_with_changed_since_raised(
    saved_demog, nurse, monitor, client, nurse_client
):
    query = actions.open_query(monitor, saved_demog, item="weight_kg", text="Weight 61.5 kg?")
    assert (query.state, query.value_when_raised) == (QueryState.OPEN, "61.5")
    answered = actions.answer_query(nurse, query, text="Checked the source: 61.5 is right.")
    assert answered.state == QueryState.ANSWERED
    again = actions.reopen_query(monitor, query, text="The source says 65.1.")
    assert again.state == QueryState.OPEN
    # The nurse corrects the value from the query: the reason names the query.
    url = crf_url(saved_demog) + f"?query={query.pk}"
    page = nurse_client.get(url).content.decode()
    assert 'data-testid="answering"' in page and 'data-query="open"' in page
    posted = {f"crf-{k}": v for k, v in {**DEMOG, "weight_kg": "65.1"}.items()}
    response = nurse_client.post(url, {"version": "1", **posted})
    assert response.status_code == 302, response.context["form"].errors
    query.refresh_from_db()
    assert query.state == QueryState.ANSWERED
    kinds = list(query.messages.values_list("kind", flat=True))
    assert kinds == ["raised", "answered", "reopened", "corrected"]
    from eligibility.models import DemographicsEvent

    change = DemographicsEvent.objects.filter(form_status_id=saved_demog.pk).latest("pgh_id")
    assert change.edc_context["reason"] == f"data clarified by query #{query.pk}"
    client.force_login(monitor)
    detail = client.get(reverse("query_detail", args=[saved_demog.participant.code, query.pk]))
    text = detail.content.decode()
    assert 'data-testid="changed-since"' in text
    assert "61.5" in text and "65.1" in text
    closed = actions.close_query(monitor, query)
    assert closed.state == QueryState.CLOSED and closed.closed_at is not None
    with pytest.raises(actions.ActionRefused, match="closed"):
        actions.answer_query(nurse, query, text="late")


def test_the_site_sees_an_open_query_in_four_places(saved_demog, monitor, nurse_client):
    code = saved_demog.participant.code
    query = actions.open_query(monitor, saved_demog, item="weight_kg", text="Please check.")
    on_item = nurse_client.get(crf_url(saved_demog)).content.decode()
    assert 'data-query="open"' in on_item and f"Q{query.pk}" in on_item
    participant_page = nurse_client.get(reverse("participant_detail", args=[code])).content
    assert b'data-testid="participant-queries"' in participant_page
    listing = nurse_client.get(reverse("participant_list")).content.decode()
    count = listing[listing.index('data-testid="open-queries"') :][:80]
    assert ">1<" in count
    assert 'data-testid="queries-to-answer"' in listing


def test_a_query_on_a_locked_form_can_be_answered_but_not_corrected(
    saved_demog, monitor, nurse, data_manager
):
    query = actions.open_query(monitor, saved_demog, item="height_cm", text="Height?")
    actions.lock_form(data_manager, saved_demog, reason="database freeze")
    actions.answer_query(nurse, query, text="Right as entered.")
    with pytest.raises(actions.Locked):
        save_demographics(nurse, saved_demog, reason="", height_cm="170")


def test_who_may_do_what_with_queries(saved_demog, monitor, nurse, tls_nurse, client):
    with pytest.raises(actions.ActionRefused):
        actions.open_query(nurse, saved_demog, item="", text="Nurses answer, they do not ask.")
    query = actions.open_query(monitor, saved_demog, item="", text="Whole form: source?")
    with pytest.raises(actions.ActionRefused):
        actions.answer_query(monitor, query, text="A monitor does not answer.")
    with pytest.raises(actions.ActionRefused):
        actions.answer_query(tls_nurse, query, text="Another site.")
    with pytest.raises(actions.ActionRefused, match="no such item"):
        actions.open_query(monitor, saved_demog, item="shoe_size", text="?")
    client.force_login(tls_nurse)
    url = reverse("query_detail", args=[saved_demog.participant.code, query.pk])
    assert client.get(url).status_code == 404


def test_query_text_is_plain_text(saved_demog, monitor, client):
    query = actions.open_query(
        monitor, saved_demog, item="weight_kg", text="<script>alert(1)</script> & <b>x</b>"
    )
    client.force_login(monitor)
    page = client.get(reverse("query_detail", args=[saved_demog.participant.code, query.pk]))
    text = page.content.decode()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;" in text


def test_raising_a_query_through_the_page_and_messages_are_audited(saved_demog, monitor, client):
    client.force_login(monitor)
    code = saved_demog.participant.code
    url = reverse("query_raise", args=[code, "SCR", "DEMOG", 1])
    empty = client.post(url, {"item": "weight_kg", "text": ""})
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()
    response = client.post(url, {"item": "weight_kg", "text": "Weight?"})
    assert response.status_code == 302
    query = Query.objects.get()
    message = QueryMessage.objects.get(query=query)
    event = message.events.get()
    assert event.edc_context["command"] == "open_query"
    assert event.edc_context["username"] == "mona"
    with pytest.raises(DatabaseError, match="Cannot update or delete"):  # append-only
        QueryMessage.objects.filter(pk=message.pk).update(text="rewritten")
