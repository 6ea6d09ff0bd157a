"""The values a RECIST assessment derives on save (followup/crf.py's Derivation), from its
measurements, the baseline and the earlier assessments, with the pure functions of
followup/calculations.py.

The baseline and the earlier sums are not items of the form: the form's lookup
"recist_context" (followup.actions.recist_context) reads them inside the save's write session,
after its locks. When an earlier assessment is corrected, the refresh
followup.actions.refresh_recist runs this again on every later assessment, so a nadir is never
stale.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from followup import calculations as calc

OUTPUTS = (
    "sum_mm",
    "baseline_sum_mm",
    "nadir_mm",
    "change_baseline_mm",
    "change_baseline_pct",
    "change_nadir_mm",
    "change_nadir_pct",
    "target_response",
    "overall_response",
    "progression_date",
)
INPUTS = (
    "measurements",
    "non_target_status",
    "new_lesions",
    "unequivocal_progression",
    "imaging_date",
    "recist_context",
)
NODE = "lymph_node"
# RECIST 1.1: a lymph node under 10 mm short axis is normal (counts as resolved for CR).
NODE_NORMAL_BELOW_MM = 10
# The changes in % are stored with 4 decimals. A change is 100 * (c - r) / r for sums c and r in
# whole tenths of a mm (r at most 5 lesions x 400 mm = 20000 tenths); its distance from the PR
# threshold, |100c - 70r| / r = 10 |10c - 7r| / r, and from the PD one, 20 |5c - 6r| / r, is 0
# or at least 10 / 20000 = 0.0005, ten times the largest rounding error at 4 decimals (0.00005):
# a stored change never reads as the other side of a threshold (PROTOCOL.md section 5).
PCT_PLACES = 4
EMPTY: tuple[Any, ...] = (None, None, None, None, None, None, None, "", "", None)


# A measurement row's state (followup.models.LesionState, blank for a lesion as one).
NOT_EVALUABLE, SPLIT, MERGED = "not_evaluable", "split", "merged"


def lesion_size(row: dict[str, Any], organ: str) -> float | None:
    """The size counted in the sum: 0 for a non-nodal lesion that has gone; a node keeps its
    short axis; a split lesion its fragments' sum (as typed); 0 for a lesion merged into
    another (RECIST 1.1 section 4.3.2: the coalesced lesion is measured under the other's
    label). None when the lesion was not evaluated, or marked not evaluable."""
    state = row.get("state") or ""
    if state == NOT_EVALUABLE:
        return None
    if state == MERGED:
        return 0.0
    size, present = row.get("size_mm"), row.get("present")
    if present is False and organ != NODE:
        return 0.0
    if size is None:
        return 0.0 if present is False else None
    return float(size)


def assess(
    measurements: list[dict[str, Any]] | None,
    non_target_status: str | None,
    new_lesions: bool | None,
    unequivocal_progression: bool | None,
    imaging_date: date | None,
    context: dict[str, Any] | None,
) -> tuple[Any, ...]:
    """Every derived value of one assessment, in OUTPUTS order."""
    if not context or not context.get("targets") or imaging_date is None:
        return EMPTY
    organs = {t["number"]: t["organ"] for t in context["targets"]}
    baseline_sum = calc.sum_of_diameters([float(t["diameter_mm"]) for t in context["targets"]])
    by_number = {row.get("number"): row for row in measurements or []}
    sizes = [lesion_size(by_number.get(n, {}), organ) for n, organ in organs.items()]
    earlier = [p for p in context.get("prior", ()) if p[0] < imaging_date]
    nadir = calc.nadir([baseline_sum, *(float(p[1]) for p in earlier if p[1] is not None)])
    default_non_target = calc.NE if context.get("non_targets") else calc.NO_NON_TARGET
    non_target = non_target_status or default_non_target
    if any(size is None for size in sizes):
        # No sum is stored: a partial sum is no sum of diameters, and must never become a
        # later assessment's nadir. The lesions evaluated may still show PD (4.4.2).
        total = change_b = pct_b = change_n = pct_n = None
        evaluated = calc.sum_of_diameters([s for s in sizes if s is not None] or [0.0])
        target = calc.target_response_not_all_evaluated(baseline_sum, nadir, evaluated)
    else:
        known = [size for size in sizes if size is not None]  # all of them, checked above
        total = calc.sum_of_diameters(known)
        resolved = all(
            size < NODE_NORMAL_BELOW_MM if organ == NODE else size == 0
            for size, organ in zip(known, organs.values(), strict=True)
        )
        target = calc.target_response(baseline_sum, nadir, total, all_resolved=resolved)
        change_b = round(total - baseline_sum, 1)
        pct_b = calc.percent_change(baseline_sum, total)
        change_n = round(total - nadir, 1)
        pct_n = calc.percent_change(nadir, total) if nadir > 0 else None
    overall = calc.overall_response(target, non_target, bool(new_lesions))
    if unequivocal_progression:
        overall = calc.PD
    progressed = [p[0] for p in earlier if p[2] == calc.PD]
    progression = min(progressed) if progressed else (imaging_date if overall == calc.PD else None)
    return (
        _mm(total),
        _mm(baseline_sum),
        _mm(nadir),
        _mm(change_b),
        _pct(pct_b),
        _mm(change_n),
        _pct(pct_n),
        target,
        overall,
        progression,
    )


def _mm(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(round(value, 1)))


def _pct(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(round(value, PCT_PLACES)))
