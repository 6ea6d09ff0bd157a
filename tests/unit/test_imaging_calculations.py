"""Tests for imaging.calculations (PROTOCOL.md section 5). No database, no Django.

Expected values are worked out independently (by hand or with math below), never by calling the
function under test.
"""

import math

import pytest

from imaging.calculations import (
    GA68_HALF_LIFE_H,
    LU177_HALF_LIFE_H,
    RATIO_DECIMALS,
    fit_mono_exponential,
    ga68_residue_fraction,
    gate_met,
    hours_until_residue_below,
    lesion_enhancement_ratios,
    mono_exponential_tia,
    patient_enhancement_ratio,
    percent_difference,
    ratio_shown,
    residence_time,
    time_integrated_activity,
)

LN2 = math.log(2)
LAMBDA_PHYS_LU177 = LN2 / 159.528  # 0.0043450 /h

# PROTOCOL.md section 5 worked example.
EXAMPLE_TIMES = [4.0, 24.0, 72.0, 168.0]
EXAMPLE_ACTIVITIES = [1.00, 0.90, 0.60, 0.30]
# Trapezoids: (0 + 1.0)/2 x 4 = 2; (1.0 + 0.9)/2 x 20 = 19; (0.9 + 0.6)/2 x 48 = 36;
# (0.6 + 0.3)/2 x 96 = 43.2; total 100.2.
EXAMPLE_TRAPEZOIDS = 100.2
# Tail: lambda_eff = ln(0.6/0.3)/96 = ln 2/96 = 0.0072203 /h > lambda_phys, so 0.3 x 96 / ln 2.
EXAMPLE_TAIL = 0.3 * 96 / LN2  # 41.5496


# --- 68Ga residue ---------------------------------------------------------------------------


def test_ga68_residue_after_10_hours() -> None:
    # 10 h = 600 / 67.71 = 8.8613 half-lives: 2^-8.8613 = 0.0021502, i.e. 0.215 %.
    assert ga68_residue_fraction(10.0) == pytest.approx(0.0021502, rel=1e-4)
    assert ga68_residue_fraction(10.0) > 0.002


def test_ga68_residue_at_zero_and_one_half_life() -> None:
    assert ga68_residue_fraction(0.0) == 1.0
    assert ga68_residue_fraction(67.71 / 60) == pytest.approx(0.5)


def test_ga68_residue_rejects_negative_time() -> None:
    with pytest.raises(ValueError):
        ga68_residue_fraction(-0.1)


def test_hours_until_ga68_residue_below_0_2_percent() -> None:
    # 67.71 / 60 x log2(500) = 1.1285 x 8.96578 = 10.1179 h.
    assert hours_until_residue_below(0.002, GA68_HALF_LIFE_H) == pytest.approx(10.1179, abs=1e-4)


def test_hours_until_half_is_one_half_life() -> None:
    assert hours_until_residue_below(0.5, LU177_HALF_LIFE_H) == pytest.approx(159.528)
    assert hours_until_residue_below(0.125, LU177_HALF_LIFE_H) == pytest.approx(3 * 159.528)


@pytest.mark.req("CALC.ER", "CALC.THRESHOLDS")
@pytest.mark.parametrize(
    ("fraction", "half_life_h"),
    [(0.0, 1.0), (1.0, 1.0), (-0.1, 1.0), (1.5, 1.0), (0.5, 0.0), (0.5, -1.0)],
)
def test_hours_until_residue_below_rejects_bad_input(fraction: float, half_life_h: float) -> None:
    with pytest.raises(ValueError):
        hours_until_residue_below(fraction, half_life_h)


# --- Enhancement ratio ----------------------------------------------------------------------


@pytest.mark.req("CALC.ER")
def test_lesion_enhancement_ratios() -> None:
    ratios = lesion_enhancement_ratios([12.0, 9.0, 20.0, 7.5, 4.0], [3.0, 3.0, 4.0, 2.5, 2.0])
    assert ratios == pytest.approx([4.0, 3.0, 5.0, 3.0, 2.0])


@pytest.mark.req("CALC.ER")
def test_patient_enhancement_ratio_is_the_mean_of_lesion_ratios() -> None:
    # (4 + 3 + 5 + 3 + 2) / 5 = 3.4
    ratio = patient_enhancement_ratio([12.0, 9.0, 20.0, 7.5, 4.0], [3.0, 3.0, 4.0, 2.5, 2.0])
    assert ratio == pytest.approx(3.4)


