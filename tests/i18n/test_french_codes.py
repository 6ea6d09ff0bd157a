"""Codes the database keeps in English (reasons for change, item codes, statuses...) are
shown by their French labels on the pages rendered in French (issue 25)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.urls import reverse

from tests.i18n.english import visible_text
from tests.i18n.test_french_pages import client_in
from trial.models import Query


def _corrected_query() -> Query:
    """The demo's query on a weight, answered by a correction (trial.demo_monitoring)."""
    return Query.objects.select_related("row", "participant").get(
        participant__site__code="BDX", item="weight_kg"
    )


def _text(html: str) -> str:
    return " | ".join(visible_text(html)[0])


def _form_url(name: str, query: Query) -> str:
    row = query.row
    return reverse(
        name,
        kwargs={
            "code": query.participant.code,
            "event": row.event,
            "form": row.form,
            "repeat": row.repeat,
        },
    )


def test_reasons_for_change_are_shown_in_french(demo):
    query = _corrected_query()
    investigator = client_in("fr", User.objects.get(username="investigator"))
    monitor = client_in("fr", User.objects.get(username="monitor"))
    review = {"participant": query.participant.code, "form": query.row.form}
    pages = {
        "history": investigator.get(_form_url("crf_history", query)),
        "query": investigator.get(f"/p/{query.participant.code}/queries/{query.pk}/"),
        "review": monitor.get("/review/", review),
    }
    texts = {}
    for name, response in pages.items():
        assert response.status_code == 200, name
        texts[name] = _text(response.content.decode())
        assert f"Donnée clarifiée par la requête Q{query.pk}" in texts[name], name
    for name in ("history", "review"):
        assert "Erreur de transcription" in texts[name], name
        assert "transcription error" not in texts[name], name
    assert "data clarified by query" not in texts["history"]
    assert "data clarified by query" not in texts["query"]
    # Once on the review page: the query message's own text, a value the trail shows as
    # stored; never as a reason for change.
    assert texts["review"].count("data clarified by query") == 1


def test_the_whole_form_is_offered_in_french(demo):
    query = _corrected_query()
    monitor = client_in("fr", User.objects.get(username="monitor"))
    response = monitor.get(_form_url("query_raise", query))
    assert response.status_code == 200
    text = _text(response.content.decode())
    assert "Le formulaire entier" in text
    assert "The whole form" not in text


def test_the_query_lists_name_items_by_their_labels(demo):
    """The site's queries to answer (participant list) and a participant's open queries."""
    investigator = client_in("fr", User.objects.get(username="investigator"))
    answered = _corrected_query()
    to_answer = Query.objects.select_related("participant").get(
        participant__site__code="BDX", item="height_cm"
    )
    pages = {
        "list": investigator.get("/"),
        "answered": investigator.get(f"/p/{answered.participant.code}/"),
        "to answer": investigator.get(f"/p/{to_answer.participant.code}/"),
    }
    texts = {name: _text(response.content.decode()) for name, response in pages.items()}
    assert "Données démographiques · Taille (cm)" in texts["list"]
    assert "Données démographiques · Poids (kg) · Répondue" in texts["answered"]
    assert "Données démographiques · Taille (cm)" in texts["to answer"]
    for name, text in texts.items():
        assert "weight_kg" not in text and "height_cm" not in text, name


def test_the_audit_review_shows_labels_not_codes(demo):
    """A form status's field and value, and a yes/no item, by their French words."""
    monitor = client_in("fr", User.objects.get(username="monitor"))
    query = _corrected_query()
    response = monitor.get("/review/", {"participant": query.participant.code})
    assert response.status_code == 200
    html = response.content.decode()
    cells = [" | ".join(visible_text(row)[0]) for row in html.split("<tr")[1:]]
    status = [c for c in cells if "Statut du formulaire" in c and "Statut" in c]
    assert status and all("not_started" not in c for c in status), status[:2]
    assert any("Non commencé" in c for c in status), status[:2]
    assert all(" | false | " not in c and " | true | " not in c for c in cells)
    assert any(" | Non | " in c or " | Oui | " in c for c in cells)


def test_the_to_do_card_says_nothing_is_due_only_when_it_lists_nothing(demo):
    """An empty state and its list read the same list: "Rien à faire." never above items."""
    checked = 0
    for username in ("nurse", "nurse2", "investigator"):
        client = client_in("fr", User.objects.get(username=username))
        html = client.get("/todo/").content.decode()
        items = html.count("data-kind=")
        empty = "Rien à faire." in _text(html)
        assert items == 0 or not empty, (username, items)
        assert items > 0 or empty, username
        checked += items
    assert checked, "no to-do item in the demo: the check would prove nothing"
