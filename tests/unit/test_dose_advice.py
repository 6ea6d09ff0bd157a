"""LUTATHERA dose-modification advice (label, PROTOCOL.md section 5)."""

import dataclasses
import math
from dataclasses import replace

import pytest

from dosing.calculations import (
    FULL_ACTIVITY_GBQ,
    REDUCED_ACTIVITY_GBQ,
    CycleHistory,
    DoseAdvice,
    LabSnapshot,
    dose_advice,
)

pytestmark = pytest.mark.req("CALC.DOSE_ADVICE")

NORMAL = LabSnapshot(
    haemoglobin_g_dl=13.0,
    neutrophils_mm3=3000,
    platelets_mm3=220000,
    lymphocytes_mm3=1500,
    creatinine_umol_l=80,
    creatinine_clearance_ml_min=90,
    bilirubin_umol_l=10,
    bilirubin_uln=17,
    albumin_g_l=40,
    inr=1.0,
    haemoglobin_lln=12.0,
    neutrophils_lln=1800,
    platelets_lln=150000,
    lymphocytes_lln=1000,
)
BASELINE = LabSnapshot(creatinine_umol_l=80, creatinine_clearance_ml_min=90)
ON_TIME = CycleHistory(previous_reduced=False, weeks_since_last_dose=8)
REDUCED = CycleHistory(previous_reduced=True, weeks_since_last_dose=8)


def advise(history=ON_TIME, baseline=BASELINE, **latest):
    return dose_advice(replace(NORMAL, **latest), baseline=baseline, history=history)


def test_normal_labs_give_the_full_dose():
    advice = advise()
    assert advice == DoseAdvice("give", 7.4, advice.rule)
    assert FULL_ACTIVITY_GBQ == 7.4 and REDUCED_ACTIVITY_GBQ == 3.7
    assert "full 7.4 GBq" in advice.rule
    assert "Not available" not in advice.rule


def test_previous_reduction_keeps_the_reduced_dose():
    advice = advise(history=REDUCED)
    assert (advice.action, advice.activity_gbq) == ("reduce", 3.7)
    assert "previous dose was reduced for toxicity" in advice.rule
    assert "3.7 GBq" in advice.rule


def test_resolved_withheld_dose_resumes_at_the_reduced_dose():
    history = CycleHistory(
        previous_reduced=False, weeks_since_last_dose=11, withheld_for_toxicity=True
    )
    advice = advise(history=history)
    assert (advice.action, advice.activity_gbq) == ("reduce", 3.7)
    assert "withheld for a toxicity that has now resolved" in advice.rule


