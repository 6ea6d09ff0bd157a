"""The calculations' refusals shown on the pages: the same words in English, translated in
French."""

from __future__ import annotations

import pytest
from django.utils import translation

from imaging import calculations as calc
from imaging.problems import calculation_problem

REFUSALS = [
    lambda: calc.time_integrated_activity([1.0], [2.0]),
    lambda: calc.time_integrated_activity([-1.0, 2.0], [1.0, 1.0]),
    lambda: calc.time_integrated_activity([2.0, 1.0], [1.0, 1.0]),
    lambda: calc.residence_time([1.0, 2.0], [3.0, 1.0], 0.0),
    lambda: calc.fit_mono_exponential([1.0, 2.0], [1.0, 3.0]),
    lambda: calc.percent_difference(0, 1),
    lambda: calc.patient_enhancement_ratio([1.0, 0.0], [1.0, 1.0]),
]


@pytest.mark.parametrize("refusal", REFUSALS)
def test_a_refusal_keeps_its_english_words(refusal):
    with pytest.raises(ValueError) as raised:
        refusal()
    with translation.override("en"):
        assert calculation_problem(raised.value) == str(raised.value)


def test_an_unknown_message_is_shown_as_it_is():
    assert calculation_problem(ValueError("something else")) == "something else"
