"""What a person must look at before an imported value enters a panel.

Computed each time the queue is read, from the current data (never stored), so that a value
typed meanwhile or a panel chosen by hand changes them at once. Blocking flags stop the approval
until the cause is fixed (an unknown code, a value outside the plausible range, no panel);
the others are approved knowingly. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

UNKNOWN_CODE = "unknown_code"
UNKNOWN_UNIT = "unknown_unit"
IMPLAUSIBLE = "implausible"
NOT_A_RESULT = "not_a_result"  # a bound ("<5"), or a FHIR status that is no final result
NO_WINDOW = "no_window"
TENFOLD = "tenfold"
UNUSUAL = "unusual"
DUPLICATE = "duplicate"
OTHER_SAMPLE_DATE = "other_sample_date"
PRELIMINARY = "preliminary"
# The lab's value has more decimals than the lab form keeps (or was converted between the
# form's units): the panel, its grade and every threshold will read the rounded value, so the
# person approves it knowingly (PROTOCOL.md section 5, Thresholds: nothing is rounded silently).
ROUNDED = "rounded"

BLOCKING = frozenset({UNKNOWN_CODE, UNKNOWN_UNIT, IMPLAUSIBLE, NOT_A_RESULT, NO_WINDOW})

# Our reading of "differs tenfold": a value at least 7 times, or at most a seventh of, the
# value compared. A decimal point slipped by one place gives 10x, and real variation between
# two panels (a platelet count moving 30 %) does not hide it; a true sevenfold change is rare
# enough to deserve a look.
TENFOLD_RATIO = Decimal(7)


def tenfold(value: Decimal, other: Decimal | None) -> bool:
    """Whether `value` is about tenfold (x10 or /10) or more away from `other`. Zero compares
    with nothing (no ratio)."""
    if other is None or value <= 0 or other <= 0:
        return False
    return value >= other * TENFOLD_RATIO or value * TENFOLD_RATIO <= other


@dataclass(frozen=True)
class Facts:
    """What the queue knows of one imported value, all in the item's canonical unit."""

    known_code: bool
    known_unit: bool
    canonical: Decimal | None
    plausible: tuple[float, float] | None
    usual: tuple[float, float] | None
    comparator: str
    status: str
    has_panel: bool
    previous: Decimal | None  # the same test's latest earlier value (CRF or imported)
    in_crf: Decimal | None  # the value already in the target panel
    duplicate: bool
    other_sample_date: bool
    rounded: bool = False  # the value the form takes differs from the lab's


FINAL = frozenset({"", "final", "amended", "corrected"})


def assess(facts: Facts) -> list[str]:
    """The flags of one value, blocking ones first."""
    found = []
    if not facts.known_code:
        found.append(UNKNOWN_CODE)
    elif not facts.known_unit:
        found.append(UNKNOWN_UNIT)
    if facts.comparator or facts.status not in FINAL | {"preliminary"}:
        found.append(NOT_A_RESULT)
    value = facts.canonical
    if value is not None and facts.plausible and not _within(value, facts.plausible):
        found.append(IMPLAUSIBLE)
    if not facts.has_panel:
        found.append(NO_WINDOW)
    if value is not None and (tenfold(value, facts.previous) or tenfold(value, facts.in_crf)):
        found.append(TENFOLD)
    if (
        value is not None
        and IMPLAUSIBLE not in found
        and facts.usual
        and not _within(value, facts.usual)
    ):
        found.append(UNUSUAL)
    if facts.status == "preliminary":
        found.append(PRELIMINARY)
    if facts.duplicate:
        found.append(DUPLICATE)
    if facts.other_sample_date:
        found.append(OTHER_SAMPLE_DATE)
    if facts.rounded:
        found.append(ROUNDED)
    return found


def blocking(found: list[str]) -> bool:
    return any(flag in BLOCKING for flag in found)


def _within(value: Decimal, bounds: tuple[float, float]) -> bool:
    low, high = bounds
    return Decimal(repr(low)) <= value <= Decimal(repr(high))