def test_patient_ratio_is_a_mean_of_ratios_not_a_ratio_of_means() -> None:
    # Ratios 10 and 1: mean 5.5; the ratio of means would be (10 + 10) / (1 + 10) = 1.82.
    assert patient_enhancement_ratio([10.0, 10.0], [1.0, 10.0]) == pytest.approx(5.5)


@pytest.mark.req("CALC.ER", "CALC.THRESHOLDS")
def test_gate_met_exactly_at_3() -> None:
    ratio = patient_enhancement_ratio([9.0] * 5, [3.0] * 5)
    assert ratio == 3.0
    assert gate_met(ratio) is True


@pytest.mark.req("CALC.ER", "CALC.THRESHOLDS")
def test_gate_not_met_at_2_99() -> None:
    ratio = patient_enhancement_ratio([2.99] * 5, [1.0] * 5)
    assert ratio == pytest.approx(2.99)
    assert gate_met(ratio) is False


@pytest.mark.req("CALC.ER", "CALC.THRESHOLDS")
def test_gate_met_on_float_boundary() -> None:
    # 3.3 / 1.1 is 2.9999999999999996 in binary floating point: binary noise, the ratio is 3.
    assert RATIO_DECIMALS == 2
    ratio = patient_enhancement_ratio([3.3] * 5, [1.1] * 5)
    assert ratio < 3.0
    assert gate_met(ratio) is True
    assert str(ratio_shown(ratio)) == "3.00"


# PROTOCOL.md section 5, Thresholds: decided on the exact value (a float at 9 significant
# digits), never on the two decimals shown; shown with the decimals it needs to agree.
@pytest.mark.parametrize(
    ("ratio", "expected", "shown"),
    [
        (2.9999999999, True, "3.00"),  # binary noise at the 11th digit: 3
        (2.9999, False, "2.9999"),
        (2.99689, False, "2.997"),
        (2.995000001, False, "2.995"),
        (2.994, False, "2.99"),
        (3.0, True, "3.00"),
        (3.004, True, "3.00"),
        (3.75, True, "3.75"),
        (0.5, False, "0.50"),
    ],
)
def test_gate_met_decides_on_the_exact_value(ratio: float, expected: bool, shown: str) -> None:
    assert gate_met(ratio) is expected
    assert str(ratio_shown(ratio)) == shown


def test_gate_met_with_another_threshold() -> None:
    assert gate_met(2.5, threshold=2.5) is True
    assert gate_met(2.49, threshold=2.5) is False


@pytest.mark.parametrize("ratio", [0.0, -1.0, math.nan])
def test_gate_met_rejects_non_positive_ratio(ratio: float) -> None:
    with pytest.raises(ValueError):
        gate_met(ratio)


@pytest.mark.parametrize(
    ("suv_iah", "suv_iv"),
    [
        ([1.0, 2.0], [1.0]),  # lengths differ
        ([1.0], [1.0, 2.0]),
        ([], []),  # empty
        ([1.0, 0.0], [1.0, 1.0]),  # zero IAH
        ([1.0, 2.0], [1.0, 0.0]),  # zero IV: would divide by zero
        ([-1.0], [1.0]),
        ([1.0], [-1.0]),
        ([math.nan], [1.0]),
    ],
)
def test_enhancement_ratios_reject_bad_input(suv_iah: list[float], suv_iv: list[float]) -> None:
    with pytest.raises(ValueError):
        lesion_enhancement_ratios(suv_iah, suv_iv)
    with pytest.raises(ValueError):
        patient_enhancement_ratio(suv_iah, suv_iv)


# --- Time-integrated activity and residence time --------------------------------------------


def test_worked_example_parts() -> None:
    trapezoids, tail = EXAMPLE_TRAPEZOIDS, EXAMPLE_TAIL
    assert trapezoids == pytest.approx(100.20, abs=0.005)
    assert tail == pytest.approx(41.55, abs=0.005)
    assert LN2 / 96 > LAMBDA_PHYS_LU177


@pytest.mark.req("CALC.TIA")
def test_time_integrated_activity_worked_example() -> None:
    tia = time_integrated_activity(EXAMPLE_TIMES, EXAMPLE_ACTIVITIES)
    assert tia == pytest.approx(141.75, abs=0.01)
    assert tia == pytest.approx(EXAMPLE_TRAPEZOIDS + EXAMPLE_TAIL)


def test_time_integrated_activity_accepts_tuples() -> None:
    tia = time_integrated_activity(tuple(EXAMPLE_TIMES), tuple(EXAMPLE_ACTIVITIES))
    assert tia == pytest.approx(EXAMPLE_TRAPEZOIDS + EXAMPLE_TAIL)


