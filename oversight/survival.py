"""Kaplan-Meier estimates, by a published implementation: statsmodels' SurvfuncRight.

No Django. The median and its 95 % confidence interval are statsmodels' own
(`quantile`, `quantile_ci`, Brookmeyer-Crowley with the complementary log-log transform);
tests/oversight/test_survival.py checks them against the textbook 6-MP example (Freireich
et al. 1963, as in Klein and Moeschberger: median 23 weeks, 95 % CI from 13 weeks).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class KaplanMeier:
    # The step function: (time, survival just after it), starting at (0, 1).
    steps: list[tuple[float, float]]
    # Censoring times with the survival at each (the ticks on the curve).
    censored: list[tuple[float, float]]
    median: float | None  # None: the curve never reaches 0.5
    ci_low: float | None
    ci_high: float | None  # None: not reached (infinite upper bound)
    n: int
    events: int


def kaplan_meier(times: Sequence[float], events: Sequence[bool]) -> KaplanMeier | None:
    """The estimate of right-censored times (`events`: True for an event, False when
    censored); None with no time at all."""
    if not times:
        return None
    if len(times) != len(events):
        raise ValueError("times and events differ in length")
    # statsmodels pulls in scipy: heavy, imported only when a curve is drawn.
    import numpy as np
    from statsmodels.duration.survfunc import SurvfuncRight

    time = np.asarray(times, dtype=float)
    status = np.asarray([1 if e else 0 for e in events], dtype=int)
    if not status.any():
        return KaplanMeier(
            [(0.0, 1.0)], _ticks(time, status, [], []), None, None, None, len(time), 0
        )
    fitted = SurvfuncRight(time, status)
    step_times = [float(t) for t in fitted.surv_times]
    step_probs = [float(p) for p in fitted.surv_prob]
    steps = [(0.0, 1.0), *zip(step_times, step_probs, strict=True)]
    # The transform's log of 0 or 1 at the curve's ends is statsmodels' business (it gives
    # an infinite bound, read as "not reached"), not a warning for the reader.
    with np.errstate(divide="ignore", invalid="ignore"):
        median = _finite(fitted.quantile(0.5))
        low, high = fitted.quantile_ci(0.5, alpha=0.05, method="cloglog")
    return KaplanMeier(
        steps,
        _ticks(time, status, step_times, step_probs),
        median,
        _finite(low),
        _finite(high),
        len(time),
        int(status.sum()),
    )


def _finite(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def _ticks(
    time: object, status: object, step_times: list[float], step_probs: list[float]
) -> list[tuple[float, float]]:
    found = []
    for t, s in zip(time, status, strict=True):  # type: ignore[call-overload]
        if s:
            continue
        survival = 1.0
        for st, sp in zip(step_times, step_probs, strict=True):
            if st <= t:
                survival = sp
        found.append((float(t), survival))
    return sorted(found)
