"""Imaging and dosimetry calculations (PROTOCOL.md section 5: decay, enhancement ratio,
time-integrated activity and residence time, and its mono-exponential cross-check).

Pure functions, standard library only, so they can be tested and reused outside Django. A
refused input raises trial.problems.Problem (a code and its values; imaging/problems.py words
it on the pages). Decay and the net activity given are trial/decay.py's, shared with dosing.

Units: times and half-lives in hours, activities in MBq, time-integrated activity in MBq·h,
residence time in hours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from trial.calculations import meets, shown_against
from trial.decay import GA68_HALF_LIFE_H, LU177_HALF_LIFE_H, decay, decay_constant
from trial.problems import Problem

# The gate is decided on the exact patient ratio (PROTOCOL.md section 5, Thresholds): the float
# at 9 significant digits, so binary noise (3.3 / 1.1 == 2.9999999999999996) counts as the 3 it
# is, and 2.99689 is below 3. A ratio is shown with two decimals, more when two would read as
# the other side of the threshold (2.99689 is shown 2.997, never 3.00).
RATIO_DECIMALS = 2
ENHANCEMENT_GATE_THRESHOLD = 3.0

MIN_CURVE_POINTS = 2


def _require_positive(name: str, value: float) -> None:
    if not value > 0:  # also rejects NaN
        raise Problem(
            f"{name}_not_positive", f"{name} must be positive, got %(value)s", value=value
        )


def _require_not_negative(name: str, value: float) -> None:
    if not value >= 0:  # also rejects NaN
        raise Problem(
            f"{name}_negative", f"{name} must not be negative, got %(value)s", value=value
        )


# --- 68Ga residue ---------------------------------------------------------------------------


def ga68_residue_fraction(elapsed_h: float) -> float:
    """Fraction of a 68Ga activity still present after elapsed_h hours."""
    _require_not_negative("elapsed_h", elapsed_h)
    return decay(1.0, elapsed_h, GA68_HALF_LIFE_H)


def hours_until_residue_below(fraction: float, half_life_h: float) -> float:
    """Hours for an activity to decay to the given fraction: T½ × log2(1 / fraction).

    For 68Ga and 0.2 % this is about 10.12 h (the PET-IV is set at least 10 h after the PET-IAH,
    which leaves 0.215 %).
    """
    if not 0 < fraction < 1:
        raise Problem(
            "fraction_out_of_range",
            "fraction must be between 0 and 1 (exclusive), got %(value)s",
            value=fraction,
        )
    decay_constant(half_life_h)
    return half_life_h * math.log2(1 / fraction)


# --- Enhancement ratio ----------------------------------------------------------------------


def lesion_enhancement_ratios(suv_iah: Sequence[float], suv_iv: Sequence[float]) -> list[float]:
    """Per index lesion ER = SUVmax(IAH) / SUVmax(IV), in lesion order."""
    if len(suv_iah) != len(suv_iv):
        raise Problem(
            "lesion_count_mismatch",
            "%(iah)s IAH values but %(iv)s IV values",
            iah=len(suv_iah),
            iv=len(suv_iv),
        )
    if not suv_iah:
        raise Problem("no_lesion_values", "no lesion values")
    for number, (iah, iv) in enumerate(zip(suv_iah, suv_iv, strict=True), start=1):
        # A zero or negative SUV is a measurement error, and a zero IV value would divide by zero.
        # The problem is built only for a value refused (the study view checks hundreds).
        for code, scan, value in (("lesion_suv_iah", "IAH", iah), ("lesion_suv_iv", "IV", iv)):
            if not value > 0:
                raise Problem(
                    f"{code}_not_positive",
                    f"lesion %(n)s SUV {scan} must be positive, got %(value)s",
                    n=number,
                    value=value,
                )
    return [iah / iv for iah, iv in zip(suv_iah, suv_iv, strict=True)]


def patient_enhancement_ratio(suv_iah: Sequence[float], suv_iv: Sequence[float]) -> float:
    """Patient ER: arithmetic mean of the lesion ratios.

    The protocol defines it only when all 5 index lesions are present; checking that every lesion
    is entered belongs to the form, which knows the lesion slots.
    """
    ratios = lesion_enhancement_ratios(suv_iah, suv_iv)
    return math.fsum(ratios) / len(ratios)


def gate_met(patient_ratio: float, threshold: float = ENHANCEMENT_GATE_THRESHOLD) -> bool:
    """Gate reached when the exact patient ER (9 significant digits) is ≥ threshold."""
    _require_positive("patient_ratio", patient_ratio)
    return meets(patient_ratio, ">=", threshold)


def ratio_shown(ratio: float, threshold: float = ENHANCEMENT_GATE_THRESHOLD) -> Decimal:
    """A ratio as shown beside the gate's threshold: RATIO_DECIMALS, more when those would read
    as the other side (2.99689 -> 2.997, 2.9999 -> 2.9999, 3.0 -> 3.00, 3.804 -> 3.80)."""
    return shown_against(ratio, ">=", threshold, RATIO_DECIMALS)


# --- Time-integrated activity (MIRD) --------------------------------------------------------


def _validate_curve(times_h: Sequence[float], activities_mbq: Sequence[float]) -> None:
    if len(times_h) != len(activities_mbq):
        raise Problem(
            "curve_length_mismatch",
            "%(times)s times but %(activities)s activities",
            times=len(times_h),
            activities=len(activities_mbq),
        )
    if len(times_h) < MIN_CURVE_POINTS:
        raise Problem(
            "too_few_points",
            "at least %(needed)s points needed, got %(got)s",
            needed=MIN_CURVE_POINTS,
            got=len(times_h),
        )
    for time, activity in zip(times_h, activities_mbq, strict=True):
        _require_not_negative("time_h", time)
        _require_not_negative("activity_mbq", activity)
        if not (math.isfinite(time) and math.isfinite(activity)):
            raise Problem(
                "point_not_finite",
                "time and activity must be finite, got %(time)s, %(activity)s",
                time=time,
                activity=activity,
            )
    # Sorting silently would hide a mistyped time; two scans at the same time are a duplicate.
    for earlier, later in zip(times_h, times_h[1:], strict=False):
        if not later > earlier:
            raise Problem(
                "times_not_increasing",
                "times must be strictly increasing, got %(earlier)s then %(later)s",
                earlier=earlier,
                later=later,
            )


def time_integrated_activity(
    times_h: Sequence[float],
    activities_mbq: Sequence[float],
    half_life_h: float = LU177_HALF_LIFE_H,
) -> float:
    """Time-integrated activity (MBq·h): trapezoids from A(0) = 0 through the last point, plus
    a tail A_n / max(λ_eff, λ_phys).

    Activities are as present at scan time (not decay-corrected).
    """
    _validate_curve(times_h, activities_mbq)
    lambda_phys = decay_constant(half_life_h)
    points = [(0.0, 0.0), *zip(times_h, activities_mbq, strict=True)]
    # A first scan at t = 0 makes a zero-width first trapezoid, so its measured value is used.
    area = math.fsum(
        (a0 + a1) / 2 * (t1 - t0) for (t0, a0), (t1, a1) in zip(points, points[1:], strict=False)
    )
    return area + _tail(times_h, activities_mbq, lambda_phys)


def _tail(times_h: Sequence[float], activities_mbq: Sequence[float], lambda_phys: float) -> float:
    a_prev, a_last = activities_mbq[-2], activities_mbq[-1]
    if a_last == 0:
        # Nothing left to integrate (λ_eff would be infinite).
        return 0.0
    if a_prev <= a_last:
        # Still rising or flat: λ_eff is not positive (or ln 0 is undefined), and the activity
        # cannot clear more slowly than physical decay, so only λ_phys applies.
        return a_last / lambda_phys
    lambda_eff = math.log(a_prev / a_last) / (times_h[-1] - times_h[-2])
    return a_last / max(lambda_eff, lambda_phys)


def residence_time(
    times_h: Sequence[float],
    activities_mbq: Sequence[float],
    administered_mbq: float,
    half_life_h: float = LU177_HALF_LIFE_H,
) -> float:
    """Residence time (h) = time-integrated activity / net administered activity."""
    _require_positive("administered_mbq", administered_mbq)
    return time_integrated_activity(times_h, activities_mbq, half_life_h) / administered_mbq


# --- Time-integrated activity, second method (mono-exponential cross-check) -----------------


def fit_mono_exponential(
    times_h: Sequence[float],
    activities_mbq: Sequence[float],
    half_life_h: float = LU177_HALF_LIFE_H,
) -> tuple[float, float]:
    """(A0 in MBq, λ per hour) of A(t) = A0 · e^(-λt), fitted by ordinary least squares to ln A
    over the points from the highest activity onwards.

    When the fitted λ is below λ_phys (biologically impossible: nothing clears more slowly than
    it decays), λ = λ_phys and ln A0 = mean(ln A_i + λ_phys · t_i), the least-squares intercept
    for that fixed slope.
    """
    _validate_curve(times_h, activities_mbq)
    lambda_phys = decay_constant(half_life_h)
    # The uptake phase before the peak is not exponential decay; the first peak keeps the most
    # points when two scans tie.
    peak = max(range(len(activities_mbq)), key=lambda i: (activities_mbq[i], -i))
    times = list(times_h[peak:])
    activities = list(activities_mbq[peak:])
    if len(times) < MIN_CURVE_POINTS:
        raise Problem(
            "too_few_points_after_peak",
            "at least %(needed)s points needed from the highest activity onwards, got %(got)s",
            needed=MIN_CURVE_POINTS,
            got=len(times),
        )
    for time, activity in zip(times, activities, strict=True):
        if activity <= 0:
            raise Problem(
                "fit_activity_not_positive",
                "activity used in the fit must be positive, got %(value)s at %(time)s",
                value=activity,
                time=time,
            )
    logs = [math.log(activity) for activity in activities]
    mean_t = math.fsum(times) / len(times)
    mean_log = math.fsum(logs) / len(logs)
    # Times are strictly increasing, so this is never zero.
    sxx = math.fsum((t - mean_t) ** 2 for t in times)
    sxy = math.fsum((t - mean_t) * (y - mean_log) for t, y in zip(times, logs, strict=True))
    lambda_fit = -sxy / sxx
    if lambda_fit < lambda_phys:
        log_a0 = math.fsum(y + lambda_phys * t for t, y in zip(times, logs, strict=True)) / len(
            times
        )
        return math.exp(log_a0), lambda_phys
    return math.exp(mean_log + lambda_fit * mean_t), lambda_fit


def mono_exponential_tia(
    times_h: Sequence[float],
    activities_mbq: Sequence[float],
    half_life_h: float = LU177_HALF_LIFE_H,
) -> float:
    """Time-integrated activity (MBq·h) of the fitted mono-exponential: A0 / λ."""
    a0, decay_constant = fit_mono_exponential(times_h, activities_mbq, half_life_h)
    return a0 / decay_constant


def percent_difference(a: float, b: float) -> float:
    """Difference of b from a, as a percentage of a: (b - a) / a × 100.

    For the cross-check, a is the trapezoid result and b the mono-exponential one, so a negative
    value means the second method gives less.
    """
    if a == 0:
        raise Problem("reference_zero", "reference value a must not be zero")
    return (b - a) / a * 100
