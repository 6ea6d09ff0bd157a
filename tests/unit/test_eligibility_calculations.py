"""Tests for eligibility.calculations (PROTOCOL.md section 5)."""

from datetime import date

import pytest

from eligibility.calculations import age_in_years, child_pugh, cockcroft_gault, uln_multiple

# Cockcroft-Gault: formula of Cockcroft DW, Gault MH, "Prediction of creatinine clearance from
# serum creatinine", Nephron 1976;16:31-41: (140 - age) x weight / (72 x creatinine mg/dL),
# x 0.85 for women. The 60-year-old, 72-kg man with creatinine 1.0 mg/dL is the usual teaching
# illustration (weight cancels the 72, leaving 140 - 60 = 80 mL/min); the 65-year-old and
# 45-year-old cases are the worked examples of common online references (e.g.
# superglobalcalculator.com, "Creatinine Clearance Formula (Cockcroft-Gault)").
UMOL_PER_MG_DL = 88.4


@pytest.mark.req("CALC.CG")
def test_cockcroft_gault_classic_male_example() -> None:
    assert cockcroft_gault(60, 72.0, 1.0 * UMOL_PER_MG_DL, "M") == pytest.approx(80.0)


@pytest.mark.req("CALC.CG")
def test_cockcroft_gault_classic_female_example_applies_0_85() -> None:
    assert cockcroft_gault(60, 72.0, 1.0 * UMOL_PER_MG_DL, "F") == pytest.approx(68.0)


def test_cockcroft_gault_reference_male_65_years() -> None:
    # 75 x 70 / (72 x 1.4) = 52.08 mL/min; 1.4 mg/dL = 123.76 umol/L
    assert cockcroft_gault(65, 70.0, 123.76, "M") == pytest.approx(52.083, abs=0.001)


def test_cockcroft_gault_reference_female_45_years() -> None:
    # 95 x 60 / (72 x 0.9) x 0.85 = 74.77 mL/min; 0.9 mg/dL = 79.56 umol/L
    assert cockcroft_gault(45, 60.0, 79.56, "F") == pytest.approx(74.769, abs=0.001)


@pytest.mark.parametrize(
    ("creatinine_umol_l", "expected_ml_min"),
    [
        (88.4, 125.0),  # 1.0 mg/dL
        (176.8, 62.5),  # 2.0 mg/dL
        (44.2, 250.0),  # 0.5 mg/dL
        (80.0, 138.125),  # 80 umol/L = 0.905 mg/dL, a typical French lab value
    ],
)
@pytest.mark.req("CALC.CG")
def test_cockcroft_gault_converts_umol_per_litre(
    creatinine_umol_l: float, expected_ml_min: float
) -> None:
    # Male, 40 years, 90 kg: (140 - 40) x 90 / 72 = 125 mL/min at 1 mg/dL.
    assert cockcroft_gault(40, 90.0, creatinine_umol_l, "M") == pytest.approx(expected_ml_min)


@pytest.mark.parametrize(
    ("age", "weight", "creatinine", "sex"),
    [
        (60, 72.0, 88.4, "X"),
        (60, 72.0, 88.4, "f"),
        (60, 72.0, 88.4, ""),
        (0, 72.0, 88.4, "M"),
        (-1, 72.0, 88.4, "M"),
        (60, 0.0, 88.4, "M"),
        (60, -70.0, 88.4, "M"),
        (60, 72.0, 0.0, "M"),
        (60, 72.0, -88.4, "F"),
        (140, 72.0, 88.4, "M"),
    ],
)
def test_cockcroft_gault_rejects_bad_inputs(
    age: int, weight: float, creatinine: float, sex: str
) -> None:
    with pytest.raises(ValueError):
        cockcroft_gault(age, weight, creatinine, sex)


# Child-Pugh: every other item at 1 point (albumin 40, INR 1.0, no ascites, no encephalopathy),
# so the score is 4 + the points of the item under test.
NORMAL = {"bilirubin_umol_l": 10.0, "albumin_g_l": 40.0, "inr": 1.0}


def _score(**changes: object) -> int:
    args = {**NORMAL, "ascites": "none", "encephalopathy": "none", **changes}
    score, _ = child_pugh(**args)  # type: ignore[arg-type]
    return score