@pytest.mark.req("CALC.TIA")
def test_residence_time_worked_example() -> None:
    residence = residence_time(EXAMPLE_TIMES, EXAMPLE_ACTIVITIES, 7400.0)
    assert residence == pytest.approx(0.019155, abs=1e-6)
    assert residence == pytest.approx((EXAMPLE_TRAPEZOIDS + EXAMPLE_TAIL) / 7400)


@pytest.mark.req("CALC.TIA")
def test_tail_uses_physical_decay_when_clearance_is_slower() -> None:
    # Last two points 1.0 -> 0.99 over 24 h: lambda_eff = ln(1/0.99)/24 = 0.00041876 /h, below
    # lambda_phys, so tail = 0.99 / lambda_phys = 0.99 x 159.528 / ln 2.
    # Trapezoids: 0.5 x 24 x 1.0 = 12; (1.0 + 0.99)/2 x 24 = 23.88.
    expected = 12.0 + 23.88 + 0.99 * 159.528 / LN2
    assert time_integrated_activity([24.0, 48.0], [1.0, 0.99]) == pytest.approx(expected)


def test_tail_uses_physical_decay_when_activity_still_rises() -> None:
    # 0.5 x 2 x 1 = 1; (1 + 2)/2 x 2 = 3; tail 2 x 159.528 / ln 2.
    expected = 1.0 + 3.0 + 2.0 * 159.528 / LN2
    assert time_integrated_activity([2.0, 4.0], [1.0, 2.0]) == pytest.approx(expected)


def test_tail_uses_physical_decay_when_activity_is_flat() -> None:
    expected = 1.0 + 2.0 + 1.0 * 159.528 / LN2
    assert time_integrated_activity([2.0, 4.0], [1.0, 1.0]) == pytest.approx(expected)


def test_tail_after_a_zero_activity_uses_physical_decay() -> None:
    # A_{n-1} = 0: ln(0 / A_n) undefined; 0 + (0 + 1)/2 x 2 = 1 and tail 1 / lambda_phys.
    expected = 1.0 + 1.0 * 159.528 / LN2
    assert time_integrated_activity([2.0, 4.0], [0.0, 1.0]) == pytest.approx(expected)


def test_no_tail_when_last_activity_is_zero() -> None:
    # 0.5 x 2 x 1 = 1; (1 + 0)/2 x 2 = 1; nothing left after the last point.
    assert time_integrated_activity([2.0, 4.0], [1.0, 0.0]) == pytest.approx(2.0)
    assert time_integrated_activity([2.0, 4.0], [0.0, 0.0]) == 0.0


def test_first_scan_at_time_zero() -> None:
    # Zero-width first trapezoid; (2 + 1)/2 x 10 = 15; tail: lambda_eff = ln 2 / 10 > lambda_phys,
    # so 1 x 10 / ln 2.
    expected = 15.0 + 10.0 / LN2
    assert time_integrated_activity([0.0, 10.0], [2.0, 1.0]) == pytest.approx(expected)


def test_time_integrated_activity_with_another_half_life() -> None:
    # 68Ga-like half-life 1.1285 h: lambda_phys = 0.61422 /h beats lambda_eff = ln(1/0.9)/1.
    # 0.5 x 1 x 1 = 0.5; (1 + 0.9)/2 x 1 = 0.95; tail 0.9 x 1.1285 / ln 2.
    expected = 0.5 + 0.95 + 0.9 * (67.71 / 60) / LN2
    tia = time_integrated_activity([1.0, 2.0], [1.0, 0.9], GA68_HALF_LIFE_H)
    assert tia == pytest.approx(expected)


BAD_CURVES = [
    pytest.param([1.0, 2.0], [1.0], id="lengths differ"),
    pytest.param([1.0], [1.0], id="one point"),
    pytest.param([], [], id="no points"),
    pytest.param([2.0, 1.0], [1.0, 0.5], id="unsorted"),
    pytest.param([1.0, 1.0], [1.0, 0.5], id="duplicate time"),
    pytest.param([4.0, 24.0, 20.0], [1.0, 0.9, 0.8], id="unsorted later"),
    pytest.param([-1.0, 2.0], [1.0, 0.5], id="negative time"),
    pytest.param([1.0, 2.0], [1.0, -0.5], id="negative activity"),
    pytest.param([1.0, 2.0], [1.0, math.nan], id="NaN activity"),
    pytest.param([1.0, math.inf], [1.0, 0.5], id="infinite time"),
]


