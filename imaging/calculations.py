"""Imaging and dosimetry calculations (PROTOCOL.md section 5: decay, enhancement ratio,
time-integrated activity and residence time, and its mono-exponential cross-check).

Pure functions, standard library only, so they can be tested and reused outside Django.

Units: times and half-lives in hours, activities in MBq, time-integrated activity in MBq·h,
residence time in hours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

LU177_HALF_LIFE_H = 159.528  # 6.647 d
GA68_HALF_LIFE_H = 67.71 / 60  # 67.71 min

# The gate is decided on the ratio as displayed (two decimals), so a mean that float arithmetic
# lands just below the threshold (3.3 / 1.1 == 2.9999999999999996) counts as the 3.00 shown on
# the screen, and the investigator never signs a "3.00, not met".
RATIO_DECIMALS = 2
ENHANCEMENT_GATE_THRESHOLD = 3.0

MIN_CURVE_POINTS = 2


def _require_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:  # also rejects NaN
            raise ValueError(f"{name} must be positive, got {value!r}")


def _require_not_negative(**values: float) -> None:
    for name, value in values.items():
        if not value >= 0:  # also rejects NaN
            raise ValueError(f"{name} must not be negative, got {value!r}")


def _decay_constant(half_life_h: float) -> float:
    _require_positive(half_life_h=half_life_h)
    return math.log(2) / half_life_h


# --- Decay ----------------------------------------------------------------------------------


def decay(activity: float, elapsed_h: float, half_life_h: float) -> float:
    """Activity after elapsed_h hours: A0 × 2^(-Δt / T½).

    A negative elapsed_h corrects backwards in time (the activity was higher earlier).
    """
    _require_not_negative(activity=activity)
    _require_positive(half_life_h=half_life_h)
    if not math.isfinite(elapsed_h):
        raise ValueError(f"elapsed_h must be finite, got {elapsed_h!r}")
    return activity * 2 ** (-elapsed_h / half_life_h)


def net_injected_activity(
    measured_mbq: float,
    measured_before_injection_h: float,
    residual_mbq: float,
    residual_after_injection_h: float,
    half_life_h: float = LU177_HALF_LIFE_H,
) -> float:
    """Net activity injected, at injection time (MBq).

    Sign conventions, both intervals given as non-negative durations:
    - measured_mbq is the syringe measured measured_before_injection_h hours *before* the
      injection; it is decayed forwards to injection time, × 2^(-Δt / T½).
    - residual_mbq is what was left in the syringe and lines, measured residual_after_injection_h
      hours *after* the injection; it is decayed backwards to injection time, × 2^(+Δt / T½),
      since it was larger at injection time than when it was measured.
    """
    _require_not_negative(
        measured_before_injection_h=measured_before_injection_h,
        residual_after_injection_h=residual_after_injection_h,
        residual_mbq=residual_mbq,
    )
    _require_positive(measured_mbq=measured_mbq)
    at_injection = decay(measured_mbq, measured_before_injection_h, half_life_h)
    residual_at_injection = decay(residual_mbq, -residual_after_injection_h, half_life_h)
    net = at_injection - residual_at_injection
    # Nothing (or less than nothing) injected is a data-entry error, and a residence time divided
    # by it would be meaningless.
    if net <= 0:
        raise ValueError(
            f"residual ({residual_at_injection!r} MBq at injection) is not below the measured "
            f"activity ({at_injection!r} MBq at injection)"
        )
    return net


def ga68_residue_fraction(elapsed_h: float) -> float:
    """Fraction of a 68Ga activity still present after elapsed_h hours."""
    _require_not_negative(elapsed_h=elapsed_h)
    return decay(1.0, elapsed_h, GA68_HALF_LIFE_H)


def hours_until_residue_below(fraction: float, half_life_h: float) -> float:
    """Hours for an activity to decay to the given fraction: T½ × log2(1 / fraction).

    For 68Ga and 0.2 % this is about 10.12 h (the PET-IV is set at least 10 h after the PET-IAH,
    which leaves 0.215 %).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be between 0 and 1 (exclusive), got {fraction!r}")
    _require_positive(half_life_h=half_life_h)
    return half_life_h * math.log2(1 / fraction)