# (changes to the latest labs, changes to the baseline, expected action, text expected in the rule)
TOXICITY_ROWS = [
    # Platelets: grade 2-4 withholds until grade 0-1.
    ({"platelets_mm3": 75000}, {}, "give", "No dose-modifying toxicity"),
    ({"platelets_mm3": 74999}, {}, "withhold", "platelet count decreased grade 2"),
    ({"platelets_mm3": 49999}, {}, "withhold", "platelet count decreased grade 3"),
    ({"platelets_mm3": 24999}, {}, "withhold", "until grade 0-1"),
    ({"platelets_mm3": 149999}, {}, "give", "No dose-modifying toxicity"),
    # Anaemia and neutropenia: grade 3-4 withholds until grade 0-2; grade 2 does not.
    ({"haemoglobin_g_dl": 8.0}, {}, "give", "No dose-modifying toxicity"),
    (
        {"haemoglobin_g_dl": 7.9},
        {},
        "withhold",
        "anemia grade 3 (7.9 g/dL), withhold until grade 0-2",
    ),
    ({"neutrophils_mm3": 1000}, {}, "give", "No dose-modifying toxicity"),
    ({"neutrophils_mm3": 999}, {}, "withhold", "neutrophil count decreased grade 3"),
    ({"neutrophils_mm3": 499}, {}, "withhold", "neutrophil count decreased grade 4"),
    # Renal: clearance below 40 mL/min.
    ({"creatinine_clearance_ml_min": 40}, {"creatinine_clearance_ml_min": 60}, "give", "No dose"),
    (
        {"creatinine_clearance_ml_min": 39.9},
        {"creatinine_clearance_ml_min": 60},
        "withhold",
        "creatinine clearance 39.9 mL/min, below 40",
    ),
    # Renal: clearance fallen by 40 % from baseline.
    (
        {"creatinine_clearance_ml_min": 60.1},
        {"creatinine_clearance_ml_min": 100},
        "give",
        "No dose",
    ),
    (
        {"creatinine_clearance_ml_min": 60},
        {"creatinine_clearance_ml_min": 100},
        "withhold",
        "at least 40 % below baseline 100",
    ),
    # Renal: creatinine up 40 % from baseline.
    ({"creatinine_umol_l": 139.9}, {"creatinine_umol_l": 100}, "give", "No dose"),
    ({"creatinine_umol_l": 140}, {"creatinine_umol_l": 100}, "withhold", "at least 40 % above"),
    # Hepatic: bilirubin above 3 x ULN.
    ({"bilirubin_umol_l": 51}, {}, "give", "No dose"),
    ({"bilirubin_umol_l": 51.1}, {}, "withhold", "bilirubin 51.1 µmol/L, above 3 x ULN 17"),
    # Hepatic: albumin below 30 g/L together with INR above 1.5.
    ({"albumin_g_l": 29.9, "inr": 1.6}, {}, "withhold", "albumin 29.9 g/L below 30 with INR 1.6"),
    ({"albumin_g_l": 30, "inr": 1.6}, {}, "give", "No dose"),
    ({"albumin_g_l": 29.9, "inr": 1.5}, {}, "give", "No dose"),
    ({"albumin_g_l": 20, "inr": 1.0}, {}, "give", "No dose"),
]


@pytest.mark.parametrize(("latest", "base", "action", "text"), TOXICITY_ROWS)
def test_each_toxicity_rule(latest, base, action, text):
    advice = advise(baseline=replace(BASELINE, **base), **latest)
    assert advice.action == action
    assert text in advice.rule
    expected_activity = 3.7 if action == "withhold" else 7.4
    assert advice.activity_gbq == expected_activity
    if action == "withhold":
        assert advice.rule.startswith("Withhold the dose:")
        assert advice.rule.endswith("then give 3.7 GBq.")


@pytest.mark.parametrize(("lymphocytes", "grade"), [(799, 2), (499, 3), (199, 4)])
def test_lymphopenia_alone_changes_nothing(lymphocytes, grade):
    advice = advise(lymphocytes_mm3=lymphocytes)
    assert (advice.action, advice.activity_gbq) == ("give", 7.4)
    assert f"Lymphocyte count decreased grade {grade} alone does not change the dose" in advice.rule


def test_several_toxicities_are_all_named():
    advice = advise(platelets_mm3=60000, bilirubin_umol_l=60)
    assert advice.action == "withhold"
    assert "platelet count decreased grade 2" in advice.rule
    assert "hepatotoxicity (bilirubin 60" in advice.rule


@pytest.mark.parametrize(
    "latest",
    [
        {"platelets_mm3": 60000},
        {"neutrophils_mm3": 800},
        {"creatinine_clearance_ml_min": 30},
        {"albumin_g_l": 25, "inr": 2.0},
    ],
)
def test_toxicity_after_a_reduced_dose_stops_for_good(latest):
    advice = advise(history=REDUCED, **latest)
    assert (advice.action, advice.activity_gbq) == ("stop", None)
    assert advice.rule.startswith("Stop LUTATHERA for good: toxicity recurred after a reduced dose")


