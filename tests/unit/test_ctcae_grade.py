"""CTCAE v5 lab grades and unit conversions (PROTOCOL.md sections 3 and 5)."""

import math

import pytest

from dosing.calculations import (
    ALT_INCREASED,
    ANEMIA,
    AST_INCREASED,
    BILIRUBIN_INCREASED,
    CREATININE_INCREASED,
    LYMPHOCYTES_DECREASED,
    NEUTROPHILS_DECREASED,
    PLATELETS_DECREASED,
    bilirubin_to_umol_l,
    count_to_per_mm3,
    creatinine_to_umol_l,
    ctcae_grade,
    umol_l_to_mg_dl_creatinine,
)

pytestmark = pytest.mark.req("CALC.CTCAE")


def test_term_constants_are_the_ctcae_spellings():
    assert (ANEMIA, NEUTROPHILS_DECREASED, PLATELETS_DECREASED, LYMPHOCYTES_DECREASED) == (
        "Anemia",
        "Neutrophil count decreased",
        "Platelet count decreased",
        "Lymphocyte count decreased",
    )
    assert (ALT_INCREASED, AST_INCREASED, BILIRUBIN_INCREASED, CREATININE_INCREASED) == (
        "Alanine aminotransferase increased",
        "Aspartate aminotransferase increased",
        "Blood bilirubin increased",
        "Creatinine increased",
    )


@pytest.mark.parametrize(
    ("term", "lln", "value", "grade"),
    [
        (PLATELETS_DECREASED, 150000, 150000, 0),
        (PLATELETS_DECREASED, 150000, 149999, 1),
        (PLATELETS_DECREASED, 150000, 75000, 1),
        (PLATELETS_DECREASED, 150000, 74999, 2),
        (PLATELETS_DECREASED, 150000, 50000, 2),
        (PLATELETS_DECREASED, 150000, 49999, 3),
        (PLATELETS_DECREASED, 150000, 25000, 3),
        (PLATELETS_DECREASED, 150000, 24999, 4),
        (PLATELETS_DECREASED, 150000, 0, 4),
        (NEUTROPHILS_DECREASED, 1800, 1800, 0),
        (NEUTROPHILS_DECREASED, 1800, 1799, 1),
        (NEUTROPHILS_DECREASED, 1800, 1500, 1),
        (NEUTROPHILS_DECREASED, 1800, 1499, 2),
        (NEUTROPHILS_DECREASED, 1800, 1000, 2),
        (NEUTROPHILS_DECREASED, 1800, 999, 3),
        (NEUTROPHILS_DECREASED, 1800, 500, 3),
        (NEUTROPHILS_DECREASED, 1800, 499, 4),
        (LYMPHOCYTES_DECREASED, 1000, 1000, 0),
        (LYMPHOCYTES_DECREASED, 1000, 999, 1),
        (LYMPHOCYTES_DECREASED, 1000, 800, 1),
        (LYMPHOCYTES_DECREASED, 1000, 799, 2),
        (LYMPHOCYTES_DECREASED, 1000, 500, 2),
        (LYMPHOCYTES_DECREASED, 1000, 499, 3),
        (LYMPHOCYTES_DECREASED, 1000, 200, 3),
        (LYMPHOCYTES_DECREASED, 1000, 199, 4),
        (ANEMIA, 12.0, 12.0, 0),
        (ANEMIA, 12.0, 11.9, 1),
        (ANEMIA, 12.0, 10.0, 1),
        (ANEMIA, 12.0, 9.9, 2),
        (ANEMIA, 12.0, 8.0, 2),
        (ANEMIA, 12.0, 7.9, 3),
        # CTCAE anaemia grade 4 is clinical, not a haemoglobin value.
        (ANEMIA, 12.0, 3.0, 3),
    ],
)
def test_decreased_terms_every_boundary(term, lln, value, grade):
    assert ctcae_grade(term, value, lln=lln) == grade


