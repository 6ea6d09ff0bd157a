"""The dosimetry of one volume of interest after the IAH dose (PROTOCOL.md section 5), as the
dosimetry page, the casebook PDF, the physicist's signed review and the SDTM XD domain show it:
the time-integrated activity by three methods (trapezoids and tail; mono-exponential fit with
its uncertainty; single time point), the absorbed dose of each in Gy and Gy/GBq, and the flags.

Pure (no Django): numbers in, a `RegionDosimetry` out. A method that cannot be computed keeps
its refusal (a Problem) beside it, never hides it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from imaging import calculations as calc
from trial.calculations import meets
from trial.decay import LU177_HALF_LIFE_H, decay_constant
from trial.problems import Problem

# EANM (Gear et al. 2018): a relative uncertainty above 50 % is flagged.
UNCERTAINTY_FLAG = 0.5
# Two methods' time-integrated activities differing by more than 20 % (of the trapezoid
# result, the reference) are flagged: look at the curve.
METHODS_DIFFER_PERCENT = 20.0
TRAPEZOIDS, MONO, SINGLE = "trapezoids", "mono", "single"
METHODS = (TRAPEZOIDS, MONO, SINGLE)


@dataclass
class MethodResult:
    """One method's time-integrated activity and what follows from it."""

    method: str
    tia: float | None = None
    problem: Problem | None = None
    dose_gy: float | None = None
    gy_per_gbq: float | None = None
    # Percent difference from the trapezoid result (None for the trapezoids themselves).
    difference: float | None = None
    above_kidney_limit: bool = False


@dataclass
class RegionDosimetry:
    name: str
    times_h: tuple[float, ...]
    activities: tuple[float, ...]
    volume_ml: float | None
    density_g_ml: float
    density_entered: bool
    administered_mbq: float | None
    methods: dict[str, MethodResult] = field(default_factory=dict)
    residence_h: float | None = None
    fit: calc.MonoFit | None = None
    uncertainty: float | None = None
    # The scan the single-time-point estimate used (hours after the infusion).
    single_time_h: float | None = None
    tail_lambda: float | None = None
    dose_problem: Problem | None = None
    kidney: bool = False

    @property
    def mass_g(self) -> float | None:
        return None if self.volume_ml is None else self.volume_ml * self.density_g_ml

    @property
    def uncertainty_flag(self) -> bool:
        return self.uncertainty is not None and meets(self.uncertainty, ">", UNCERTAINTY_FLAG)

    @property
    def methods_flag(self) -> bool:
        return any(
            m.difference is not None and meets(abs(m.difference), ">", METHODS_DIFFER_PERCENT)
            for m in self.methods.values()
        )

    @property
    def kidney_flag(self) -> bool:
        return any(m.above_kidney_limit for m in self.methods.values())

    @property
    def flagged(self) -> bool:
        return self.uncertainty_flag or self.methods_flag or self.kidney_flag


def _tail_lambda(times: Sequence[float], activities: Sequence[float]) -> float:
    lambda_phys = decay_constant(LU177_HALF_LIFE_H)
    if len(activities) >= 2 and activities[-1] > 0 and activities[-2] > activities[-1]:
        rate = math.log(activities[-2] / activities[-1]) / (times[-1] - times[-2])
        return max(rate, lambda_phys)
    return lambda_phys


