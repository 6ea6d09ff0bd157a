"""Imaging and dosimetry calculations (PROTOCOL.md section 5: decay, enhancement ratio,
time-integrated activity and residence time, its mono-exponential cross-check with the fit's
uncertainty, the single-time-point estimate and the absorbed dose).

Pure functions, standard library only, so they can be tested and reused outside Django. A
refused input raises trial.problems.Problem (a code and its values; imaging/problems.py words
it on the pages). Decay and the net activity given are trial/decay.py's, shared with dosing.

Units: times and half-lives in hours, activities in MBq, time-integrated activity in MBq·h,
residence time in hours, volumes in mL, densities in g/mL, absorbed doses in Gy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
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
# The fit's covariance needs a residual degree of freedom: n - 2 ≥ 1.
MIN_UNCERTAINTY_POINTS = 3


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


@dataclass(frozen=True)
class MonoFit:
    """A mono-exponential A(t) = A0 · e^(-λt) fitted by OLS to ln A (intercept b0 = ln A0,
    slope b1 = -λ). `fixed`: the fitted λ was below λ_phys and was set to it. The covariance
    (s² scaled) is None where the protocol leaves it undefined: two points, or λ fixed."""

    a0: float
    decay_per_h: float
    points: int
    fixed: bool
    var_b0: float | None = None
    var_b1: float | None = None
    cov_b0_b1: float | None = None

    @property
    def tia(self) -> float:
        return self.a0 / self.decay_per_h

    @property
    def has_covariance(self) -> bool:
        return self.var_b0 is not None

    def log_sd_at(self, t_h: float) -> float | None:
        """Standard deviation of ln A(t) on the fitted curve (the ±1 SD band), or None."""
        if self.var_b0 is None or self.var_b1 is None or self.cov_b0_b1 is None:
            return None
        variance = self.var_b0 + t_h * t_h * self.var_b1 + 2 * t_h * self.cov_b0_b1
        return math.sqrt(max(variance, 0.0))


def mono_exponential_fit(
    times_h: Sequence[float],
    activities_mbq: Sequence[float],
    half_life_h: float = LU177_HALF_LIFE_H,
) -> MonoFit:
    """The mono-exponential fitted by ordinary least squares to ln A over the points from the
    highest activity onwards, with the OLS covariance of (b0, b1) when n ≥ 3 (Gear et al.,
    EANM 2018).

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
    n = len(times)
    logs = [math.log(activity) for activity in activities]
    mean_t = math.fsum(times) / n
    mean_log = math.fsum(logs) / n
    # Times are strictly increasing, so this is never zero.
    sxx = math.fsum((t - mean_t) ** 2 for t in times)
    sxy = math.fsum((t - mean_t) * (y - mean_log) for t, y in zip(times, logs, strict=True))
    slope = sxy / sxx
    if -slope < lambda_phys:
        log_a0 = math.fsum(y + lambda_phys * t for t, y in zip(times, logs, strict=True)) / n
        return MonoFit(math.exp(log_a0), lambda_phys, n, fixed=True)
    intercept = mean_log - slope * mean_t
    if n < MIN_UNCERTAINTY_POINTS:
        return MonoFit(math.exp(intercept), -slope, n, fixed=False)
    residuals = math.fsum(
        (y - intercept - slope * t) ** 2 for t, y in zip(times, logs, strict=True)
    )
    s2 = residuals / (n - 2)
    return MonoFit(
        math.exp(intercept),
        -slope,
        n,
        fixed=False,
        var_b0=s2 * (1 / n + mean_t * mean_t / sxx),
        var_b1=s2 / sxx,
        cov_b0_b1=-s2 * mean_t / sxx,
    )


def fit_mono_exponential(
    times_h: Sequence[float],
    activities_mbq: Sequence[float],
    half_life_h: float = LU177_HALF_LIFE_H,
) -> tuple[float, float]:
    """(A0 in MBq, λ per hour) of the fitted mono-exponential (mono_exponential_fit)."""
    fit = mono_exponential_fit(times_h, activities_mbq, half_life_h)
    return fit.a0, fit.decay_per_h


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


def exact(value: float) -> float:
    """A computed value as thresholds decide on it (PROTOCOL.md section 5, Thresholds): the
    float rounded to 9 significant digits, which removes binary noise and nothing else."""
    return float(f"{value:.9g}")


# --- Uncertainty, single time point, absorbed dose (PROTOCOL.md section 5) ------------------


