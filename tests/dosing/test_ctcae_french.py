"""CTCAE terms for a French user: "French (English)" on the pages, English stored and exported."""

from django.template.loader import render_to_string
from django.utils import translation

from dosing import ctcae
from dosing.models import AdverseEvent
from dosing.templatetags.dosing_tags import ae_panel_context
from tests.dosing.conftest import save
from tests.dosing.test_ae_cm_forms import ae
from trial import actions
from trial import crf as crf_registry


def reading(client, user, language: str):
    """The client of `user` reading in `language`: their profile choice, taken at login."""
    actions.set_language(user, language)
    client.force_login(user)
    return client


def test_the_search_shows_both_names_to_a_french_user_and_matches_french_words(client, nurse):
    # A request's language is the user's (trial.languages), not the test's.
    page = (
        reading(client, nurse, "fr")
        .get("/dosing/ctcae/search/", {"crf-term": "diminution plaquettes"})
        .content.decode()
    )
    # CTCAE's official English beside the French name, marked for screen readers.
    assert (
        'Diminution du nombre de plaquettes (<span lang="en">Platelet count decreased</span>)'
        in page
    )
    assert "crf-term=Platelet%20count%20decreased" in page  # the pick sends the English term
    assert "Investigations" in page


def test_the_search_stays_english_for_an_english_user(client, nurse):
    nurse_client = reading(client, nurse, "en")
    page = nurse_client.get("/dosing/ctcae/search/", {"crf-term": "platelet"}).content.decode()
    assert "Platelet count decreased" in page
    assert "plaquettes" not in page
    page = nurse_client.get("/dosing/ctcae/search/", {"crf-term": "plaquettes"}).content.decode()
    assert "Platelet count decreased" not in page


def test_the_ae_card_shows_both_names_and_the_stored_and_exported_term_stays_english(
    nurse, participant
):
    with translation.override("fr"):
        saved = save(nurse, participant, "LOG", "AE", ae(term="Nausées"))
        html = render_to_string(
            "dosing/_ae_summary.html",
            {**ae_panel_context(participant, nurse), "participant": participant},
        )
    assert 'Nausées (<span lang="en">Nausea</span>)' in html
    stored = AdverseEvent.objects.get(pk=saved.pk)
    assert (stored.term, stored.soc, stored.meddra_code) == (
        "Nausea",
        "Gastrointestinal disorders",
        10028813,
    )
    exported = crf_registry.snapshot([stored.form_status])[stored.form_status_id]
    assert exported["term"] == "Nausea"
    with translation.override("en"):
        html = render_to_string(
            "dosing/_ae_summary.html",
            {**ae_panel_context(participant, nurse), "participant": participant},
        )
    assert "Nausea" in html and "Nausées" not in html


def test_the_chosen_term_shows_its_french_name_and_soc_but_keeps_the_english_value(client, nurse):
    page = (
        reading(client, nurse, "fr")
        .get("/dosing/ctcae/term/", {"crf-term": "Nausea", "crf-grade": "2"})
        .content.decode()
    )
    assert 'value="Nausea"' in page  # what is stored
    assert 'data-testid="ae-term-display"' in page
    assert 'Nausées (<span lang="en">Nausea</span>)' in page
    assert "Affections gastro-intestinales" in page
    english = (
        reading(client, nurse, "en")
        .get("/dosing/ctcae/term/", {"crf-term": "Nausea"})
        .content.decode()
    )
    assert 'data-testid="ae-term-display"' not in english
    assert "Gastrointestinal disorders" in english


def test_a_term_without_french_shows_in_english_alone(client, nurse, monkeypatch):
    names, socs = ctcae._french()
    code = ctcae.get("Eye disorders - Other, specify").code
    partial = {c: name for c, name in names.items() if c != code}
    monkeypatch.setattr(ctcae, "_french", lambda: (partial, socs))
    page = (
        reading(client, nurse, "fr")
        .get("/dosing/ctcae/search/", {"crf-term": "Eye disorders - Other"})
        .content.decode()
    )
    assert '<span><span lang="en">Eye disorders - Other, specify</span></span>' in page
    assert "Affections oculaires" in page  # its SOC still has a French name