# --- Enhancement ratio ----------------------------------------------------------------------


def lesion_enhancement_ratios(suv_iah: Sequence[float], suv_iv: Sequence[float]) -> list[float]:
    """Per index lesion ER = SUVmax(IAH) / SUVmax(IV), in lesion order."""
    if len(suv_iah) != len(suv_iv):
        raise ValueError(f"{len(suv_iah)} IAH values but {len(suv_iv)} IV values")
    if not suv_iah:
        raise ValueError("no lesion values")
    for number, (iah, iv) in enumerate(zip(suv_iah, suv_iv, strict=True), start=1):
        # A zero or negative SUV is a measurement error, and a zero IV value would divide by zero.
        # The message is built only for a value refused (the study view checks hundreds).
        if not (iah > 0 and iv > 0):
            _require_positive(**{f"lesion {number} SUV IAH": iah, f"lesion {number} SUV IV": iv})
    return [iah / iv for iah, iv in zip(suv_iah, suv_iv, strict=True)]


def patient_enhancement_ratio(suv_iah: Sequence[float], suv_iv: Sequence[float]) -> float:
    """Patient ER: arithmetic mean of the lesion ratios.

    The protocol defines it only when all 5 index lesions are present; checking that every lesion
    is entered belongs to the form, which knows the lesion slots.
    """
    ratios = lesion_enhancement_ratios(suv_iah, suv_iv)
    return math.fsum(ratios) / len(ratios)


def gate_met(patient_ratio: float, threshold: float = ENHANCEMENT_GATE_THRESHOLD) -> bool:
    """Gate reached when the patient ER, rounded to RATIO_DECIMALS as displayed, is ≥ threshold.

    round() gives the same digits as the f"{ratio:.2f}" display (both round the exact binary
    value), so what is shown and what is decided cannot disagree.
    """
    _require_positive(patient_ratio=patient_ratio)
    return round(patient_ratio, RATIO_DECIMALS) >= threshold


# --- Time-integrated activity (MIRD) --------------------------------------------------------


def _validate_curve(times_h: Sequence[float], activities_mbq: Sequence[float]) -> None:
    if len(times_h) != len(activities_mbq):
        raise ValueError(f"{len(times_h)} times but {len(activities_mbq)} activities")
    if len(times_h) < MIN_CURVE_POINTS:
        raise ValueError(f"at least {MIN_CURVE_POINTS} points needed, got {len(times_h)}")
    for time, activity in zip(times_h, activities_mbq, strict=True):
        _require_not_negative(time_h=time, activity_mbq=activity)
        if not (math.isfinite(time) and math.isfinite(activity)):
            raise ValueError(f"time and activity must be finite, got {time!r}, {activity!r}")
    # Sorting silently would hide a mistyped time; two scans at the same time are a duplicate.
    for earlier, later in zip(times_h, times_h[1:], strict=False):
        if not later > earlier:
            raise ValueError(f"times must be strictly increasing, got {earlier!r} then {later!r}")


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
    lambda_phys = _decay_constant(half_life_h)
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
    _require_positive(administered_mbq=administered_mbq)
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
    lambda_phys = _decay_constant(half_life_h)
    # The uptake phase before the peak is not exponential decay; the first peak keeps the most
    # points when two scans tie.
    peak = max(range(len(activities_mbq)), key=lambda i: (activities_mbq[i], -i))
    times = list(times_h[peak:])
    activities = list(activities_mbq[peak:])
    if len(times) < MIN_CURVE_POINTS:
        raise ValueError(
            f"at least {MIN_CURVE_POINTS} points needed from the highest activity onwards, "
            f"got {len(times)}"
        )
    for time, activity in zip(times, activities, strict=True):
        if activity <= 0:
            raise ValueError(
                f"activity used in the fit must be positive, got {activity!r} at {time}"
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
        raise ValueError("reference value a must not be zero")
    return (b - a) / a * 100
