"""RECIST 1.1 assessments entered through the form and save_crf: derived values, nadir tracking
over visits (and after a correction of an earlier visit), best overall response with its
confirmation named, and each bad input refused with its reason."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from followup import selectors
from followup.models import RecistAssessment, TargetMeasurement
from tests.followup import helpers as h


@pytest.fixture
def fu(nurse, bdx):
    return h.follow_up_participant(nurse, bdx)


def stored(participant, event: str) -> RecistAssessment:
    return RecistAssessment.objects.get(
        form_status__participant=participant, form_status__event=event
    )


def test_pr_confirmed_then_pd(nurse, fu):
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 22, 16, 12)  # 50 mm: -33.3 %
    m3 = stored(fu, "M3")
    assert m3.sum_mm == Decimal("50.0")
    assert m3.baseline_sum_mm == Decimal("75.0")
    assert m3.change_baseline_mm == Decimal("-25.0")
    assert m3.change_baseline_pct == Decimal("-33.3333")  # stored exact to 4 decimals
    assert (m3.target_response, m3.overall_response) == ("PR", "PR")
    assert m3.progression_date is None
    assert list(m3.measurements.values_list("number", "size_mm")) == [
        (1, Decimal("22.0")),
        (2, Decimal("16.0")),
        (3, Decimal("12.0")),
    ]

    h.save_recist(nurse, fu, "M6", h.visit_day(6), 20, 15, 13)  # 48 mm
    m6 = stored(fu, "M6")
    assert m6.nadir_mm == Decimal("50.0")
    assert m6.change_nadir_mm == Decimal("-2.0")
    assert m6.overall_response == "PR"

    h.save_recist(nurse, fu, "M9", h.visit_day(9), 28, 20, 12)  # 60 mm: +25 % and +12 mm
    m9 = stored(fu, "M9")
    assert m9.nadir_mm == Decimal("48.0")
    assert m9.change_nadir_mm == Decimal("12.0")
    assert m9.change_nadir_pct == Decimal("25.0")
    assert (m9.target_response, m9.overall_response) == ("PD", "PD")
    assert m9.progression_date == h.visit_day(9)

    recist = selectors.participant_recist(fu)
    assert recist.best.response == "PR"
    assert recist.best_events == ["M3", "M6"]
    assert recist.nadir == 48.0


def test_nadir_follows_the_visits_and_a_correction_recomputes_later_ones(nurse, fu):
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 20, 15, 15)  # 50
    h.save_recist(nurse, fu, "M6", h.visit_day(6), 25, 20, 15)  # 60: +20 % and +10 mm from 50
    assert stored(fu, "M6").overall_response == "PD"
    h.save_recist(nurse, fu, "M9", h.visit_day(9), 25, 20, 16)  # 61
    assert stored(fu, "M9").nadir_mm == Decimal("50.0")
    assert stored(fu, "M9").progression_date == h.visit_day(6)

    # M3 was mistyped: 56 mm, not 50. M6 is now +7 % from its nadir: SD, and M9 too.
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 26, 15, 15, reason="transcription error")
    m6, m9 = stored(fu, "M6"), stored(fu, "M9")
    assert m6.nadir_mm == Decimal("56.0")
    assert (m6.target_response, m6.overall_response) == ("SD", "SD")
    assert m6.progression_date is None
    assert m9.nadir_mm == Decimal("56.0")
    assert m9.overall_response == "SD"


def test_complete_response_node_below_10mm_and_no_non_target(nurse, bdx):
    participant = h.follow_up_participant(nurse, bdx)
    h.save_recist(nurse, participant, "M3", h.visit_day(3), 0, 0, (False, 8), non_target="CR")
    m3 = stored(participant, "M3")
    assert m3.sum_mm == Decimal("8.0")
    assert (m3.target_response, m3.overall_response) == ("CR", "CR")


def test_new_lesion_or_unequivocal_progression_is_pd(nurse, fu):
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 30, 25, 18, new_lesions=True)
    assert stored(fu, "M3").overall_response == "PD"
    assert stored(fu, "M3").target_response == "SD"
    h.save_recist(nurse, fu, "M6", h.visit_day(6), 30, 25, 18, unequivocal=True, non_target="PD")
    assert stored(fu, "M6").overall_response == "PD"
    assert stored(fu, "M6").progression_date == h.visit_day(3)


def test_lesion_not_evaluated_gives_ne(nurse, fu):
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 30, None, 18)
    m3 = stored(fu, "M3")
    assert m3.sum_mm is None
    assert (m3.target_response, m3.overall_response) == ("NE", "NE")


def _errors(form) -> str:
    form.is_valid()
    parts = [str(form.errors)]
    parts += [str(f.errors) for f in form.measurements.forms]
    parts.append(str(form.measurements.non_form_errors()))
    return " ".join(parts)


def test_bad_input_refused_with_the_reason(fu):
    day = h.visit_day(3)
    present_zero = h.bind_recist(fu, "M3", h.recist_values(day), h.lesions((True, 0), 20, 15))
    assert "A lesion marked present measures more than 0 mm" in _errors(present_zero)
    negative = h.bind_recist(fu, "M3", h.recist_values(day), h.lesions(-3, 20, 15))
    assert "A size cannot be negative" in _errors(negative)
    early = h.bind_recist(
        fu, "M3", h.recist_values(h.BASELINE_IMAGING - timedelta(days=1)), h.lesions(20, 20, 15)
    )
    assert "not after the baseline imaging" in _errors(early)
    extra = h.lesions(20, 20, 15) + [{"number": 4, "present": "True", "size_mm": "12"}]
    added = h.bind_recist(fu, "M3", h.recist_values(day), extra)
    assert "T4 is not a baseline target lesion" in _errors(added)
    assert not RecistAssessment.objects.exists()
    assert not TargetMeasurement.objects.exists()


def test_bad_input_on_the_page_keeps_what_was_typed(nurse_client, fu):
    from trial import crf as crf_registry

    values = h.recist_values(h.visit_day(3))
    posted = crf_registry.post_data(values, {"measurements": h.lesions(-3, 21.5, 15)})
    posted["version"] = "0"
    posted["save_complete"] = "1"
    response = nurse_client.post(f"/p/{fu.code}/M3/RECIST/1/", posted)
    assert response.status_code == 200
    page = response.content.decode()
    assert "A size cannot be negative" in page
    assert 'value="21.5"' in page and 'value="-3"' in page
    assert not RecistAssessment.objects.exists()


def test_history_shows_measurement_changes(nurse, nurse_client, fu):
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 22, 16, 12)
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 22, 17, 12, reason="transcription error")
    response = nurse_client.get(f"/p/{fu.code}/M3/RECIST/1/history/")
    assert response.status_code == 200
    assert "17.0" in response.content.decode()


def test_imaging_outside_the_window_is_a_warning_to_confirm(nurse, fu):
    late = h.visit_day(3, 20)
    form = h.bind_recist(fu, "M3", h.recist_values(late), h.lesions(22, 16, 12))
    assert not form.is_valid()
    assert "outside the visit window" in str(form.errors["imaging_date"])
    confirmed = {**h.recist_values(late), "confirm_unusual": "on"}
    h.save_form(nurse, h.bind_recist(fu, "M3", confirmed, h.lesions(22, 16, 12)))
    assert stored(fu, "M3").imaging_date == late