@pytest.mark.parametrize(
    ("term", "value", "grade"),
    [
        (PLATELETS_DECREASED, 149999, 0),
        (PLATELETS_DECREASED, 75000, 0),
        (PLATELETS_DECREASED, 74999, 2),
        (NEUTROPHILS_DECREASED, 1500, 0),
        (NEUTROPHILS_DECREASED, 1499, 2),
        (LYMPHOCYTES_DECREASED, 800, 0),
        (LYMPHOCYTES_DECREASED, 799, 2),
        (LYMPHOCYTES_DECREASED, 199, 4),
        (ANEMIA, 10.0, 0),
        (ANEMIA, 9.9, 2),
        (ANEMIA, 7.9, 3),
    ],
)
def test_decreased_terms_without_lln_grade_only_the_absolute_bands(term, value, grade):
    assert ctcae_grade(term, value) == grade


@pytest.mark.parametrize(("value", "grade"), [(72000, 2), (69000, 2), (80000, 0)])
def test_absolute_band_wins_over_an_lln_below_the_g1_floor(value, grade):
    assert ctcae_grade(PLATELETS_DECREASED, value, lln=70000) == grade


@pytest.mark.parametrize("term", [ALT_INCREASED, AST_INCREASED])
@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (40, 0),
        (40.1, 1),
        (120, 1),
        (120.1, 2),
        (200, 2),
        (200.1, 3),
        (800, 3),
        (800.1, 4),
        (5000, 4),
        (10, 0),
    ],
)
@pytest.mark.parametrize("baseline", [None, 30, 40])
def test_transaminases_with_normal_baseline(term, value, grade, baseline):
    assert ctcae_grade(term, value, uln=40, baseline=baseline) == grade


@pytest.mark.parametrize("term", [ALT_INCREASED, AST_INCREASED])
@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (60, 0),
        (89.9, 0),  # above ULN but below 1.5 x an abnormal baseline
        (90, 1),
        (180, 1),
        (180.1, 2),
        (300, 2),
        (300.1, 3),
        (1200, 3),
        (1200.1, 4),
    ],
)
def test_transaminases_with_abnormal_baseline(term, value, grade):
    assert ctcae_grade(term, value, uln=40, baseline=60) == grade


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (17, 0),
        (17.1, 1),
        (25.5, 1),
        (25.6, 2),
        (51, 2),
        (51.1, 3),
        (170, 3),
        (170.1, 4),
    ],
)
@pytest.mark.parametrize("baseline", [None, 10, 17])
def test_bilirubin_with_normal_baseline(value, grade, baseline):
    assert ctcae_grade(BILIRUBIN_INCREASED, value, uln=17, baseline=baseline) == grade


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (18, 0),  # above ULN, below the abnormal baseline
        (20, 0),
        (20.1, 1),
        (30, 1),
        (30.1, 2),
        (60, 2),
        (60.1, 3),
        (200, 3),
        (200.1, 4),
    ],
)
def test_bilirubin_with_abnormal_baseline(value, grade):
    assert ctcae_grade(BILIRUBIN_INCREASED, value, uln=17, baseline=20) == grade


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (100, 0),
        (100.1, 1),
        (150, 1),
        (150.1, 2),
        (300, 2),
        (300.1, 3),
        (600, 3),
        (600.1, 4),
    ],
)
def test_creatinine_against_uln(value, grade):
    assert ctcae_grade(CREATININE_INCREASED, value, uln=100) == grade


@pytest.mark.parametrize(
    ("value", "baseline", "grade"),
    [
        (90, 60, 0),  # exactly 1.5 x baseline, below ULN
        (90.1, 60, 2),  # baseline rule grades even below the ULN
        (120, 60, 2),  # ULN says G1, baseline says G2: the higher wins
        (180, 60, 2),
        (180.1, 60, 3),
        (600.1, 60, 4),  # ULN G4 beats baseline G3
        (140, 100, 1),  # ULN G1, under 1.5 x baseline
        (150.1, 100, 2),
        (300.1, 100, 3),
    ],
)
def test_creatinine_takes_the_higher_of_uln_and_baseline_grades(value, baseline, grade):
    assert ctcae_grade(CREATININE_INCREASED, value, uln=100, baseline=baseline) == grade


def test_boundaries_survive_floating_point_multiplication():
    # 3 x 1.2 is 3.5999999999999996 in binary floating point.
    assert ctcae_grade(BILIRUBIN_INCREASED, 3.6, uln=1.2) == 2
    # 1.5 mg/dL converted is 132.6 umol/L, 1.5 x ULN 88.4 is 132.60000000000002.
    uln = creatinine_to_umol_l(1.0, "mg/dL")
    assert ctcae_grade(CREATININE_INCREASED, creatinine_to_umol_l(1.5, "mg/dL"), uln=uln) == 1


