"""Clinical calculations used by the eligibility rules (PROTOCOL.md section 5).

Pure functions, standard library only, so they can be tested and reused outside Django.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CREATININE_UMOL_PER_MG_DL = 88.4
CG_AGE_CONSTANT = 140
CG_DIVISOR = 72
CG_FEMALE_FACTOR = 0.85

# Child-Pugh bands: the values named here belong to the 2-point band (PROTOCOL.md section 5).
CP_BILIRUBIN_2_POINTS_UMOL_L = (34.0, 51.0)
CP_ALBUMIN_2_POINTS_G_L = (28.0, 35.0)
CP_INR_2_POINTS = (1.7, 2.3)
CP_ASCITES_POINTS = {"none": 1, "mild": 2, "moderate-severe": 3}
CP_ENCEPHALOPATHY_POINTS = {"none": 1, "grade 1-2": 2, "grade 3-4": 3}
CP_CLASS_A_MAX = 6
CP_CLASS_B_MAX = 9

SEXES = ("F", "M")


def _require_positive(**values: float) -> None:
    for name, value in values.items():
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value!r}")


def cockcroft_gault(age_years: int, weight_kg: float, creatinine_umol_l: float, sex: str) -> float:
    """Creatinine clearance in mL/min (Cockcroft & Gault, Nephron 1976;16:31-41)."""
    if sex not in SEXES:
        raise ValueError(f"sex must be 'F' or 'M', got {sex!r}")
    _require_positive(age_years=age_years, weight_kg=weight_kg, creatinine_umol_l=creatinine_umol_l)
    # The formula gives a zero or negative clearance from age 140: that is a data error, not a
    # clearance.
    if age_years >= CG_AGE_CONSTANT:
        raise ValueError(f"age_years must be below {CG_AGE_CONSTANT}, got {age_years!r}")
    creatinine_mg_dl = creatinine_umol_l / CREATININE_UMOL_PER_MG_DL
    clearance = (CG_AGE_CONSTANT - age_years) * weight_kg / (CG_DIVISOR * creatinine_mg_dl)
    return clearance * CG_FEMALE_FACTOR if sex == "F" else clearance


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


def age_in_years(born: date, on: date) -> int:
    """Completed years of age on a given date."""
    if on < born:
        raise ValueError(f"date {on} is before birth date {born}")
    # Comparing (month, day) tuples means someone born on 29 February turns a year older on
    # 1 March in non-leap years, the usual legal reading (no 29 February that year).
    birthday_not_reached = (on.month, on.day) < (born.month, born.day)
    return on.year - born.year - int(birthday_not_reached)


def uln_multiple(value: float, uln: float) -> float:
    """A lab value as a multiple of the lab's upper limit of normal."""
    if uln <= 0:
        raise ValueError(f"uln must be positive, got {uln!r}")
    if value < 0:
        raise ValueError(f"value must not be negative, got {value!r}")
    return value / uln


def shown(value: float | Decimal | int, places: int) -> Decimal:
    """A value rounded half-up to `places` decimals: the number displayed, and the number every
    threshold is decided on, so a clearance shown as 50.0 never fails "at least 50".

    A float goes through its shortest repr (49.99999999999999 -> 50.0 at one place), the
    same rounding as dosing.labs.quantize.
    """
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