def relative_uncertainty(fit: MonoFit) -> float | None:
    """Relative standard deviation (a fraction) of the fit's TIA, A0 / λ: the OLS covariance
    propagated, var(b0) + var(b1) / λ² + 2 · cov(b0, b1) / λ. None where undefined."""
    if fit.fixed or fit.var_b0 is None or fit.var_b1 is None or fit.cov_b0_b1 is None:
        return None
    lam = fit.decay_per_h
    variance = fit.var_b0 + fit.var_b1 / (lam * lam) + 2 * fit.cov_b0_b1 / lam
    # A positive semi-definite form: a negative value is rounding on an exact exponential.
    return math.sqrt(max(variance, 0.0))


def mono_exponential_uncertainty(
    times_h: Sequence[float],
    activities: Sequence[float],
    half_life_h: float = LU177_HALF_LIFE_H,
) -> float | None:
    """Relative standard deviation (a fraction: 0.05 is ±5 %) of the mono-exponential
    time-integrated activity (Gear et al., EANM 2018). None with two fitted points, or when λ
    was set to λ_phys; raises Problem (a ValueError) on a curve the fit refuses."""
    return relative_uncertainty(mono_exponential_fit(times_h, activities, half_life_h))


# Hänscheid et al., J Nucl Med 2018: the single time point is meaningful from 72 h to 144 h;
# the one closest to 96 h is used.
SINGLE_TIME_POINT_H = (72, 144)
SINGLE_TIME_POINT_TARGET_H = 96


def single_time_point_tia(t_h: float, activity: float) -> float | None:
    """Time-integrated activity (MBq·h) ≈ A(t) · 2t / ln 2 from one scan t_h hours after the
    infusion; None outside 72 to 144 h (bounds included), where it is not computed."""
    if not (math.isfinite(t_h) and math.isfinite(activity)):
        raise Problem(
            "point_not_finite",
            "time and activity must be finite, got %(time)s, %(activity)s",
            time=t_h,
            activity=activity,
        )
    _require_not_negative("activity_mbq", activity)
    low, high = SINGLE_TIME_POINT_H
    if not low <= t_h <= high:
        return None
    return activity * 2 * t_h / math.log(2)


def single_time_point_index(times_h: Sequence[float]) -> int | None:
    """The index of the scan closest to 96 h, among those from 72 to 144 h, or None. Two
    equally close (72 h and 120 h) give the earlier: the protocol is silent, and the earlier
    scan is the one Hänscheid's approximation was validated nearer to."""
    low, high = SINGLE_TIME_POINT_H
    usable = [i for i, t in enumerate(times_h) if low <= t <= high]
    if not usable:
        return None
    return min(usable, key=lambda i: (abs(times_h[i] - SINGLE_TIME_POINT_TARGET_H), i))


# 177Lu: mean energy of its electrons (β- and conversion/Auger) per decay, deposited locally
# (EJNMMI Phys 2020, table 1).
LU177_ELECTRON_ENERGY_EV = 147.9e3
ELEMENTARY_CHARGE_J_PER_EV = 1.602176634e-19
DECAYS_PER_MBQ_H = 1e6 * 3600
DEFAULT_DENSITY_G_ML = 1.06  # soft tissue, unless the SPECT/CT form gives one


def absorbed_dose_gy(
    tia_mbq_h: float, volume_ml: float, density_g_ml: float = DEFAULT_DENSITY_G_ML
) -> float:
    """Absorbed dose (Gy) by local energy deposition: decays × 147.9 keV / mass (kg), the mass
    being volume × density. 100 MBq·h in 10 mL at 1.06 g/mL gives 0.8048 Gy."""
    for name, value in (("tia_mbq_h", tia_mbq_h), ("volume_ml", volume_ml)):
        if not math.isfinite(value):
            raise Problem(
                f"{name}_not_finite", f"{name} must be finite, got %(value)s", value=value
            )
    _require_not_negative("tia_mbq_h", tia_mbq_h)
    _require_positive("volume_ml", volume_ml)
    _require_positive("density_g_ml", density_g_ml)
    if not math.isfinite(density_g_ml):
        raise Problem(
            "density_g_ml_not_finite",
            "density_g_ml must be finite, got %(value)s",
            value=density_g_ml,
        )
    energy_j = tia_mbq_h * DECAYS_PER_MBQ_H * LU177_ELECTRON_ENERGY_EV * ELEMENTARY_CHARGE_J_PER_EV
    mass_kg = volume_ml * density_g_ml / 1000
    return energy_j / mass_kg


def dose_per_gbq(dose_gy: float, administered_mbq: float) -> float:
    """Gy per GBq of the net administered activity."""
    _require_positive("administered_mbq", administered_mbq)
    return dose_gy / (administered_mbq / 1000)