@pytest.mark.parametrize("term", ["anemia", "Neutropenia", "Hemoglobin increased", ""])
def test_unknown_term_raises(term):
    with pytest.raises(ValueError, match="No lab grading"):
        ctcae_grade(term, 1.0, lln=1.0, uln=1.0)


@pytest.mark.parametrize("value", [-1, -0.001, math.nan, math.inf])
@pytest.mark.parametrize("term", [PLATELETS_DECREASED, ALT_INCREASED])
def test_negative_or_non_finite_value_raises(term, value):
    with pytest.raises(ValueError):
        ctcae_grade(term, value, lln=150000, uln=40)


@pytest.mark.parametrize(
    "term", [ALT_INCREASED, AST_INCREASED, BILIRUBIN_INCREASED, CREATININE_INCREASED]
)
@pytest.mark.parametrize("baseline", [None, 50.0])
def test_missing_uln_raises_with_a_clear_message(term, baseline):
    with pytest.raises(ValueError, match=r"upper limit of normal \(uln\) is needed"):
        ctcae_grade(term, 100.0, baseline=baseline)


@pytest.mark.parametrize(
    "limits",
    [{"uln": 0}, {"uln": -40}, {"uln": 40, "baseline": 0}, {"uln": 40, "baseline": -1}],
)
def test_non_positive_limits_raise(limits):
    with pytest.raises(ValueError):
        ctcae_grade(ALT_INCREASED, 100.0, **limits)


@pytest.mark.parametrize("lln", [0, -150000, math.nan])
def test_non_positive_lln_raises(lln):
    with pytest.raises(ValueError):
        ctcae_grade(PLATELETS_DECREASED, 100000, lln=lln)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1.5, "G/L", 1500),
        (0.2, "G/L", 200),
        (1.5, "10^9/L", 1500),
        (1500, "/mm3", 1500),
        (1500, "/mm³", 1500),
        (1500, "/µL", 1500),
        (1.5, " G/L ", 1500),  # stray spaces from a lab export
    ],
)
def test_count_to_per_mm3(value, unit, expected):
    assert count_to_per_mm3(value, unit) == pytest.approx(expected)


@pytest.mark.parametrize("unit", ["g/L", "g/dL", "mm3", "", "x"])
def test_count_to_per_mm3_unknown_unit(unit):
    with pytest.raises(ValueError, match="Unknown cell count unit"):
        count_to_per_mm3(1.5, unit)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1.0, "mg/dL", 88.4),
        (2.0, "mg/dl", 176.8),
        (80, "umol/L", 80),
        (80, "µmol/L", 80),  # micro sign
        (80, "μmol/L", 80),  # Greek mu
    ],
)
def test_creatinine_to_umol_l(value, unit, expected):
    assert creatinine_to_umol_l(value, unit) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(1.0, "mg/dL", 17.1), (0.5, "mg/dL", 8.55), (12, "µmol/L", 12), (12, "umol/L", 12)],
)
def test_bilirubin_to_umol_l(value, unit, expected):
    assert bilirubin_to_umol_l(value, unit) == pytest.approx(expected)


@pytest.mark.parametrize("convert", [creatinine_to_umol_l, bilirubin_to_umol_l])
@pytest.mark.parametrize("unit", ["mmol/L", "mg/L", "g/L", ""])
def test_chemistry_unknown_unit(convert, unit):
    with pytest.raises(ValueError, match="Unknown"):
        convert(1.0, unit)


def test_umol_l_to_mg_dl_creatinine():
    assert umol_l_to_mg_dl_creatinine(88.4) == pytest.approx(1.0)
    assert umol_l_to_mg_dl_creatinine(creatinine_to_umol_l(1.37, "mg/dL")) == pytest.approx(1.37)


@pytest.mark.parametrize(
    "call",
    [
        lambda: count_to_per_mm3(-1, "G/L"),
        lambda: creatinine_to_umol_l(-1, "mg/dL"),
        lambda: bilirubin_to_umol_l(math.nan, "mg/dL"),
        lambda: umol_l_to_mg_dl_creatinine(-88.4),
    ],
)
def test_conversions_reject_negative_or_non_finite(call):
    with pytest.raises(ValueError):
        call()
