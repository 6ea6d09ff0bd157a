"""Adverse events and concomitant medications: dates in order, CTCAE terms and their grades,
seriousness and the 24-hour reporting deadline."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from dosing.models import AdverseEvent
from tests.dosing.conftest import build_form, save


def ae(**changes):
    values = {
        "term": "Nausea",
        "grade": "2",
        "onset_date": date(2026, 3, 10),
        "end_date": date(2026, 3, 12),
        "serious": "False",
        "relationship_iv_lutathera": "probable",
        "action_taken": "dose_not_changed",
        "outcome": "recovered",
    }
    values.update(changes)
    return values


def checked(participant, values, form="AE", repeat=1):
    bound = build_form(participant, "LOG", form, values, repeat=repeat)
    bound.is_valid()
    return bound


def test_an_adverse_event_is_saved_with_its_soc_and_meddra_code(nurse, participant):
    saved = save(nurse, participant, "LOG", "AE", ae(term="nausea"))
    assert (saved.term, saved.soc, saved.meddra_code) == (
        "Nausea",
        "Gastrointestinal disorders",
        10028813,
    )
    assert saved.grade == 2


def test_an_end_date_before_the_onset_is_refused(nurse, participant):
    form = checked(participant, ae(end_date=date(2026, 3, 9)))
    assert form.errors["end_date"] == ["The end date is before the onset date (2026-03-10)."]


def test_end_before_onset_on_the_page_keeps_what_was_typed(nurse, nurse_client, participant):
    data = {f"crf-{k}": (v.isoformat() if isinstance(v, date) else v) for k, v in ae().items()}
    data.update({"crf-end_date": "2026-03-01", "version": "0"})
    response = nurse_client.post(f"/p/{participant.code}/log/AE/new/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="error_1_id_crf-end_date"' in page
    assert 'value="2026-03-01"' in page and 'value="Nausea"' in page
    assert not AdverseEvent.objects.exists()
    assert not participant.forms.filter(form="AE").exists()  # nothing until the first save


def test_a_term_outside_ctcae_is_refused(nurse, participant):
    form = checked(participant, ae(term="Tummy ache"))
    assert "is not a CTCAE v5 term" in str(form.errors["term"])


def test_only_the_grades_the_term_defines_are_offered_and_accepted(nurse, participant):
    form = checked(participant, ae(grade="4"))  # Nausea stops at grade 3
    assert "grade" in form.errors
    assert [value for value, _ in form.fields["grade"].choices] == [1, 2, 3]
    # The CTCAE wording stays its official English, marked lang="en".
    label = form.fields["grade"].choices[2][1]
    assert 'Grade 3: <span lang="en">Inadequate oral caloric or fluid intake' in label


def test_ongoing_and_an_end_date_contradict(nurse, participant):
    form = checked(participant, ae(ongoing=True))
    assert "ongoing" in form.errors
    form = checked(participant, ae(end_date=None))
    assert form.errors["end_date"] == ["Enter the end date, or tick ongoing."]


def test_a_serious_event_needs_a_criterion_and_the_awareness_date(nurse, participant):
    form = checked(participant, ae(serious="True"))
    assert "serious_death" in form.errors and "awareness_at" in form.errors


def test_grade_5_is_fatal(nurse, participant):
    form = checked(participant, ae(term="Sepsis", grade="5", outcome="recovered"))
    assert "outcome" in form.errors and "serious_death" in form.errors


def test_the_report_cannot_precede_awareness(nurse, participant):
    aware = datetime(2026, 3, 11, 9, 0)
    form = checked(
        participant,
        ae(
            serious="True",
            serious_hospitalisation=True,
            awareness_at=aware.strftime("%Y-%m-%dT%H:%M"),
            reported_to_sponsor_at=(aware - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert "reported_to_sponsor_at" in form.errors


def test_a_serious_event_shows_its_deadline_until_reported(nurse, nurse_client, participant):
    aware = timezone.localtime() - timedelta(hours=2)
    values = ae(
        term="Abdominal pain",
        grade="3",
        onset_date=aware.date() - timedelta(days=1),
        end_date=None,
        ongoing=True,
        outcome="recovering",
        serious="True",
        serious_hospitalisation=True,
        awareness_at=aware.strftime("%Y-%m-%dT%H:%M"),
    )
    saved = save(nurse, participant, "LOG", "AE", values)
    assert saved.reporting_deadline == saved.awareness_at + timedelta(hours=24)
    page = nurse_client.get(f"/p/{participant.code}/LOG/AE/1/").content.decode()
    assert 'data-testid="sae-deadline"' in page
    assert "report it to the sponsor by" in page
    reported = (aware + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    save(
        nurse,
        participant,
        "LOG",
        "AE",
        {**values, "reported_to_sponsor_at": reported},
        reason="data clarified by query",
    )
    page = nurse_client.get(f"/p/{participant.code}/LOG/AE/1/").content.decode()
    assert 'data-testid="sae-deadline"' not in page
    assert 'data-testid="sae-reported"' in page


def test_iah_relationships_are_asked_once_the_iah_procedure_happened(nurse, participant):
    assert "relationship_iah_procedure" not in checked(participant, ae()).errors
    participant.event_dates = {**participant.event_dates, "PET-IAH": "2026-03-01"}
    participant.save()
    assert "relationship_iah_procedure" in checked(participant, ae()).errors


def cm(**changes):
    values = {
        "name": "Ondansetron",
        "indication": "Nausea",
        "dose": "8 mg twice a day",
        "route": "oral",
        "start_date": date(2026, 3, 10),
        "stop_date": date(2026, 3, 12),
    }
    values.update(changes)
    return values


def test_a_medication_stopping_before_it_started_is_refused(nurse, participant):
    form = checked(participant, cm(stop_date=date(2026, 3, 1)), form="CM")
    assert form.errors["stop_date"] == ["The stop date is before the start date (2026-03-10)."]
    saved = save(nurse, participant, "LOG", "CM", cm(stop_date=None, ongoing=True))
    assert saved.ongoing and saved.stop_date is None
