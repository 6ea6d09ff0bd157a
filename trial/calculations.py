"""Clinical calculations several apps use (age, creatinine clearance): pure functions, no
Django, so that the domain apps share them without importing each other."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CREATININE_UMOL_PER_MG_DL = 88.4
CG_AGE_CONSTANT = 140
CG_DIVISOR = 72
CG_FEMALE_FACTOR = 0.85

SEXES = ("F", "M")
# The creatinine clearance is shown, and decided on, with one decimal (eligibility I6, and
# the dose advice's renal toxicity).
CLEARANCE_PLACES = 1


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


def age_in_years(born: date, on: date) -> int:
    """Completed years of age on a given date."""
    if on < born:
        raise ValueError(f"date {on} is before birth date {born}")
    # Comparing (month, day) tuples means someone born on 29 February turns a year older on
    # 1 March in non-leap years, the usual legal reading (no 29 February that year).
    birthday_not_reached = (on.month, on.day) < (born.month, born.day)
    return on.year - born.year - int(birthday_not_reached)


def shown(value: float | Decimal | int, places: int) -> Decimal:
    """A value rounded half-up to `places` decimals: the number displayed, and the number every
    threshold is decided on, so a clearance shown as 50.0 never fails "at least 50".

    A float goes through its shortest repr (49.99999999999999 -> 50.0 at one place), the
    same rounding as dosing.labs.quantize.
    """
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