def region_dosimetry(
    name: str,
    times_h: Sequence[float],
    activities: Sequence[float],
    *,
    volume_ml: float | None,
    density_g_ml: float | None,
    administered_mbq: float | None,
    kidney: bool = False,
    kidney_limit_gy: float | None = None,
) -> RegionDosimetry:
    """Everything the dosimetry shows for one volume of interest. `density_g_ml` None is the
    default 1.06 g/mL; `kidney_limit_gy` flags a kidney dose above it (exact comparison)."""
    result = RegionDosimetry(
        name,
        tuple(times_h),
        tuple(activities),
        volume_ml,
        calc.DEFAULT_DENSITY_G_ML if density_g_ml is None else density_g_ml,
        density_g_ml is not None,
        administered_mbq,
        kidney=kidney,
    )
    trapezoids = MethodResult(TRAPEZOIDS)
    try:
        trapezoids.tia = calc.time_integrated_activity(times_h, activities)
        result.tail_lambda = _tail_lambda(times_h, activities)
        if administered_mbq:
            result.residence_h = trapezoids.tia / administered_mbq
    except Problem as problem:
        trapezoids.problem = problem
    mono = MethodResult(MONO)
    try:
        result.fit = calc.mono_exponential_fit(times_h, activities)
        mono.tia = result.fit.tia
        result.uncertainty = calc.relative_uncertainty(result.fit)
    except Problem as problem:
        mono.problem = problem
    single = MethodResult(SINGLE)
    index = calc.single_time_point_index(times_h)
    if index is None:
        single.problem = Problem(
            "no_single_time_point",
            "no scan from %(low)s h to %(high)s h after the infusion",
            low=calc.SINGLE_TIME_POINT_H[0],
            high=calc.SINGLE_TIME_POINT_H[1],
        )
    else:
        try:
            single.tia = calc.single_time_point_tia(times_h[index], activities[index])
            result.single_time_h = times_h[index]
        except Problem as problem:
            single.problem = problem
    result.methods = {TRAPEZOIDS: trapezoids, MONO: mono, SINGLE: single}
    for method in (mono, single):
        if method.tia is not None and trapezoids.tia:
            method.difference = calc.percent_difference(trapezoids.tia, method.tia)
    if volume_ml is None:
        return result
    for method in result.methods.values():
        if method.tia is None:
            continue
        try:
            method.dose_gy = calc.absorbed_dose_gy(method.tia, volume_ml, result.density_g_ml)
        except Problem as problem:
            result.dose_problem = problem
            continue
        if administered_mbq:
            method.gy_per_gbq = calc.dose_per_gbq(method.dose_gy, administered_mbq)
        if kidney and kidney_limit_gy is not None:
            method.above_kidney_limit = meets(method.dose_gy, ">", kidney_limit_gy)
    return result


def curve(
    points: Sequence[Mapping[str, Any]], name: str, infusion: datetime
) -> tuple[list[float], list[float]]:
    """One volume's (hours after the infusion, MBq) of the time points that have an
    acquisition time and a value for it, in time-point order."""
    pairs = [
        ((p["acquired_at"] - infusion).total_seconds() / 3600, float(p[name]))
        for p in points
        if p.get("acquired_at") is not None and p.get(name) is not None
    ]
    return [t for t, _a in pairs], [a for _t, a in pairs]


def regions(
    names: Sequence[str],
    points: Sequence[Mapping[str, Any]],
    infusion: datetime,
    volumes: Mapping[str, tuple[Any, Any]],
    administered_mbq: float | None,
    *,
    kidneys: frozenset[str] = frozenset(),
    kidney_limit_gy: float | None = None,
) -> list[RegionDosimetry]:
    """Every volume of interest's dosimetry, in `names` order. `points`: each time point's
    values by item name; `volumes`: (volume mL, density g/mL or None) by volume name, as
    entered (Decimal or float)."""
    found = []
    for name in names:
        times, activities = curve(points, name, infusion)
        volume, density = volumes.get(name, (None, None))
        found.append(
            region_dosimetry(
                name,
                times,
                activities,
                volume_ml=None if volume is None else float(volume),
                density_g_ml=None if density is None else float(density),
                administered_mbq=administered_mbq,
                kidney=name in kidneys,
                kidney_limit_gy=kidney_limit_gy,
            )
        )
    return found


def decimals_against(value: float, threshold: float, decimals: int) -> int:
    """The decimals to show `value` with so that its display reads on the side of
    `threshold` the exact comparison decided (PROTOCOL.md section 5, Thresholds): 23.0004 Gy
    against 23 is shown 23.0004, not 23.00, when it is flagged; 22.996 is shown 22.996, not
    the 23.00 that would read as the limit itself."""
    exact = calc.exact(value)
    above = exact > threshold
    for shown in range(decimals, 10):
        rounded = round(exact, shown)
        if (rounded > threshold) == above and (rounded != threshold or exact == threshold):
            return shown
    return 9
