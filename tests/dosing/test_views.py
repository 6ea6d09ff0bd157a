"""htmx fragments (CTCAE search, term grades, live lab grades) and the pre-filled AE."""

import re
from datetime import date

from dosing.models import AdverseEvent
from tests.dosing.conftest import lab
from trial.models import FormStatus


def checked_grade(page: str) -> str | None:
    found = re.search(r'name="crf-grade" value="(\d)"[^>]*checked', page)
    return found.group(1) if found else None


def test_term_search_lists_matching_terms_with_their_soc(nurse_client):
    response = nurse_client.get("/dosing/ctcae/search/", {"crf-term": "neutroph"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Neutrophil count decreased" in page
    assert "Investigations" in page
    assert page.count('data-testid="ctcae-result"') >= 1
    assert "Nausea" not in page


def test_term_search_says_when_nothing_matches(nurse_client):
    page = nurse_client.get("/dosing/ctcae/search/", {"crf-term": "zzzz"}).content.decode()
    assert "No CTCAE v5 term contains" in page


def test_a_term_typed_in_full_shows_its_grades_at_once(nurse_client):
    page = nurse_client.get("/dosing/ctcae/search/", {"crf-term": "Nausea"}).content.decode()
    assert 'id="ae-term-details" hx-swap-oob="true"' in page
    assert "Gastrointestinal disorders" in page
    assert 'Grade 3: <span lang="en">Inadequate oral caloric' in page


def test_picking_a_term_shows_only_its_grades_and_keeps_the_chosen_one(nurse_client):
    page = nurse_client.get(
        "/dosing/ctcae/term/", {"crf-term": "Fatigue", "crf-grade": "2"}
    ).content.decode()
    assert 'value="Fatigue"' in page
    assert checked_grade(page) == "2"
    assert 'value="4"' not in page  # fatigue has no grade 4
    assert "General disorders and administration site conditions" in page


def test_the_search_needs_a_login(client):
    response = client.get("/dosing/ctcae/search/", {"crf-term": "neutro"})
    assert response.status_code == 302


def test_live_grades_follow_what_is_typed(nurse_client, participant):
    data = {f"crf-{k}": (v.isoformat() if isinstance(v, date) else v) for k, v in lab().items()}
    data.update(
        {
            "crf-neutrophils_entered": "800",
            "crf-neutrophils_unit": "/mm3",
            "crf-neutrophils_lln_entered": "1800",
            "crf-platelets_entered": "abc",
        }
    )
    response = nurse_client.post(f"/dosing/p/{participant.code}/C2/lab-grades/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="grade-neutrophils"' in page and 'data-grade="3"' in page
    assert 'hx-swap-oob="true"' in page
    assert 'id="limit-unit-neutrophils" hx-swap-oob="true">/mm³<' in page
    assert 'data-testid="open-ae-neutrophils"' in page
    assert 'data-testid="grade-platelets" data-grade=""' in page  # not a number: no grade


def test_live_grades_of_another_sites_participant_are_not_found(tls_nurse, client, participant):
    client.force_login(tls_nurse)
    response = client.post(f"/dosing/p/{participant.code}/C2/lab-grades/", {})
    assert response.status_code == 404


def test_a_finding_opens_a_prefilled_adverse_event(nurse_client, participant):
    response = nurse_client.post(
        f"/dosing/p/{participant.code}/ae/from-finding/",
        {"term": "Neutrophil count decreased", "grade": "3", "onset": "2026-03-20"},
    )
    assert response.status_code == 302
    assert not FormStatus.objects.filter(participant=participant, form="AE").exists()
    page = nurse_client.get(response.url).content.decode()
    assert 'value="Neutrophil count decreased"' in page
    assert checked_grade(page) == "3"
    assert 'value="2026-03-20"' in page
    assert "Investigations" in page
    # Saving from the pre-filled page records the adverse event as any other.
    saved = nurse_client.post(
        response.url,
        {
            "version": "0",
            "crf-term": "Neutrophil count decreased",
            "crf-grade": "3",
            "crf-onset_date": "2026-03-20",
            "crf-ongoing": "on",
            "crf-serious": "False",
            "crf-relationship_iv_lutathera": "probable",
            "crf-action_taken": "dose_delayed",
            "crf-outcome": "recovering",
        },
    )
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    event = AdverseEvent.objects.get()
    assert (event.term, event.grade, event.onset_date) == (
        "Neutrophil count decreased",
        3,
        date(2026, 3, 20),
    )


def test_a_bad_finding_opens_nothing(nurse_client, participant):
    response = nurse_client.post(
        f"/dosing/p/{participant.code}/ae/from-finding/", {"term": "Nausea", "grade": "5"}
    )
    assert response.status_code == 302
    assert not FormStatus.objects.filter(form="AE").exists()


def test_a_monitor_cannot_open_an_adverse_event(monitor, client, participant):
    client.force_login(monitor)
    response = client.post(
        f"/dosing/p/{participant.code}/ae/from-finding/",
        {"term": "Nausea", "grade": "2"},
    )
    assert response.status_code == 302
    assert not FormStatus.objects.filter(form="AE").exists()


def test_every_dosing_page_renders_for_the_nurse(nurse, nurse_client, participant):
    paths = ("C1/CYCLE/1", "C4/CYCLE/1", "C1/LAB/1", "ELIG/LAB/1", "log/AE/new", "log/CM/new")
    for path in paths:
        response = nurse_client.get(f"/p/{participant.code}/{path}/")
        assert response.status_code == 200, path
    page = nurse_client.get(f"/p/{participant.code}/log/CM/new/").content.decode()
    assert 'name="crf-route"' in page and 'name="crf-stop_date"' in page


def test_a_monitor_reads_the_lab_page_without_live_grading_or_ae_buttons(
    nurse, monitor, client, participant
):
    from tests.dosing.conftest import save

    values = lab(neutrophils_entered="800", neutrophils_unit="/mm3", neutrophils_lln_entered="1800")
    save(nurse, participant, "C1", "LAB", values)
    client.force_login(monitor)
    page = client.get(f"/p/{participant.code}/C1/LAB/1/").content.decode()
    assert 'data-testid="grade-neutrophils" data-grade="3"' in page  # grades are shown
    assert "hx-post" not in page
    assert "open-ae-neutrophils" not in page
    assert 'name="crf-neutrophils_entered"' in page and "disabled" in page


# Issue 9: parameters no page sends are answered with 400 and a short message, never a 500.
BAD_GRADES = ["²", "9" * 5000, "0", "6", "-1", "2.5", "abc", "٣"]


def test_a_bad_grade_is_a_bad_request(nurse_client):
    for url in ("/dosing/ctcae/search/", "/dosing/ctcae/term/"):
        for grade in BAD_GRADES:
            response = nurse_client.get(url, {"crf-term": "Fatigue", "crf-grade": grade})
            assert response.status_code == 400, (url, grade[:10])
            assert "grade must be a whole number from 1 to 5" in response.content.decode()


def test_a_huge_term_is_a_bad_request(nurse_client):
    for url in ("/dosing/ctcae/search/", "/dosing/ctcae/term/"):
        response = nurse_client.get(url, {"crf-term": "9" * 5000})
        assert response.status_code == 400
        assert "too long" in response.content.decode()


def test_an_empty_grade_is_no_grade(nurse_client):
    response = nurse_client.get("/dosing/ctcae/term/", {"crf-term": "Fatigue", "crf-grade": ""})
    assert response.status_code == 200
    assert checked_grade(response.content.decode()) is None
