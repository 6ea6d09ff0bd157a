"""Radioactive decay and the net activity given, for the dosing (177Lu, the IAH dose) and the
imaging (68Ga PETs, SPECT/CT dosimetry) apps: PROTOCOL.md section 5, "Decay".

Pure Python, standard library only. Times in hours, activities in any one unit (MBq or GBq).
"""

from __future__ import annotations

import math

from trial.problems import Problem

LU177_HALF_LIFE_H = 159.528  # 6.647 d
GA68_HALF_LIFE_MIN = 67.71
GA68_HALF_LIFE_H = GA68_HALF_LIFE_MIN / 60


def decay_constant(half_life_h: float) -> float:
    """λ = ln 2 / T½ (per hour)."""
    if not (math.isfinite(half_life_h) and half_life_h > 0):
        raise Problem(
            "half_life_not_positive",
            "half_life_h must be positive, got %(value)s",
            value=half_life_h,
        )
    return math.log(2) / half_life_h


def decay(activity: float, elapsed_h: float, half_life_h: float) -> float:
    """Activity after elapsed_h hours: A(t) = A0 × 2^(-Δt / T½).

    A negative elapsed_h corrects backwards in time (the activity was higher earlier).
    """
    if not (math.isfinite(activity) and activity >= 0):
        raise Problem(
            "activity_negative", "activity must not be negative, got %(value)s", value=activity
        )
    decay_constant(half_life_h)
    if not math.isfinite(elapsed_h):
        raise Problem(
            "elapsed_not_finite", "elapsed_h must be finite, got %(value)s", value=elapsed_h
        )
    return activity * 2 ** (-elapsed_h / half_life_h)


def net_activity(
    measured: float,
    measured_before_h: float,
    residual: float,
    residual_after_h: float,
    half_life_h: float = LU177_HALF_LIFE_H,
) -> float:
    """The activity given, at the moment of injection (or the infusion start): the activity
    measured `measured_before_h` hours before, decayed forwards, minus the residual measured
    `residual_after_h` hours after, decayed backwards (it was larger then). Both intervals are
    durations, not negative. A result of nothing or less is refused: a data-entry error, and a
    residence time divided by it would mean nothing."""
    for name, value in (
        ("measured_before_h", measured_before_h),
        ("residual_after_h", residual_after_h),
        ("residual", residual),
    ):
        if not (math.isfinite(value) and value >= 0):
            raise Problem(
                "net_input_negative",
                "%(name)s must not be negative, got %(value)s",
                name=name,
                value=value,
            )
    if not (math.isfinite(measured) and measured > 0):
        raise Problem(
            "measured_not_positive",
            "measured activity must be positive, got %(value)s",
            value=measured,
        )
    at_injection = decay(measured, measured_before_h, half_life_h)
    residual_at_injection = decay(residual, -residual_after_h, half_life_h)
    net = at_injection - residual_at_injection
    if net <= 0:
        raise Problem(
            "residual_not_below_measured",
            "residual (%(residual)s at injection) is not below the measured activity "
            "(%(measured)s at injection)",
            residual=residual_at_injection,
            measured=at_injection,
        )
    return net
