"""The dosimetry's pure functions (PROTOCOL.md section 5): the mono-exponential fit's
uncertainty, the single-time-point estimate and the absorbed dose, against the worked
example, at their limits, and against an implementation apart from the product's (numpy's
least squares and its own covariance)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from imaging import calculations as calc
from imaging import dosimetry
from trial.problems import Problem

TIMES = (4.0, 24.0, 72.0, 168.0)
EXAMPLE = (1.00, 0.90, 0.60, 0.30)
LAMBDA_PHYS = math.log(2) / 159.528


def numpy_uncertainty(times, activities) -> tuple[float, float, float]:
    """(A0, λ, relative SD of A0/λ) by numpy: OLS of ln A on [1, t], the covariance
    s² (XᵀX)⁻¹, and the gradient of ln(A0/λ) = b0 - ln(-b1) through it."""
    t = np.asarray(times, dtype=float)
    y = np.log(np.asarray(activities, dtype=float))
    design = np.column_stack([np.ones_like(t), t])
    beta, residuals, _rank, _sv = np.linalg.lstsq(design, y, rcond=None)
    rss = float(residuals[0]) if residuals.size else float(np.sum((y - design @ beta) ** 2))
    covariance = rss / (len(t) - 2) * np.linalg.inv(design.T @ design)
    gradient = np.array([1.0, -1.0 / beta[1]])
    return math.exp(beta[0]), -beta[1], math.sqrt(gradient @ covariance @ gradient)


# --- the worked example ----------------------------------------------------------------------


@pytest.mark.req("CALC.FIT_UNCERTAINTY", "CALC.MONOEXP")
def test_the_worked_example_fit_and_its_uncertainty():
    fit = calc.mono_exponential_fit(TIMES, EXAMPLE)
    assert fit.a0 == pytest.approx(1.0455, abs=5e-5)
    assert fit.decay_per_h == pytest.approx(0.0074561, abs=5e-8)
    assert fit.tia == pytest.approx(140.22, abs=0.005)
    a0, lam, relative = numpy_uncertainty(TIMES, EXAMPLE)
    assert (fit.a0, fit.decay_per_h) == pytest.approx((a0, lam), rel=1e-12)
    assert calc.mono_exponential_uncertainty(TIMES, EXAMPLE) == pytest.approx(relative, rel=1e-9)
    assert calc.mono_exponential_uncertainty(TIMES, EXAMPLE) == pytest.approx(0.019415, abs=1e-6)


@pytest.mark.req("CALC.SINGLE_TIME_POINT")
def test_the_worked_example_single_time_point_is_the_72_h_scan():
    assert calc.single_time_point_index(TIMES) == 2
    assert calc.single_time_point_tia(72, 0.60) == pytest.approx(0.60 * 144 / math.log(2))
    assert calc.single_time_point_tia(72, 0.60) == pytest.approx(124.65, abs=0.005)


@pytest.mark.req("CALC.ABSORBED_DOSE")
def test_the_absorbed_dose_example_of_the_protocol():
    assert calc.absorbed_dose_gy(100, 10) == pytest.approx(0.8048, abs=5e-5)
    # Independently: decays × energy per decay in joules / kg.
    joules = 100 * 1e6 * 3600 * 147.9e3 * 1.602176634e-19
    assert calc.absorbed_dose_gy(100, 10) == pytest.approx(joules / 0.0106, rel=1e-12)
    assert calc.absorbed_dose_gy(100, 10, 1.0) == pytest.approx(joules / 0.010, rel=1e-12)


def test_gy_per_gbq():
    assert calc.dose_per_gbq(1.4808, 7400) == pytest.approx(0.2001, abs=1e-4)
    with pytest.raises(ValueError):
        calc.dose_per_gbq(1.0, 0)


# --- against numpy on other curves -------------------------------------------------------------


@pytest.mark.req("CALC.FIT_UNCERTAINTY")
@pytest.mark.parametrize(
    "times, activities",
    [
        ((4, 24, 72, 168), (1.0, 0.9, 0.6, 0.3)),
        ((4, 24, 72, 168), (55.0, 48.1, 20.2, 3.1)),
        ((2, 20, 70, 150, 200), (300.0, 250.0, 120.0, 40.0, 25.0)),
        ((24, 72, 168), (10.0, 7.0, 2.0)),
        ((5, 25, 71, 167), (180.85, 160.0, 95.5, 40.25)),
    ],
)
def test_the_uncertainty_agrees_with_numpy(times, activities):
    a0, lam, relative = numpy_uncertainty(times, activities)
    fit = calc.mono_exponential_fit(times, activities)
    assert not fit.fixed
    assert fit.a0 == pytest.approx(a0, rel=1e-10)
    assert fit.decay_per_h == pytest.approx(lam, rel=1e-10)
    assert calc.mono_exponential_uncertainty(times, activities) == pytest.approx(relative, rel=1e-8)


def test_the_band_is_the_covariance_at_each_time():
    """The ±1 SD band of the curve: var ln A(t) = var b0 + t² var b1 + 2t cov, as numpy's
    [1, t] C [1, t]ᵀ."""
    fit = calc.mono_exponential_fit(TIMES, EXAMPLE)
    t = np.asarray(TIMES)
    y = np.log(np.asarray(EXAMPLE))
    design = np.column_stack([np.ones_like(t), t])
    beta = np.linalg.lstsq(design, y, rcond=None)[0]
    rss = float(np.sum((y - design @ beta) ** 2))
    covariance = rss / 2 * np.linalg.inv(design.T @ design)
    for at in (0.0, 50.0, 240.0):
        vector = np.array([1.0, at])
        assert fit.log_sd_at(at) == pytest.approx(math.sqrt(vector @ covariance @ vector))


# --- limits ---------------------------------------------------------------------------------


def test_points_on_an_exponential_have_no_uncertainty():
    times = (4, 24, 72, 168)
    activities = tuple(50 * math.exp(-0.02 * t) for t in times)
    assert calc.mono_exponential_uncertainty(times, activities) == pytest.approx(0, abs=1e-7)


@pytest.mark.req("CALC.FIT_UNCERTAINTY")
def test_two_fitted_points_have_no_uncertainty():
    # The peak is at 72 h: the fit keeps 72 h and 168 h only.
    assert calc.mono_exponential_uncertainty((4, 24, 72, 168), (0.2, 0.5, 0.9, 0.4)) is None
    assert calc.mono_exponential_uncertainty((24, 96), (2.0, 1.0)) is None


def test_three_fitted_points_are_enough():
    assert calc.mono_exponential_uncertainty((24, 72, 168), (2.0, 1.5, 0.6)) is not None


@pytest.mark.req("CALC.FIT_UNCERTAINTY")
def test_lambda_set_to_the_physical_decay_has_no_uncertainty():
    # Cleared more slowly than 177Lu decays: λ is set to λ_phys, the covariance does not apply.
    activities = tuple(10 * math.exp(-0.5 * LAMBDA_PHYS * t) for t in TIMES)
    fit = calc.mono_exponential_fit(TIMES, activities)
    assert fit.fixed and fit.decay_per_h == pytest.approx(LAMBDA_PHYS)
    assert calc.mono_exponential_uncertainty(TIMES, activities) is None
    assert fit.log_sd_at(10) is None


def test_the_uncertainty_refuses_what_the_fit_refuses():
    with pytest.raises(ValueError):
        calc.mono_exponential_uncertainty((4, 24), (1.0, 2.0))  # one point from the peak
    with pytest.raises(ValueError):
        calc.mono_exponential_uncertainty((4, 24, 72), (1.0, 0.0, 0.5))


@pytest.mark.req("CALC.SINGLE_TIME_POINT")
@pytest.mark.parametrize(
    "hours, computed", [(71.99, False), (72, True), (96, True), (144, True), (144.01, False)]
)
def test_the_single_time_point_window_includes_72_and_144_h(hours, computed):
    assert (calc.single_time_point_tia(hours, 1.0) is not None) is computed


def test_the_single_time_point_refuses_a_negative_or_infinite_activity():
    with pytest.raises(ValueError):
        calc.single_time_point_tia(96, -1.0)
    with pytest.raises(ValueError):
        calc.single_time_point_tia(96, math.nan)
    assert calc.single_time_point_tia(96, 0.0) == 0.0


def test_the_scan_closest_to_96_h_is_chosen_and_the_earlier_on_a_tie():
    assert calc.single_time_point_index((4, 24, 100, 168)) == 2
    assert calc.single_time_point_index((72, 120)) == 0
    assert calc.single_time_point_index((4, 24, 168)) is None


@pytest.mark.parametrize("volume", [0.0, -1.0, math.nan])
def test_the_dose_refuses_a_volume_not_positive(volume):
    with pytest.raises(ValueError):
        calc.absorbed_dose_gy(100, volume)


@pytest.mark.req("CALC.ABSORBED_DOSE")
def test_the_dose_refuses_a_negative_tia_and_a_density_not_positive():
    with pytest.raises(Problem) as refused:
        calc.absorbed_dose_gy(-0.01, 10)
    assert refused.value.code == "tia_mbq_h_negative"
    with pytest.raises(ValueError):
        calc.absorbed_dose_gy(100, 10, 0)
    assert calc.absorbed_dose_gy(0, 10) == 0.0


# --- one volume's dosimetry and its flags ---------------------------------------------------


def test_a_region_has_three_methods_doses_and_no_flag_on_the_example():
    region = dosimetry.region_dosimetry(
        "act_liver", TIMES, EXAMPLE, volume_ml=10, density_g_ml=None, administered_mbq=7400
    )
    trapezoids = region.methods[dosimetry.TRAPEZOIDS]
    assert trapezoids.tia == pytest.approx(141.75, abs=0.005)
    assert region.residence_h == pytest.approx(0.019155, abs=5e-7)
    assert trapezoids.dose_gy == pytest.approx(calc.absorbed_dose_gy(trapezoids.tia, 10))
    assert trapezoids.gy_per_gbq == pytest.approx(trapezoids.dose_gy / 7.4)
    assert region.methods[dosimetry.MONO].difference == pytest.approx(-1.08, abs=0.01)
    assert region.methods[dosimetry.SINGLE].difference == pytest.approx(-12.06, abs=0.01)
    assert region.density_g_ml == 1.06 and not region.density_entered
    assert not region.flagged


def _with_difference(difference: float) -> dosimetry.RegionDosimetry:
    region = dosimetry.region_dosimetry(
        "x", TIMES, EXAMPLE, volume_ml=None, density_g_ml=None, administered_mbq=None
    )
    region.methods[dosimetry.SINGLE].difference = difference
    return region


@pytest.mark.req("CALC.ABSORBED_DOSE", "CALC.THRESHOLDS")
def test_methods_differing_by_more_than_20_percent_are_flagged_not_at_20():
    assert not _with_difference(20.0).methods_flag
    assert not _with_difference(-20.0).methods_flag
    # Binary noise of an exact 20 % is not "more than 20 %" (decided on 9 digits).
    assert not _with_difference(20.000000000001).methods_flag
    assert _with_difference(20.001).methods_flag
    assert _with_difference(-20.001).methods_flag
    # A steep last point makes the single time point and the fit disagree with the trapezoids.
    assert dosimetry.region_dosimetry(
        "x", TIMES, (1.0, 0.9, 0.6, 0.05), volume_ml=None, density_g_ml=None, administered_mbq=None
    ).methods_flag


@pytest.mark.req("CALC.ABSORBED_DOSE", "CALC.THRESHOLDS")
def test_a_kidney_dose_above_the_limit_is_flagged_and_not_at_it():
    region = dosimetry.region_dosimetry(
        "act_kidney_l",
        TIMES,
        EXAMPLE,
        volume_ml=1,
        density_g_ml=1.0,
        administered_mbq=7400,
        kidney=True,
        kidney_limit_gy=1.0,
    )
    assert region.kidney_flag
    dose = region.methods[dosimetry.TRAPEZOIDS].dose_gy
    at_limit = dosimetry.region_dosimetry(
        "act_kidney_l",
        TIMES,
        EXAMPLE,
        volume_ml=1,
        density_g_ml=1.0,
        administered_mbq=7400,
        kidney=True,
        kidney_limit_gy=calc.exact(max(m.dose_gy for m in region.methods.values())),
    )
    assert not at_limit.kidney_flag
    assert dose is not None
    not_kidney = dosimetry.region_dosimetry(
        "act_spleen", TIMES, EXAMPLE, volume_ml=1, density_g_ml=1.0, administered_mbq=7400
    )
    assert not not_kidney.kidney_flag


@pytest.mark.req("CALC.FIT_UNCERTAINTY", "CALC.THRESHOLDS")
def test_an_uncertainty_above_50_percent_is_flagged():
    noisy = dosimetry.region_dosimetry(
        "x",
        (4, 24, 72, 168),
        (10.0, 1.0, 9.0, 0.5),
        volume_ml=None,
        density_g_ml=None,
        administered_mbq=None,
    )
    assert noisy.uncertainty is not None and noisy.uncertainty > 0.5
    assert noisy.uncertainty_flag
    assert not dosimetry.region_dosimetry(
        "x", TIMES, EXAMPLE, volume_ml=None, density_g_ml=None, administered_mbq=None
    ).uncertainty_flag


def test_no_volume_no_dose_and_the_refusals_are_kept():
    region = dosimetry.region_dosimetry(
        "x", (4.0,), (1.0,), volume_ml=None, density_g_ml=None, administered_mbq=7400
    )
    assert region.methods[dosimetry.TRAPEZOIDS].problem.code == "too_few_points"
    assert region.methods[dosimetry.SINGLE].problem.code == "no_single_time_point"
    assert all(m.dose_gy is None for m in region.methods.values())


def test_a_display_agrees_with_the_threshold_decision():
    assert dosimetry.decimals_against(23.0004, 23, 2) == 4
    assert dosimetry.decimals_against(22.996, 23, 2) == 3
    assert dosimetry.decimals_against(25.0, 23, 2) == 2
