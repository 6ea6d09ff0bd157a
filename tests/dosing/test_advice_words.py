"""The dose advice worded for the page (dosing.advice.advice_text): in English, word for word the
rule dosing.calculations records; in French, French numbers and CTCAE names."""

from dataclasses import replace

import pytest
from django.utils import translation
from django.utils.html import escape

from dosing.advice import AdviceView
from dosing.calculations import CycleHistory, LabSnapshot
from tests.unit.test_dose_advice import BASELINE, REDUCED, TOXICITY_ROWS, advise


def shown(advice) -> str:
    return AdviceView("C2", advice, None, CycleHistory(False, 8)).rule_text


HISTORIES = [
    CycleHistory(previous_reduced=False, weeks_since_last_dose=8),
    REDUCED,
    CycleHistory(previous_reduced=False, weeks_since_last_dose=17, withheld_for_toxicity=True),
    CycleHistory(previous_reduced=False, weeks_since_last_dose=11, withheld_for_toxicity=True),
    CycleHistory(previous_reduced=False, weeks_since_last_dose=None, withheld_for_toxicity=True),
    CycleHistory(previous_reduced=False, weeks_since_last_dose=16.5),
]
EXTRA = [
    {"lymphocytes_mm3": 700},
    {"platelets_mm3": 40000, "haemoglobin_g_dl": 7.5, "bilirubin_umol_l": 60},
    {"platelets_mm3": None, "albumin_g_l": None, "inr": 1.6, "bilirubin_uln": None},
    {"creatinine_clearance_ml_min": None, "neutrophils_mm3": 400},
]


@pytest.mark.parametrize("history", HISTORIES)
@pytest.mark.parametrize(
    ("latest", "base"), [(row[0], row[1]) for row in TOXICITY_ROWS] + [(e, {}) for e in EXTRA]
)
def test_the_english_page_says_exactly_the_recorded_rule(latest, base, history):
    advice = advise(history=history, baseline=replace(BASELINE, **base), **latest)
    with translation.override("en"):
        assert shown(advice) == advice.rule


def test_no_baseline_is_worded_too():
    advice = advise(baseline=LabSnapshot(), platelets_mm3=60000)
    with translation.override("en"):
        assert shown(advice) == advice.rule


def test_french_numbers_and_term_names():
    advice = advise(platelets_mm3=60000, haemoglobin_g_dl=7.5)
    with translation.override("fr"):
        text = shown(advice)
        view = AdviceView("C2", advice, None, CycleHistory(False, 8))
        assert "3,7" in view.headline
    assert "diminution du nombre de plaquettes (Platelet count decreased)" in text
    assert "7,5 g/dL" in text
    assert "3,7 GBq" in text


def test_the_french_page_marks_each_ctcae_english_term():
    # A screen reader reads the official English term in English (the French pages' leak
    # check found the lymphocyte note unmarked); the plain text carries no mark.
    advice = advise(platelets_mm3=60000, lymphocytes_mm3=400)
    with translation.override("fr"):
        view = AdviceView("C2", advice, None, CycleHistory(False, 8))
        html, text = str(view.rule_html), view.rule_text
    assert '(<span lang="en">Platelet count decreased</span>)' in html
    assert '<span lang="en">Lymphocyte count decreased</span>' in html
    assert "\x02" not in text and "\x03" not in text and "<span" not in text
    assert html.replace('<span lang="en">', "").replace("</span>", "") == str(escape(text))
    with translation.override("en"):
        english = AdviceView("C2", advice, None, CycleHistory(False, 8))
        assert "<span" not in str(english.rule_html)
        assert str(english.rule_html) == str(escape(english.rule_text))
