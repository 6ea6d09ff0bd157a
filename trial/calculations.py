"""Clinical calculations several apps use (age, creatinine clearance): pure functions, no
Django, so that the domain apps share them without importing each other."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CREATININE_UMOL_PER_MG_DL = 88.4
CG_AGE_CONSTANT = 140
CG_DIVISOR = 72
CG_FEMALE_FACTOR = 0.85

SEXES = ("F", "M")
# The creatinine clearance is shown with one decimal (eligibility I6, and the dose advice's
# renal toxicity), more when one decimal would read as the other side of its threshold.
CLEARANCE_PLACES = 1
# PROTOCOL.md section 5, Thresholds: a float is decided on at 9 significant digits, which
# removes binary noise (49.99999999999999 is 50) and nothing a person entered or computed.
SIGNIFICANT_DIGITS = 9
# Decimals added at most to a displayed value to agree with its decision: a value computed
# at 9 significant digits agrees at its own last digit long before.
MAX_EXTRA_PLACES = 12
_EXACT_FORMAT = f".{SIGNIFICANT_DIGITS}g"


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


@functools.lru_cache(maxsize=64)
def _quantum(places: int) -> Decimal:
    # Built once per number of places: a page shows thousands of values at a handful of them.
    return Decimal(1).scaleb(-places)


def shown(value: float | Decimal | int, places: int) -> Decimal:
    """A value rounded half-up to `places` decimals, for display only: a threshold is decided
    on `exact(value)` (`meets`), and a value shown beside its threshold is `shown_against`.

    A float goes through its shortest repr (49.99999999999999 -> 50.0 at one place).
    """
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return number.quantize(_quantum(places), rounding=ROUND_HALF_UP)


Number = float | Decimal | int
COMPARISONS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


def exact(value: Number) -> Decimal:
    """The value a threshold is decided on (PROTOCOL.md section 5, Thresholds): a Decimal or an
    integer as it is, a float at 9 significant digits (binary noise removed, never a display
    rounding: 2.99689 stays 2.99689, 2.9999999999999996 is 3)."""
    if isinstance(value, float):
        return Decimal(format(value, _EXACT_FORMAT))
    return Decimal(value)


@functools.lru_cache(maxsize=64)
def _exact_limit(threshold: Number) -> Decimal:
    # A threshold is one of a few constants, read for each of thousands of values on a page.
    # Equal numbers share an entry (3 and 3.0): the limit is only compared with, never shown.
    return exact(threshold)


def meets(value: Number, op: str, threshold: Number) -> bool:
    """`value op threshold` on the exact values (op: ">=", ">", "<=", "<")."""
    return COMPARISONS[op](exact(value), exact(threshold))


def shown_against(value: Number, op: str, threshold: Number, places: int) -> Decimal:
    """The value displayed beside its threshold: rounded half-up to `places` decimals, with as
    many more as it takes to read on the side of the threshold it was decided on (an enhancement
    ratio of 2.99689 against ">= 3" shows as 2.997, never 3.00; a clearance of 49.96 as 49.96)."""
    number, limit = exact(value), _exact_limit(threshold)
    decided = COMPARISONS[op](number, limit)
    for extra in range(MAX_EXTRA_PLACES + 1):
        try:
            rounded = number.quantize(_quantum(places + extra), rounding=ROUND_HALF_UP)
        except InvalidOperation:  # an absurd magnitude (1e300): shown as it is
            return number
        if COMPARISONS[op](rounded, limit) == decided:
            return rounded
    return number
