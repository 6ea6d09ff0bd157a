"""Stored RECIST values stay equal to a fresh computation whatever input changes: the baseline
(a corrected diameter, a lesion added), a measurement, an assessment's date moved past
others. Each test reproduces a finding of the trial-logic review, then checks the fix."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from eligibility.models import TargetLesion
from followup import derived, selectors
from followup.models import RecistAssessment
from tests.eligibility import helpers as eh
from tests.followup import helpers as h
from trial import actions
from trial.models import FormStatus


@pytest.fixture
def fu(nurse, bdx):
    return h.follow_up_participant(nurse, bdx)


def stored(participant, event: str) -> RecistAssessment:
    return RecistAssessment.objects.get(
        form_status__participant=participant, form_status__event=event
    )


def fresh(participant, event: str) -> tuple:
    """The assessment's derived values computed now from the current data (baseline, its
    measurements, the other assessments as stored)."""
    assessment = stored(participant, event)
    baseline = selectors.baseline_of(participant)
    prior = [
        v
        for pk, v in selectors.assessment_summaries(participant.pk).items()
        if pk != assessment.form_status_id
    ]
    return derived.assess(
        selectors.measurements_of([assessment.pk]).get(assessment.pk, []),
        assessment.non_target_status,
        assessment.new_lesions,
        assessment.unequivocal_progression,
        assessment.imaging_date,
        None if baseline is None else {**baseline, "prior": prior},
    )


def values_of(assessment: RecistAssessment) -> tuple:
    return tuple(getattr(assessment, name) for name in derived.OUTPUTS)


def correct_baseline(user, participant, diameters: list[str], extra=()) -> None:
    """Re-save the inclusion imaging with the target lesions' diameters corrected (rows as
    the page posts them: the saved lesions carry their id)."""
    saved = list(TargetLesion.objects.filter(imaging__form_status__participant=participant))
    rows = [
        {"id": lesion.pk, "organ": lesion.organ, "diameter_mm": diameter}
        for lesion, diameter in zip(saved, diameters, strict=True)
    ]
    rows += [{"organ": organ, "diameter_mm": d} for organ, d in extra]
    data = eh.imaging_data([], [])
    data.update(ct_date=h.SCREENING + timedelta(days=2), mri_date=h.BASELINE_IMAGING)
    data.update(eh.formset_data("target", rows, 5, initial=len(saved)))
    participant.refresh_from_db()
    bound = eh.bind(participant, "SCR", "IMAGING", data)
    assert bound.is_valid(), [(fs.errors, fs.non_form_errors()) for fs in bound.formsets]
    row = FormStatus.objects.get(pk=bound.row.pk)
    actions.save_crf(
        user, row, bound.crf_data(), expected_version=row.version, reason="transcription error"
    )


def test_a_corrected_baseline_diameter_recomputes_every_assessment(nurse, fu):
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 22, 16, 12)  # 50 of 75: -33.3 % PR
    h.save_recist(nurse, fu, "M6", h.visit_day(6), 22, 16, 12)
    assert stored(fu, "M3").target_response == "PR"

    # T1 was 52 mm, not 32: the baseline sum is 95, M3 is -47 % (still PR), the baseline sum
    # and changes of every assessment move with it.
    correct_baseline(nurse, fu, ["52", "25", "18"])
    for event in ("M3", "M6"):
        assessment = stored(fu, event)
        assert assessment.baseline_sum_mm == Decimal("95.0")
        assert assessment.change_baseline_mm == Decimal("-45.0")
        assert values_of(assessment) == fresh(fu, event)


def test_a_baseline_lesion_added_makes_earlier_assessments_not_evaluable(nurse, fu):
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 22, 16, 12)
    correct_baseline(nurse, fu, ["32", "25", "18"], extra=[("lung", "14")])
    m3 = stored(fu, "M3")
    # T4 was never measured at M3: its target response cannot be assessed.
    assert (m3.target_response, m3.sum_mm, m3.baseline_sum_mm) == ("NE", None, Decimal("89.0"))
    assert values_of(m3) == fresh(fu, "M3")


def test_moving_an_assessment_date_past_later_ones_recomputes_them_all(nurse, fu):
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 20, 15, 15)  # 50
    h.save_recist(nurse, fu, "M6", h.visit_day(6), 16, 12, 12)  # 40: the nadir
    h.save_recist(nurse, fu, "M9", h.visit_day(9), 20, 15, 13)  # 48: +20 % and +8 mm: PD
    assert stored(fu, "M9").overall_response == "PD"

    # M6's imaging was in fact done after M9's (a date mistyped): M9 now follows M3 only,
    # 48 of a nadir of 50, -36 % from baseline: PR, no progression.
    late = h.visit_day(9, 10)
    values = {**h.recist_values(late), "confirm_unusual": "on"}
    h.save_form(nurse, h.bind_recist(fu, "M6", values, h.lesions(16, 12, 12)), reason="wrong date")
    m9 = stored(fu, "M9")
    assert m9.nadir_mm == Decimal("50.0")
    assert (m9.target_response, m9.overall_response) == ("PR", "PR")
    assert m9.progression_date is None
    for event in ("M3", "M6", "M9"):
        assert values_of(stored(fu, event)) == fresh(fu, event), event
