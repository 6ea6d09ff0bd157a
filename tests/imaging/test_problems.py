"""The calculations' refusals shown on the pages: a code and its values, worded in the
reader's language; the same words in English, translated in French."""

from __future__ import annotations

import pytest
from django.utils import translation

from imaging import calculations as calc
from imaging import dosimetry
from imaging.problems import MESSAGES, calculation_problem
from trial.problems import Problem


def _raise(problem: Problem | None) -> None:
    assert problem is not None
    raise problem


REFUSALS = [
    (lambda: calc.time_integrated_activity([1.0], [2.0]), "too_few_points"),
    (lambda: calc.time_integrated_activity([-1.0, 2.0], [1.0, 1.0]), "time_h_negative"),
    (lambda: calc.time_integrated_activity([1.0, 2.0], [-1.0, 1.0]), "activity_mbq_negative"),
    (
        lambda: calc.time_integrated_activity([1.0, float("inf")], [1.0, 1.0]),
        "point_not_finite",
    ),
    (lambda: calc.time_integrated_activity([2.0, 1.0], [1.0, 1.0]), "times_not_increasing"),
    (lambda: calc.residence_time([1.0, 2.0], [3.0, 1.0], 0.0), "administered_mbq_not_positive"),
    (lambda: calc.fit_mono_exponential([1.0, 2.0], [1.0, 3.0]), "too_few_points_after_peak"),
    (
        lambda: calc.fit_mono_exponential([1.0, 2.0, 3.0], [3.0, 1.0, 0.0]),
        "fit_activity_not_positive",
    ),
    (lambda: calc.percent_difference(0, 1), "reference_zero"),
    (lambda: calc.absorbed_dose_gy(-1.5, 10), "tia_mbq_h_negative"),
    (lambda: calc.absorbed_dose_gy(100, 0.0), "volume_ml_not_positive"),
    (lambda: calc.absorbed_dose_gy(100, 10, -1.06), "density_g_ml_not_positive"),
    (
        lambda: _raise(
            dosimetry.region_dosimetry(
                "x",
                (4.0, 24.0),
                (1.0, 0.5),
                volume_ml=None,
                density_g_ml=None,
                administered_mbq=None,
            )
            .methods[dosimetry.SINGLE]
            .problem
        ),
        "no_single_time_point",
    ),
    (
        lambda: calc.patient_enhancement_ratio([1.0, 0.0], [1.0, 1.0]),
        "lesion_suv_iah_not_positive",
    ),
    (
        lambda: calc.patient_enhancement_ratio([1.0, 1.0], [1.0, -2.0]),
        "lesion_suv_iv_not_positive",
    ),
]


@pytest.mark.parametrize(("refusal", "code"), REFUSALS)
def test_a_refusal_is_a_code_with_its_values_worded_at_display(refusal, code):
    with pytest.raises(Problem) as raised:
        refusal()
    assert raised.value.code == code
    with translation.override("en"):
        assert calculation_problem(raised.value) == str(raised.value)
    with translation.override("fr"):
        french = calculation_problem(raised.value)
    assert french != str(raised.value)
    for value in raised.value.shown_values.values():
        assert value in french  # the numbers are the problem's, not read back from text


def test_every_worded_problem_can_be_raised():
    assert {code for _refusal, code in REFUSALS} == set(MESSAGES)


def test_an_unknown_problem_or_error_is_shown_as_it_is():
    assert calculation_problem(ValueError("something else")) == "something else"
    assert calculation_problem(Problem("new_one", "a new %(x)s", x=1.5)) == "a new 1.5"