@pytest.mark.parametrize(("bilirubin", "points"), [(33.9, 1), (34.0, 2), (51.0, 2), (51.1, 3)])
@pytest.mark.req("CALC.CHILD_PUGH")
def test_child_pugh_bilirubin_bands(bilirubin: float, points: int) -> None:
    assert _score(bilirubin_umol_l=bilirubin) == 4 + points


@pytest.mark.parametrize(("albumin", "points"), [(35.1, 1), (35.0, 2), (28.0, 2), (27.9, 3)])
@pytest.mark.req("CALC.CHILD_PUGH")
def test_child_pugh_albumin_bands(albumin: float, points: int) -> None:
    assert _score(albumin_g_l=albumin) == 4 + points


@pytest.mark.parametrize(("inr", "points"), [(1.69, 1), (1.7, 2), (2.3, 2), (2.31, 3)])
@pytest.mark.req("CALC.CHILD_PUGH")
def test_child_pugh_inr_bands(inr: float, points: int) -> None:
    assert _score(inr=inr) == 4 + points


@pytest.mark.parametrize(("ascites", "points"), [("none", 1), ("mild", 2), ("moderate-severe", 3)])
def test_child_pugh_ascites_points(ascites: str, points: int) -> None:
    assert _score(ascites=ascites) == 4 + points


@pytest.mark.parametrize(
    ("encephalopathy", "points"), [("none", 1), ("grade 1-2", 2), ("grade 3-4", 3)]
)
def test_child_pugh_encephalopathy_points(encephalopathy: str, points: int) -> None:
    assert _score(encephalopathy=encephalopathy) == 4 + points


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((10.0, 40.0, 1.0, "none", "none"), (5, "A")),
        ((40.0, 40.0, 1.0, "none", "none"), (6, "A")),
        ((40.0, 30.0, 1.0, "none", "none"), (7, "B")),
        ((60.0, 25.0, 1.0, "none", "none"), (9, "B")),
        ((60.0, 25.0, 1.0, "mild", "none"), (10, "C")),
        ((60.0, 25.0, 2.5, "moderate-severe", "grade 3-4"), (15, "C")),
    ],
)
@pytest.mark.req("CALC.CHILD_PUGH")
def test_child_pugh_class_boundaries(args: tuple, expected: tuple[int, str]) -> None:
    assert child_pugh(*args) == expected


@pytest.mark.parametrize(
    "args",
    [
        (10.0, 40.0, 1.0, "severe", "none"),
        (10.0, 40.0, 1.0, "None", "none"),
        (10.0, 40.0, 1.0, "none", "grade 2"),
        (10.0, 40.0, 1.0, "none", ""),
        (0.0, 40.0, 1.0, "none", "none"),
        (10.0, -1.0, 1.0, "none", "none"),
        (10.0, 40.0, 0.0, "none", "none"),
    ],
)
def test_child_pugh_rejects_bad_inputs(args: tuple) -> None:
    with pytest.raises(ValueError):
        child_pugh(*args)


@pytest.mark.parametrize(
    ("born", "on", "years"),
    [
        (date(1990, 6, 15), date(2024, 6, 14), 33),
        (date(1990, 6, 15), date(2024, 6, 15), 34),
        (date(1990, 6, 15), date(1990, 6, 15), 0),
        (date(2006, 12, 31), date(2024, 12, 30), 17),
        (date(2006, 12, 31), date(2024, 12, 31), 18),
        # Born on 29 February: one year older on 1 March in non-leap years.
        (date(2000, 2, 29), date(2023, 2, 28), 22),
        (date(2000, 2, 29), date(2023, 3, 1), 23),
        (date(2000, 2, 29), date(2024, 2, 28), 23),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
    ],
)
def test_age_in_years(born: date, on: date, years: int) -> None:
    assert age_in_years(born, on) == years


def test_age_in_years_rejects_date_before_birth() -> None:
    with pytest.raises(ValueError):
        age_in_years(date(2000, 1, 2), date(2000, 1, 1))


@pytest.mark.parametrize(("value", "uln", "multiple"), [(100, 40, 2.5), (0, 40, 0.0), (35, 35, 1)])
def test_uln_multiple(value: float, uln: float, multiple: float) -> None:
    assert uln_multiple(value, uln) == pytest.approx(multiple)


@pytest.mark.parametrize(("value", "uln"), [(30, 0), (30, -40), (-1, 40)])
def test_uln_multiple_rejects_bad_inputs(value: float, uln: float) -> None:
    with pytest.raises(ValueError):
        uln_multiple(value, uln)