@pytest.mark.parametrize(("times", "activities"), BAD_CURVES)
def test_time_integrated_activity_rejects_bad_curves(
    times: list[float], activities: list[float]
) -> None:
    with pytest.raises(ValueError):
        time_integrated_activity(times, activities)
    with pytest.raises(ValueError):
        residence_time(times, activities, 7400.0)


@pytest.mark.parametrize("half_life_h", [0.0, -159.528])
def test_time_integrated_activity_rejects_bad_half_life(half_life_h: float) -> None:
    with pytest.raises(ValueError):
        time_integrated_activity(EXAMPLE_TIMES, EXAMPLE_ACTIVITIES, half_life_h)


@pytest.mark.parametrize("administered", [0.0, -7400.0, math.nan])
def test_residence_time_rejects_non_positive_administered_activity(administered: float) -> None:
    with pytest.raises(ValueError):
        residence_time(EXAMPLE_TIMES, EXAMPLE_ACTIVITIES, administered)


# --- Time-integrated activity, second method ------------------------------------------------


@pytest.mark.req("CALC.MONOEXP")
def test_mono_exponential_worked_example() -> None:
    a0, decay_constant = fit_mono_exponential(EXAMPLE_TIMES, EXAMPLE_ACTIVITIES)
    assert a0 == pytest.approx(1.0455, abs=5e-5)
    assert decay_constant == pytest.approx(0.0074561, abs=5e-8)
    tia = mono_exponential_tia(EXAMPLE_TIMES, EXAMPLE_ACTIVITIES)
    assert tia == pytest.approx(140.22, abs=0.005)


@pytest.mark.req("CALC.MONOEXP")
def test_mono_exponential_worked_example_by_hand_least_squares() -> None:
    # Independent OLS of ln A on t: slope = Sxy / Sxx, intercept = mean(ln A) - slope x mean(t).
    logs = [math.log(a) for a in EXAMPLE_ACTIVITIES]
    mean_t = sum(EXAMPLE_TIMES) / 4  # 67
    mean_log = sum(logs) / 4
    sxx = sum((t - mean_t) ** 2 for t in EXAMPLE_TIMES)  # 15840
    sxy = sum((t - mean_t) * (y - mean_log) for t, y in zip(EXAMPLE_TIMES, logs, strict=True))
    expected_lambda = -sxy / sxx
    expected_a0 = math.exp(mean_log + expected_lambda * mean_t)
    a0, decay_constant = fit_mono_exponential(EXAMPLE_TIMES, EXAMPLE_ACTIVITIES)
    assert decay_constant == pytest.approx(expected_lambda, rel=1e-12)
    assert a0 == pytest.approx(expected_a0, rel=1e-12)


def test_mono_exponential_cross_check_is_about_1_1_percent_below() -> None:
    difference = percent_difference(141.74961717760215, 140.22454847194035)
    assert difference == pytest.approx(-1.0759, abs=1e-4)
    trapezoid = time_integrated_activity(EXAMPLE_TIMES, EXAMPLE_ACTIVITIES)
    mono = mono_exponential_tia(EXAMPLE_TIMES, EXAMPLE_ACTIVITIES)
    assert round(percent_difference(trapezoid, mono), 1) == -1.1


@pytest.mark.parametrize("times", [[1.0, 5.0], [2.0, 24.0, 48.0, 96.0], [0.0, 10.0, 20.0, 200.0]])
def test_mono_exponential_recovers_an_exact_curve(times: list[float]) -> None:
    a0, decay_constant = 50.0, 0.02  # 0.02 /h > lambda_phys 0.004345 /h
    activities = [a0 * math.exp(-decay_constant * t) for t in times]
    fitted_a0, fitted_lambda = fit_mono_exponential(times, activities)
    assert fitted_a0 == pytest.approx(a0, rel=1e-9)
    assert fitted_lambda == pytest.approx(decay_constant, rel=1e-9)
    assert mono_exponential_tia(times, activities) == pytest.approx(a0 / decay_constant, rel=1e-9)


@pytest.mark.req("CALC.MONOEXP")
def test_mono_exponential_slower_than_physical_decay_gets_lambda_phys() -> None:
    # lambda 0.001 /h < lambda_phys. With lambda_phys imposed:
    # ln A0 = mean(ln 10 - 0.001 t + lambda_phys t) = ln 10 + (lambda_phys - 0.001) x mean(t).
    times = [24.0, 48.0, 96.0]
    activities = [10.0 * math.exp(-0.001 * t) for t in times]
    expected_a0 = 10.0 * math.exp((LAMBDA_PHYS_LU177 - 0.001) * 56.0)
    a0, decay_constant = fit_mono_exponential(times, activities)
    assert decay_constant == pytest.approx(LAMBDA_PHYS_LU177, rel=1e-12)
    assert a0 == pytest.approx(expected_a0, rel=1e-9)
    expected_tia = expected_a0 / LAMBDA_PHYS_LU177
    assert mono_exponential_tia(times, activities) == pytest.approx(expected_tia, rel=1e-9)


