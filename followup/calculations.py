"""RECIST 1.1 response calculations used by the follow-up visits (PROTOCOL.md section 5).

Eisenhauer EA et al., "New response evaluation criteria in solid tumours: revised RECIST guideline
(version 1.1)", Eur J Cancer 2009;45:228-247: target response (section 4.3.1), overall response
(section 4.3.4, table 1) and best overall response with confirmation (section 4.4, as required in
single-arm trials).

Pure functions, standard library only, so they can be tested and reused outside Django.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Response codes.
CR = "CR"
PR = "PR"
SD = "SD"
PD = "PD"
NE = "NE"
NON_CR_NON_PD = "NON-CR/NON-PD"
NO_NON_TARGET = "NONE"  # no non-target lesion at baseline

TARGET_RESPONSES = frozenset({CR, PR, SD, PD, NE})
NON_TARGET_RESPONSES = frozenset({CR, NON_CR_NON_PD, PD, NE, NO_NON_TARGET})
OVERALL_RESPONSES = frozenset({CR, PR, SD, PD, NE})

# Target-lesion thresholds (RECIST 1.1 section 4.3.1), as exact fractions: PR at a decrease of at
# least 30 % from the baseline sum (current <= 7/10 of baseline); PD at an increase of at least 20 %
# from the nadir (current >= 12/10 of nadir) that is also at least 5 mm.
PR_MAX_FRACTION_OF_BASELINE = (7, 10)
PD_MIN_FRACTION_OF_NADIR = (12, 10)
PD_MIN_INCREASE_MM = 5
# The same thresholds as changes in %, for showing a change beside them.
PR_DECREASE_PERCENT = (
    (PR_MAX_FRACTION_OF_BASELINE[0] - PR_MAX_FRACTION_OF_BASELINE[1])
    * 100
    // (PR_MAX_FRACTION_OF_BASELINE[1])
)
PD_INCREASE_PERCENT = (
    (PD_MIN_FRACTION_OF_NADIR[0] - PD_MIN_FRACTION_OF_NADIR[1])
    * 100
    // (PD_MIN_FRACTION_OF_NADIR[1])
)

# Diameters are recorded to 0.1 mm, so sums are compared as whole numbers of tenths of a millimetre.
TENTHS_PER_MM = 10
MM_DECIMALS = 1

# Best overall response (RECIST 1.1 section 4.4 and the confirmation appendix): a CR or PR must be
# confirmed by a repeat assessment at least 4 weeks later; SD must be met at least once at least
# 6 weeks after the anchor date (the protocol's minimum duration for SD).
CONFIRMATION_DAYS = 28
SD_MIN_DAYS = 42

# Days may be fractional (a time of day / 24): 29.3 - 1.3 is 27.999999999999996 in binary floating
# point, so two days closer than this are taken as equal and interval boundaries include it.
DAY_TOLERANCE = 1e-9

# Between two CRs only CR or NE may appear for a confirmed CR; between two CR/PR only CR, PR or NE
# for a confirmed PR. SD (or PD) in between means the response did not last.
_CR_ENDPOINTS = frozenset({CR})
_CR_ALLOWED_BETWEEN = frozenset({CR, NE})
_PR_ENDPOINTS = frozenset({CR, PR})
_PR_ALLOWED_BETWEEN = frozenset({CR, PR, NE})
# An unconfirmed CR or PR still shows disease control, so it counts towards SD.
_SD_QUALIFYING = frozenset({CR, PR, SD})


def _require_finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def _tenths(name: str, value_mm: float) -> int:
    """A non-negative length in mm as a whole number of tenths of a millimetre."""
    _require_finite(name, value_mm)
    if value_mm < 0:
        raise ValueError(f"{name} must not be negative, got {value_mm!r}")
    # 0.7 * 100.0 is 70.00000000000001 and 1.2 * 25.0 is 30.000000000000004 in binary floating
    # point, so a plain float comparison would call exactly -30 % SD and exactly +20 % SD. Whole
    # tenths of a millimetre (the recording precision) make every threshold comparison below an
    # exact integer comparison.
    return round(value_mm * TENTHS_PER_MM)


def _positive_tenths(name: str, value_mm: float) -> int:
    tenths = _tenths(name, value_mm)
    if tenths <= 0:
        raise ValueError(f"{name} must be positive (at least 0.1 mm), got {value_mm!r}")
    return tenths


def sum_of_diameters(sizes_mm: Sequence[float]) -> float:
    """Sum of the target lesion diameters in mm (longest diameter; short axis for lymph nodes)."""
    if not sizes_mm:
        raise ValueError("at least one target lesion diameter is needed")
    total_tenths = sum(_tenths("diameter", size) for size in sizes_mm)
    # Summing whole tenths avoids 0.1 + 0.2 = 0.30000000000000004 in the displayed sum.
    return round(total_tenths / TENTHS_PER_MM, MM_DECIMALS)


def nadir(sums: Sequence[float]) -> float:
    """Smallest sum of diameters so far, the baseline sum included (the reference for PD)."""
    if not sums:
        raise ValueError("at least the baseline sum is needed")
    for value in sums:
        _tenths("sum", value)
    return min(sums)


def percent_change(reference: float, current: float) -> float:
    """Change of a sum of diameters from a reference sum (baseline or nadir), in percent."""
    reference_tenths = _positive_tenths("reference", reference)
    current_tenths = _tenths("current", current)
    # Integer numerator and denominator: one rounding only, so 24.5 -> 29.4 mm is exactly 20.0 %.
    return (current_tenths - reference_tenths) * 100 / reference_tenths


def target_response(
    baseline_sum_mm: float,
    nadir_sum_mm: float,
    current_sum_mm: float,
    *,
    all_resolved: bool = False,
) -> str:
    """Target-lesion response: "CR", "PR", "SD" or "PD" (RECIST 1.1 section 4.3.1).

    all_resolved: every target lesion has disappeared (lymph nodes below 10 mm short axis). The sum
    need not be 0 then, since nodes under 10 mm are still measured.
    """
    baseline = _positive_tenths("baseline_sum_mm", baseline_sum_mm)
    low = _tenths("nadir_sum_mm", nadir_sum_mm)
    current = _tenths("current_sum_mm", current_sum_mm)
    if low > baseline:
        raise ValueError(
            f"nadir_sum_mm ({nadir_sum_mm!r}) cannot exceed baseline_sum_mm ({baseline_sum_mm!r}):"
            " the baseline is part of the nadir"
        )
    # PD first: progression from the nadir overrides everything, including a sum still below
    # baseline.
    pd_num, pd_den = PD_MIN_FRACTION_OF_NADIR
    if current * pd_den >= low * pd_num and current - low >= PD_MIN_INCREASE_MM * TENTHS_PER_MM:
        return PD
    if all_resolved:
        return CR
    pr_num, pr_den = PR_MAX_FRACTION_OF_BASELINE
    if current * pr_den <= baseline * pr_num:
        return PR
    return SD


def target_response_not_all_evaluated(
    baseline_sum_mm: float, nadir_sum_mm: float, evaluated_sum_mm: float
) -> str:
    """Target response when at least one target lesion is not evaluable: "PD" or "NE".

    RECIST 1.1 section 4.4.2 (missing assessments and inevaluable designation): a time point
    with a target lesion not evaluated is NE, unless the lesions evaluated show PD whatever the
    missing ones measure. A missing lesion can only add to the sum, so the evaluated lesions'
    sum alone at PD from the nadir (at least +20 % and +5 mm) is PD; nothing less is decided:
    neither PR (the missing lesion may have grown) nor SD nor CR.
    """
    if target_response(baseline_sum_mm, nadir_sum_mm, evaluated_sum_mm) == PD:
        return PD
    return NE


def overall_response(target: str, non_target: str, new_lesions: bool) -> str:
    """Overall response at one time point (RECIST 1.1 table 1: target and non-target disease).

    target: "CR", "PR", "SD", "PD" or "NE"; non_target: "CR", "NON-CR/NON-PD", "PD", "NE" or
    "NONE" (no non-target lesion at baseline). Returns "CR", "PR", "SD", "PD" or "NE".
    """
    if target not in TARGET_RESPONSES:
        raise ValueError(f"target must be one of {sorted(TARGET_RESPONSES)}, got {target!r}")
    if non_target not in NON_TARGET_RESPONSES:
        raise ValueError(
            f"non_target must be one of {sorted(NON_TARGET_RESPONSES)}, got {non_target!r}"
        )
    if new_lesions or non_target == PD or target == PD:
        return PD
    if target == CR:
        # Residual or unassessed non-target disease means the response is not complete.
        return CR if non_target in (CR, NO_NON_TARGET) else PR
    # PR, SD and NE carry over unchanged once non-target PD is excluded (table 1 rows 4-7).
    return target


@dataclass(frozen=True)
class BestOverallResponse:
    """A best overall response and the assessments behind it, so the UI can name them.

    established_day: the first CR or PR of the confirmed pair, the qualifying assessment for SD, the
    first PD for PD; None for NE. confirmed_day: the confirming CR or PR; None otherwise.
    """

    response: str
    established_day: float | None = None
    confirmed_day: float | None = None

    @property
    def days(self) -> tuple[float, ...]:
        return tuple(day for day in (self.established_day, self.confirmed_day) if day is not None)


def _sorted_assessments(assessments: Sequence[tuple[float, str]]) -> list[tuple[float, str]]:
    for day, response in assessments:
        _require_finite("day", day)
        if day <= 0:
            raise ValueError(f"assessment day must be after the anchor date (> 0), got {day!r}")
        if response not in OVERALL_RESPONSES:
            raise ValueError(
                f"response must be one of {sorted(OVERALL_RESPONSES)}, got {response!r}"
            )
    ordered = sorted(assessments, key=lambda assessment: assessment[0])
    for (earlier, _), (later, _) in zip(ordered, ordered[1:], strict=False):
        # Two reads on one day cannot confirm each other and leave the sequence ambiguous.
        if later - earlier <= DAY_TOLERANCE:
            raise ValueError(f"two assessments on day {later!r}")
    return ordered


def first_progression(assessments: Sequence[tuple[float, str]]) -> float | None:
    """Day of the first PD among (day, overall response) assessments, or None."""
    for day, response in _sorted_assessments(assessments):
        if response == PD:
            return day
    return None


def _confirmed_pair(
    assessments: list[tuple[float, str]],
    endpoints: frozenset[str],
    allowed_between: frozenset[str],
    confirmation_days: float,
) -> tuple[float, float] | None:
    """The earliest (first, confirming) pair of endpoint responses at least confirmation_days apart
    with only allowed responses in between."""
    for i, (first_day, first_response) in enumerate(assessments):
        if first_response not in endpoints:
            continue
        for later_day, later_response in assessments[i + 1 :]:
            if (
                later_response in endpoints
                and later_day - first_day >= confirmation_days - DAY_TOLERANCE
            ):
                return first_day, later_day
            if later_response not in allowed_between:
                break
    return None


def best_overall_response_detail(
    assessments: Sequence[tuple[float, str]],
    *,
    confirmation_days: float = CONFIRMATION_DAYS,
    sd_min_days: float = SD_MIN_DAYS,
) -> BestOverallResponse:
    """Best overall response with confirmation (RECIST 1.1 section 4.4), and the days behind it.

    assessments: (days since the follow-up anchor date, overall response), in any order.
    """
    for name, value in (("confirmation_days", confirmation_days), ("sd_min_days", sd_min_days)):
        _require_finite(name, value)
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value!r}")
    ordered = _sorted_assessments(assessments)
    # Nothing after the first PD counts: the patient has progressed, later reads cannot improve the
    # best response.
    counted: list[tuple[float, str]] = []
    for day, response in ordered:
        counted.append((day, response))
        if response == PD:
            break

    pair = _confirmed_pair(counted, _CR_ENDPOINTS, _CR_ALLOWED_BETWEEN, confirmation_days)
    if pair is not None:
        return BestOverallResponse(CR, *pair)
    pair = _confirmed_pair(counted, _PR_ENDPOINTS, _PR_ALLOWED_BETWEEN, confirmation_days)
    if pair is not None:
        return BestOverallResponse(PR, *pair)
    for day, response in counted:
        if response in _SD_QUALIFYING and day >= sd_min_days - DAY_TOLERANCE:
            return BestOverallResponse(SD, day)
    if counted and counted[-1][1] == PD:
        return BestOverallResponse(PD, counted[-1][0])
    return BestOverallResponse(NE)


def _confirms(
    later: list[tuple[float, str]],
    first_day: float,
    endpoints: frozenset[str],
    allowed_between: frozenset[str],
    confirmation_days: float,
) -> bool:
    for later_day, later_response in later:
        if (
            later_response in endpoints
            and later_day - first_day >= confirmation_days - DAY_TOLERANCE
        ):
            return True
        if later_response not in allowed_between:
            return False
    return False


def unconfirmed_responses(
    assessments: Sequence[tuple[float, str]],
    *,
    confirmation_days: float = CONFIRMATION_DAYS,
) -> set[float]:
    """The days of the CR and PR assessments that no later assessment confirms (RECIST 1.1
    section 4.4: a CR or PR at least confirmation_days later, with only allowed responses
    between): awaiting confirmation, or never confirmed. A CR confirmed only as a PR (a
    later PR) stays an unconfirmed CR. Assessments after the first PD are not counted."""
    ordered = _sorted_assessments(assessments)
    unconfirmed = set()
    for index, (day, response) in enumerate(ordered):
        if response == PD:
            break
        if response == CR:
            rule = (_CR_ENDPOINTS, _CR_ALLOWED_BETWEEN)
        elif response == PR:
            rule = (_PR_ENDPOINTS, _PR_ALLOWED_BETWEEN)
        else:
            continue
        if not _confirms(ordered[index + 1 :], day, *rule, confirmation_days):
            unconfirmed.add(day)
    return unconfirmed


def best_overall_response(
    assessments: Sequence[tuple[float, str]],
    *,
    confirmation_days: float = CONFIRMATION_DAYS,
    sd_min_days: float = SD_MIN_DAYS,
) -> str:
    """Best overall response: "CR", "PR", "SD", "PD" or "NE" (see best_overall_response_detail)."""
    return best_overall_response_detail(
        assessments, confirmation_days=confirmation_days, sd_min_days=sd_min_days
    ).response