@pytest.mark.parametrize(
    ("weeks", "withheld", "latest", "action"),
    [
        (15.9, False, {"platelets_mm3": 60000}, "withhold"),
        (16, False, {"platelets_mm3": 60000}, "stop"),
        (20, False, {"platelets_mm3": 60000}, "stop"),
        (16, True, {}, "stop"),  # resolved, but only after the 16-week limit
        (15.9, True, {}, "reduce"),
        (16, False, {}, "give"),  # a late dose that was not delayed for toxicity
    ],
)
def test_sixteen_week_delay_stops_for_good(weeks, withheld, latest, action):
    history = CycleHistory(
        previous_reduced=False, weeks_since_last_dose=weeks, withheld_for_toxicity=withheld
    )
    advice = advise(history=history, **latest)
    assert advice.action == action
    if action == "stop":
        assert advice.activity_gbq is None
        assert "delay for toxicity has reached 16 weeks" in advice.rule


def test_recurrence_is_named_before_the_delay():
    history = CycleHistory(previous_reduced=True, weeks_since_last_dose=17)
    advice = advise(history=history, platelets_mm3=60000)
    assert advice.action == "stop"
    assert "recurred after a reduced dose" in advice.rule


def test_unknown_delay_is_named_when_it_matters():
    history = CycleHistory(previous_reduced=False, weeks_since_last_dose=None)
    assert "weeks since last dose" in advise(history=history, platelets_mm3=60000).rule
    assert "Not available" not in advise(history=history).rule


def test_everything_missing_still_advises_and_names_every_gap():
    advice = dose_advice(LabSnapshot(), baseline=None, history=ON_TIME)
    assert (advice.action, advice.activity_gbq) == ("give", 7.4)
    assert advice.rule.startswith("No dose-modifying toxicity in the results available: give")
    for item in [
        "platelets",
        "haemoglobin",
        "neutrophils",
        "creatinine clearance",
        "baseline creatinine clearance",
        "creatinine",
        "baseline creatinine",
        "bilirubin",
        "bilirubin ULN",
        "albumin",
        "INR",
    ]:
        assert item in advice.rule
    assert "check before dosing" in advice.rule


@pytest.mark.parametrize(
    ("latest", "missing", "not_missing"),
    [
        ({"platelets_mm3": None}, "Not available: platelets;", "haemoglobin"),
        ({"bilirubin_uln": None}, "Not available: bilirubin ULN;", "albumin"),
        # Albumin of 30 g/L or more rules the criterion out without an INR.
        ({"inr": None}, None, "INR"),
        ({"albumin_g_l": 25, "inr": None}, "Not available: INR;", "albumin"),
        ({"albumin_g_l": None, "inr": 2.0}, "Not available: albumin;", "INR"),
        ({"albumin_g_l": None, "inr": 1.2}, None, "albumin"),
    ],
)
def test_missing_items_are_named(latest, missing, not_missing):
    rule = advise(**latest).rule
    if missing is None:
        assert "Not available" not in rule
    else:
        assert missing in rule
    assert f"Not available: {not_missing}" not in rule
    assert f", {not_missing}" not in rule


def test_missing_baseline_is_named_but_current_labs_still_count():
    advice = advise(baseline=None, creatinine_clearance_ml_min=35)
    assert advice.action == "withhold"
    assert "baseline creatinine clearance, baseline creatinine" in advice.rule


def test_toxicity_found_despite_missing_values():
    advice = advise(platelets_mm3=None, haemoglobin_g_dl=7.0)
    assert advice.action == "withhold"
    assert "anemia grade 3" in advice.rule
    assert "Not available: platelets" in advice.rule


@pytest.mark.parametrize("field", ["platelets_mm3", "creatinine_clearance_ml_min", "inr"])
@pytest.mark.parametrize("value", [-1.0, math.nan])
def test_lab_snapshot_rejects_negative_or_nan(field, value):
    with pytest.raises(ValueError, match=field):
        LabSnapshot(**{field: value})


def test_results_are_immutable():
    advice = advise()
    with pytest.raises(dataclasses.FrozenInstanceError):
        advice.action = "stop"
    with pytest.raises(dataclasses.FrozenInstanceError):
        NORMAL.platelets_mm3 = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        ON_TIME.previous_reduced = True