def test_mono_exponential_rising_curve_gets_lambda_phys() -> None:
    # Peak 4.0 at 8 h (first of the tie), flat afterwards: fitted lambda 0 < lambda_phys.
    # ln A0 = ln 4 + lambda_phys x mean(8, 16) = ln 4 + 12 lambda_phys.
    a0, decay_constant = fit_mono_exponential([2.0, 8.0, 16.0], [1.0, 4.0, 4.0])
    assert decay_constant == pytest.approx(LAMBDA_PHYS_LU177)
    assert a0 == pytest.approx(4.0 * math.exp(12.0 * LAMBDA_PHYS_LU177))


def test_mono_exponential_fits_from_the_peak_onwards() -> None:
    # Uptake point at 1 h (0.2) is ignored; from the 4-h peak the curve is 8 e^(-0.05 (t - 4)),
    # i.e. A0 = 8 e^0.2, lambda 0.05.
    times = [1.0, 4.0, 10.0, 30.0]
    activities = [0.2] + [8.0 * math.exp(-0.05 * (t - 4.0)) for t in times[1:]]
    a0, decay_constant = fit_mono_exponential(times, activities)
    assert decay_constant == pytest.approx(0.05, rel=1e-9)
    assert a0 == pytest.approx(8.0 * math.exp(0.2), rel=1e-9)


def test_mono_exponential_tied_peak_keeps_the_first() -> None:
    # Peak 5.0 at 2 h and 4 h: the fit starts at 2 h and keeps three points.
    # ln A = ln 5 - ln 2 x [0, 0, 1]; t - mean(t) = -8/3, -2/3, 10/3; Sxx = 168/9;
    # Sxy = -ln 2 x 10/3, so lambda = ln 2 x (10/3) / (168/9) = ln 2 x 5/28 = 0.12378 /h
    # (starting at 4 h instead would give ln 2 / 4 = 0.1733 /h).
    _, decay_constant = fit_mono_exponential([2.0, 4.0, 8.0], [5.0, 5.0, 2.5])
    assert decay_constant == pytest.approx(LN2 * 5 / 28)


@pytest.mark.parametrize(("times", "activities"), BAD_CURVES)
def test_mono_exponential_rejects_bad_curves(times: list[float], activities: list[float]) -> None:
    with pytest.raises(ValueError):
        fit_mono_exponential(times, activities)
    with pytest.raises(ValueError):
        mono_exponential_tia(times, activities)


@pytest.mark.parametrize(
    ("times", "activities"),
    [
        pytest.param([4.0, 24.0], [0.5, 1.0], id="peak is the last point"),
        pytest.param([4.0, 24.0, 72.0], [0.5, 0.6, 0.9], id="still rising"),
        pytest.param([4.0, 24.0, 72.0], [1.0, 0.5, 0.0], id="zero activity after the peak"),
    ],
)
def test_mono_exponential_rejects_unusable_points(
    times: list[float], activities: list[float]
) -> None:
    with pytest.raises(ValueError):
        mono_exponential_tia(times, activities)


def test_mono_exponential_ignores_a_zero_before_the_peak() -> None:
    # The zero at 1 h precedes the peak, so it is not used; 2 -> 1 over 10 h: lambda = ln 2 / 10.
    a0, decay_constant = fit_mono_exponential([1.0, 4.0, 14.0], [0.0, 2.0, 1.0])
    assert decay_constant == pytest.approx(LN2 / 10)
    assert a0 == pytest.approx(2.0 * 2 ** (4 / 10))


def test_mono_exponential_rejects_bad_half_life() -> None:
    with pytest.raises(ValueError):
        mono_exponential_tia(EXAMPLE_TIMES, EXAMPLE_ACTIVITIES, 0.0)


# --- Percent difference ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(100.0, 99.0, -1.0), (100.0, 110.0, 10.0), (50.0, 50.0, 0.0), (200.0, 150.0, -25.0)],
)
def test_percent_difference(a: float, b: float, expected: float) -> None:
    assert percent_difference(a, b) == pytest.approx(expected)


def test_percent_difference_rejects_zero_reference() -> None:
    with pytest.raises(ValueError):
        percent_difference(0.0, 1.0)
