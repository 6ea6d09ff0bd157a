"""Clinical calculations used by the eligibility rules (PROTOCOL.md section 5).

Pure functions, standard library only, so they can be tested and reused outside Django.
"""

from __future__ import annotations

from decimal import Decimal

# Shared with the dose advice: defined once in trial/calculations.py, named here too.
from trial.calculations import (  # noqa: E402, F401
    CG_AGE_CONSTANT,
    CG_DIVISOR,
    CG_FEMALE_FACTOR,
    CREATININE_UMOL_PER_MG_DL,
    SEXES,
    age_in_years,
    cockcroft_gault,
    meets,
    shown,
    shown_against,
)

# Child-Pugh bands: the values named here belong to the 2-point band (PROTOCOL.md section 5).
CP_BILIRUBIN_2_POINTS_UMOL_L = (34.0, 51.0)
CP_ALBUMIN_2_POINTS_G_L = (28.0, 35.0)
CP_INR_2_POINTS = (1.7, 2.3)
CP_ASCITES_POINTS = {"none": 1, "mild": 2, "moderate-severe": 3}
CP_ENCEPHALOPATHY_POINTS = {"none": 1, "grade 1-2": 2, "grade 3-4": 3}
CP_CLASS_A_MAX = 6
CP_CLASS_B_MAX = 9


def _require_positive(**values: float) -> None:
    for name, value in values.items():
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value!r}")


def _band_points(value: float, two_point_band: tuple[float, float], higher_is_worse: bool) -> int:
    low, high = two_point_band
    if low <= value <= high:
        return 2
    is_worse = value > high if higher_is_worse else value < low
    return 3 if is_worse else 1


def _category_points(name: str, value: str, points: dict[str, int]) -> int:
    if value not in points:
        raise ValueError(f"{name} must be one of {sorted(points)}, got {value!r}")
    return points[value]


def child_pugh(
    bilirubin_umol_l: float, albumin_g_l: float, inr: float, ascites: str, encephalopathy: str
) -> tuple[int, str]:
    """Child-Pugh score (5-15) and class ("A", "B" or "C")."""
    _require_positive(bilirubin_umol_l=bilirubin_umol_l, albumin_g_l=albumin_g_l, inr=inr)
    score = (
        _band_points(bilirubin_umol_l, CP_BILIRUBIN_2_POINTS_UMOL_L, higher_is_worse=True)
        + _band_points(albumin_g_l, CP_ALBUMIN_2_POINTS_G_L, higher_is_worse=False)
        + _band_points(inr, CP_INR_2_POINTS, higher_is_worse=True)
        + _category_points("ascites", ascites, CP_ASCITES_POINTS)
        + _category_points("encephalopathy", encephalopathy, CP_ENCEPHALOPATHY_POINTS)
    )
    if score <= CP_CLASS_A_MAX:
        return score, "A"
    if score <= CP_CLASS_B_MAX:
        return score, "B"
    return score, "C"


def uln_multiple(value: float, uln: float) -> float:
    """A lab value as a multiple of the lab's upper limit of normal."""
    if uln <= 0:
        raise ValueError(f"uln must be positive, got {uln!r}")
    if value < 0:
        raise ValueError(f"value must not be negative, got {value!r}")
    return value / uln


# --- Stored derived values of the screening forms (run by trial.actions.save_crf) -----------

BILIRUBIN_UMOL_PER_MG_DL = Decimal("17.1")  # PROTOCOL.md section 3
MG_DL = "mg/dL"


def bilirubin_umol_l(value: Decimal | None, unit: str | None) -> Decimal | None:
    """Bilirubin in µmol/L from the value and unit typed (1 mg/dL = 17.1 µmol/L), exact: its
    column keeps every decimal of the product."""
    if value is None:
        return None
    if unit == MG_DL:
        return value * BILIRUBIN_UMOL_PER_MG_DL
    return value


def child_pugh_of(
    bilirubin: Decimal | None,
    albumin: Decimal | None,
    inr: Decimal | None,
    ascites: str | None,
    encephalopathy: str | None,
) -> tuple[int, str] | None:
    """Child-Pugh (score, class) when all five items are usable, else None.

    Called on the values as stored (bilirubin in µmol/L, exact from the value typed), so that
    the page, the database and the eligibility rules give the same score.
    """
    if bilirubin is None or albumin is None or inr is None or not ascites or not encephalopathy:
        return None
    try:
        return child_pugh(float(bilirubin), float(albumin), float(inr), ascites, encephalopathy)
    except ValueError:  # a zero typed: the field reports it
        return None


BILIRUBIN_PLACES = 1  # bilirubin in µmol/L is shown with 1 decimal, more beside a band edge


def bilirubin_shown(umol_l: Decimal) -> Decimal:
    """Bilirubin in µmol/L as shown beside its Child-Pugh bands: 1 decimal, more when that would
    read in another band than the exact value scores in (33.96 is 33.96, never 34.0, and
    scores 1 point; 51.04 is 51.0, still 2 points)."""
    low, high = CP_BILIRUBIN_2_POINTS_UMOL_L
    first = shown_against(umol_l, "<", low, BILIRUBIN_PLACES)
    # Rounding to more places only comes closer to the exact value: the first edge still agrees.
    places = -int(first.as_tuple().exponent)
    return shown_against(umol_l, ">", high, places)


def counted(rows: list | None, complete: bool) -> int | None:
    """How many rows a group has; a draft with none has not been counted yet."""
    count = len(rows or [])
    return count if (count or complete) else None
