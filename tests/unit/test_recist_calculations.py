"""Tests for followup.calculations (PROTOCOL.md section 5, RECIST 1.1).

Expected values come from the published rules (Eisenhauer EA et al., "New response evaluation
criteria in solid tumours: revised RECIST guideline (version 1.1)", Eur J Cancer 2009;45:228-247):
section 4.3.1 (target lesions: PR at >= 30 % decrease from baseline, PD at >= 20 % increase from the
nadir with >= 5 mm absolute increase), table 1 (overall response) and section 4.4 with the
confirmation appendix (best overall response, confirmation >= 4 weeks, SD >= minimum duration),
worked out by hand in the comments, never by calling the code under test.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import sys
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup.calculations import (
    CONFIRMATION_DAYS,
    SD_MIN_DAYS,
    BestOverallResponse,
    best_overall_response,
    best_overall_response_detail,
    first_progression,
    nadir,
    overall_response,
    percent_change,
    sum_of_diameters,
    target_response,
)


def test_module_imports_only_the_standard_library() -> None:
    # Pure Python: importable without Django settings, so no import outside the standard library.
    import followup.calculations as module

    with open(module.__file__, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


# --- sum_of_diameters, nadir, percent_change -----------------------------------------------------


@pytest.mark.req("CALC.RECIST")
def test_sum_of_diameters_adds_the_lesions() -> None:
    # 23.4 + 15.0 + 11.6 = 50.0 mm
    assert sum_of_diameters([23.4, 15.0, 11.6]) == 50.0


def test_sum_of_diameters_has_no_binary_rounding_residue() -> None:
    # 0.1 + 0.2 would be 0.30000000000000004 as floats; the recorded precision is 0.1 mm.
    assert sum_of_diameters([0.1, 0.2]) == 0.3
    assert sum_of_diameters([10.1, 10.2, 10.3, 10.4, 10.5]) == 51.5


def test_sum_of_diameters_with_a_resolved_lesion() -> None:
    assert sum_of_diameters([0.0, 12.0]) == 12.0


@pytest.mark.parametrize("sizes", [[], [10.0, -0.1], [math.nan], [math.inf]])
def test_sum_of_diameters_rejects_bad_input(sizes: list[float]) -> None:
    with pytest.raises(ValueError):
        sum_of_diameters(sizes)


@pytest.mark.req("CALC.RECIST")
def test_nadir_is_the_smallest_sum_baseline_included() -> None:
    assert nadir([100.0, 80.0, 60.0, 75.0]) == 60.0


def test_nadir_can_be_the_baseline() -> None:
    # Disease that only grew: the baseline is the smallest sum.
    assert nadir([50.0, 55.0, 58.0]) == 50.0


@pytest.mark.parametrize("sums", [[], [50.0, -1.0], [math.nan]])
def test_nadir_rejects_bad_input(sums: list[float]) -> None:
    with pytest.raises(ValueError):
        nadir(sums)


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        (100.0, 70.0, -30.0),  # (70 - 100) / 100
        (100.0, 70.1, -29.9),
        (50.0, 60.0, 20.0),  # (60 - 50) / 50
        (24.5, 29.4, 20.0),  # 4.9 / 24.5 = 0.2 exactly; plain floats give 19.999999999999996
        (100.0, 100.0, 0.0),
        (80.0, 0.0, -100.0),
    ],
)
def test_percent_change(reference: float, current: float, expected: float) -> None:
    assert percent_change(reference, current) == pytest.approx(expected, abs=1e-12)


def test_percent_change_exact_at_twenty_percent() -> None:
    # The boundary value must not fall a hair short of 20 %.
    assert percent_change(24.5, 29.4) >= 20.0


@pytest.mark.parametrize(("reference", "current"), [(0.0, 10.0), (-5.0, 10.0), (10.0, -1.0)])
def test_percent_change_rejects_bad_input(reference: float, current: float) -> None:
    with pytest.raises(ValueError):
        percent_change(reference, current)


# --- target_response (RECIST 1.1 section 4.3.1) --------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "low", "current", "expected"),
    [
        # PR boundary: decrease of at least 30 % from baseline.
        (100.0, 100.0, 70.0, "PR"),  # exactly -30 %
        (100.0, 100.0, 70.1, "SD"),  # -29.9 %
        (100.0, 100.0, 69.9, "PR"),  # -30.1 %
        (33.3, 33.3, 23.3, "PR"),  # 23.3 / 33.3 = 0.6997: -30.03 %
        (33.3, 33.3, 23.4, "SD"),  # 23.4 / 33.3 = 0.7027: -29.7 %
        (10.0, 10.0, 7.0, "PR"),  # exactly -30 %, 0.7 * 10.0 is inexact in binary
        # PD boundary: increase of at least 20 % from nadir AND at least 5 mm.
        (50.0, 50.0, 60.0, "PD"),  # +20 %, +10 mm
        (25.0, 25.0, 30.0, "PD"),  # +20 %, +5.0 mm exactly
        (24.5, 24.5, 29.4, "SD"),  # +20 % exactly but +4.9 mm
        (20.0, 20.0, 24.0, "SD"),  # +20 % but +4 mm
        (100.0, 100.0, 119.9, "SD"),  # +19.9 %, +19.9 mm
        (100.0, 100.0, 120.0, "PD"),  # +20 %, +20 mm
        (10.0, 10.0, 15.0, "PD"),  # +50 %, +5 mm
        (10.0, 10.0, 14.9, "SD"),  # +49 % but +4.9 mm
        # PD is measured from the nadir, not the baseline.
        (100.0, 50.0, 60.0, "PD"),  # +20 % / +10 mm from nadir 50 though still 40 % below baseline
        (100.0, 50.0, 59.9, "PR"),  # +19.8 % from nadir; -40.1 % from baseline
        (100.0, 80.0, 95.0, "SD"),  # +18.75 % from nadir 80, -5 % from baseline
        (100.0, 80.0, 96.0, "PD"),  # +20 % / +16 mm from nadir 80, still below baseline
        # Neither threshold reached.
        (100.0, 100.0, 100.0, "SD"),
        (100.0, 100.0, 110.0, "SD"),  # +10 %
        (100.0, 90.0, 85.0, "SD"),  # -15 % from baseline; below the nadir, so no PD
    ],
)
@pytest.mark.req("CALC.RECIST", "CALC.THRESHOLDS")
def test_target_response_boundaries(
    baseline: float, low: float, current: float, expected: str
) -> None:
    assert target_response(baseline, low, current) == expected


def test_target_response_complete_when_all_resolved() -> None:
    # Nodes under 10 mm short axis stay measured: a CR sum need not be 0.
    assert target_response(60.0, 40.0, 8.0, all_resolved=True) == "CR"
    assert target_response(60.0, 40.0, 0.0, all_resolved=True) == "CR"


def test_target_response_zero_sum_without_all_resolved_is_pr() -> None:
    # -100 % is a >= 30 % decrease; CR needs the caller's all_resolved (node rule).
    assert target_response(60.0, 60.0, 0.0) == "PR"


def test_target_response_pd_is_checked_before_cr() -> None:
    # Nadir 0 (all gone) and now 5 mm: >= 20 % of 0 and >= 5 mm, so PD whatever all_resolved says.
    assert target_response(40.0, 0.0, 5.0, all_resolved=True) == "PD"
    assert target_response(40.0, 0.0, 4.9) == "PR"  # +4.9 mm only; (4.9 - 40) / 40 = -87.75 %


def test_target_response_is_keyword_only_for_all_resolved() -> None:
    with pytest.raises(TypeError):
        target_response(60.0, 40.0, 8.0, True)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("baseline", "low", "current"),
    [
        (0.0, 0.0, 0.0),  # baseline must be > 0
        (-10.0, 0.0, 0.0),
        (100.0, -1.0, 50.0),
        (100.0, 50.0, -1.0),
        (100.0, 100.1, 100.0),  # nadir above baseline: the baseline is part of the nadir
        (math.nan, 50.0, 50.0),
        (100.0, 50.0, math.inf),
    ],
)
def test_target_response_rejects_bad_input(baseline: float, low: float, current: float) -> None:
    with pytest.raises(ValueError):
        target_response(baseline, low, current)


# --- overall_response (RECIST 1.1 table 1) -------------------------------------------------------

# Every combination of table 1, written out by rule: any new lesion, non-target PD or target PD is
# PD; target CR + non-target CR (or none at baseline) is CR; target CR + non-CR/non-PD or NE is PR;
# target PR + anything but PD is PR; target SD + anything but PD is SD; target NE (no PD) is NE.
TABLE_1 = [
    ("CR", "CR", False, "CR"),
    ("CR", "NONE", False, "CR"),
    ("CR", "NON-CR/NON-PD", False, "PR"),
    ("CR", "NE", False, "PR"),
    ("CR", "PD", False, "PD"),
    ("PR", "CR", False, "PR"),
    ("PR", "NONE", False, "PR"),
    ("PR", "NON-CR/NON-PD", False, "PR"),
    ("PR", "NE", False, "PR"),
    ("PR", "PD", False, "PD"),
    ("SD", "CR", False, "SD"),
    ("SD", "NONE", False, "SD"),
    ("SD", "NON-CR/NON-PD", False, "SD"),
    ("SD", "NE", False, "SD"),
    ("SD", "PD", False, "PD"),
    ("NE", "CR", False, "NE"),
    ("NE", "NONE", False, "NE"),
    ("NE", "NON-CR/NON-PD", False, "NE"),
    ("NE", "NE", False, "NE"),
    ("NE", "PD", False, "PD"),
    ("PD", "CR", False, "PD"),
    ("PD", "NONE", False, "PD"),
    ("PD", "NON-CR/NON-PD", False, "PD"),
    ("PD", "NE", False, "PD"),
    ("PD", "PD", False, "PD"),
] + [
    (target, non_target, True, "PD")
    for target in ("CR", "PR", "SD", "PD", "NE")
    for non_target in ("CR", "NON-CR/NON-PD", "PD", "NE", "NONE")
]


@pytest.mark.parametrize(("target", "non_target", "new_lesions", "expected"), TABLE_1)
@pytest.mark.req("CALC.RECIST")
def test_overall_response_table_1(
    target: str, non_target: str, new_lesions: bool, expected: str
) -> None:
    assert overall_response(target, non_target, new_lesions) == expected


def test_table_1_covers_every_combination() -> None:
    assert len({row[:3] for row in TABLE_1}) == 5 * 5 * 2


@pytest.mark.parametrize(
    ("target", "non_target"),
    [
        ("cr", "CR"),  # codes are exact, upper case
        ("XX", "CR"),
        ("", "CR"),
        ("NONE", "CR"),  # NONE is a non-target code only
        ("CR", "NON-CR"),
        ("CR", "SD"),
        ("CR", "PR"),
        ("CR", "none"),
        # Unknown codes are refused even when a new lesion would make the answer PD anyway.
    ],
)
def test_overall_response_rejects_unknown_codes(target: str, non_target: str) -> None:
    with pytest.raises(ValueError):
        overall_response(target, non_target, False)
    with pytest.raises(ValueError):
        overall_response(target, non_target, True)


# --- best_overall_response (RECIST 1.1 section 4.4, confirmation appendix) -----------------------


def test_default_intervals() -> None:
    # 4 weeks for confirmation, 6 weeks minimum for SD (PROTOCOL.md section 5).
    assert CONFIRMATION_DAYS == 28
    assert SD_MIN_DAYS == 42


@pytest.mark.parametrize(
    ("assessments", "expected"),
    [
        # CR confirmed at exactly 28 days.
        ([(56, "CR"), (84, "CR")], "CR"),
        # CR at 27 days only: not a confirmed CR, but CR counts as PR for PR confirmation, so
        # PR when a later PR comes 28+ days after the first CR.
        ([(56, "CR"), (83, "CR")], "SD"),  # no pair 28 days apart; day 56 >= 42 -> SD
        ([(56, "CR"), (83, "CR"), (90, "PR")], "PR"),  # CR 56 -> PR 90: 34 days, CR between
        ([(56, "CR"), (83, "PR")], "SD"),  # 27 days: no confirmation of anything; SD at 56
        # CR - NE - CR: NE in between does not break the confirmation.
        ([(56, "CR"), (70, "NE"), (90, "CR")], "CR"),
        # CR - PR - CR: PR in between breaks CR confirmation, but CR/PR/CR confirms PR.
        ([(56, "CR"), (70, "PR"), (90, "CR")], "PR"),
        # PR - SD - PR 28+ days later: SD breaks the PR confirmation; SD at day >= 42.
        ([(30, "PR"), (60, "SD"), (90, "PR")], "SD"),
        # PR confirmed by PR, and by CR.
        ([(30, "PR"), (58, "PR")], "PR"),
        ([(30, "PR"), (58, "CR")], "PR"),  # a single CR is not confirmed; PR -> CR confirms PR
        ([(30, "PR"), (57, "PR")], "SD"),  # 27 days; day 57 >= 42 -> SD
        ([(30, "PR"), (40, "NE"), (58, "PR")], "PR"),
        # PR then CR then CR 28+ days: CR confirmed beats PR.
        ([(30, "PR"), (60, "CR"), (88, "CR")], "CR"),
        # SD minimum duration: exactly 42 days counts, 41 does not.
        ([(42, "SD")], "SD"),
        ([(41, "SD")], "NE"),
        ([(41, "SD"), (50, "PD")], "PD"),
        ([(42, "SD"), (50, "PD")], "SD"),
        # Unconfirmed CR or PR after 42 days counts as SD.
        ([(42, "PR")], "SD"),
        ([(42, "CR")], "SD"),
        ([(41, "PR")], "NE"),
        ([(20, "PR"), (41, "PR")], "NE"),  # 21 days apart, nothing at 42+
        # PD first.
        ([(30, "PD")], "PD"),
        ([(30, "PD"), (60, "SD"), (90, "PR"), (120, "PR")], "PD"),
        # Nothing after the first PD counts: PR, PD, PR, PR is not PR.
        ([(30, "PR"), (56, "PD"), (84, "PR"), (112, "PR")], "PD"),  # PR at 30 < 42
        ([(50, "PR"), (60, "PD"), (90, "PR"), (120, "PR")], "SD"),  # PR at 50 >= 42
        ([(30, "CR"), (45, "PD"), (60, "CR")], "PD"),  # CR 30 -> CR 60 would span the PD; 30 < 42
        ([(50, "CR"), (60, "PD"), (80, "CR")], "SD"),  # likewise, but CR 50 >= 42 gives SD
        # PD after a confirmed response does not undo it.
        ([(30, "PR"), (60, "PR"), (90, "PD")], "PR"),
        # Empty, NE only.
        ([], "NE"),
        ([(30, "NE")], "NE"),
        ([(30, "NE"), (60, "NE"), (90, "NE")], "NE"),
        ([(30, "NE"), (60, "PD")], "PD"),
        ([(30, "NE"), (60, "NE"), (70, "SD")], "SD"),
    ],
)
@pytest.mark.req("CALC.BOR")
def test_best_overall_response(assessments: list[tuple[float, str]], expected: str) -> None:
    assert best_overall_response(assessments) == expected


def test_best_overall_response_unordered_input() -> None:
    # Sorted: CR 30, NE 45, CR 60 -> CR confirmed after 30 days.
    assert best_overall_response([(60, "CR"), (30, "CR"), (45, "NE")]) == "CR"
    # Sorted: PR 30, PD 56, PR 84, PR 112 -> PD at 56 ends the count; PR 30 < 42 -> PD.
    assert best_overall_response([(112, "PR"), (84, "PR"), (30, "PR"), (56, "PD")]) == "PD"


def test_best_overall_response_accepts_tuples_and_float_days() -> None:
    assert best_overall_response(((30.5, "PR"), (58.5, "PR"))) == "PR"  # 28.0 days
    assert best_overall_response(((1.3, "PR"), (29.3, "PR"))) == "PR"  # 28 days in decimals


def test_best_overall_response_custom_intervals() -> None:
    # With a 35-day confirmation a 28-day pair is not enough: PR 58 >= 42 is only SD, and with
    # SD's minimum raised to 59 days nothing qualifies.
    assessments = [(30, "PR"), (58, "PR")]
    assert best_overall_response(assessments) == "PR"
    assert best_overall_response(assessments, confirmation_days=35) == "SD"
    assert best_overall_response(assessments, confirmation_days=35, sd_min_days=59) == "NE"
    assert best_overall_response([(50, "SD")], sd_min_days=60) == "NE"
    assert best_overall_response([(30, "PR"), (51, "PR")], confirmation_days=21) == "PR"


@pytest.mark.parametrize(
    "assessments",
    [
        [(30, "XX")],
        [(30, "pr")],
        [(30, "NONE")],  # a non-target code, not an overall response
        [(30, "NON-CR/NON-PD")],
        [(0, "SD")],  # day must be above 0
        [(-7, "SD")],
        [(30, "PR"), (30, "PR")],  # two assessments on one day
        [(30, "PR"), (30, "SD")],
        [(30, "PR"), (60, "PD"), (60, "PR")],  # duplicate after the PD is still an error
        [(30, "PR"), (60, "PD"), (90, "XX")],  # unknown code after the PD is still an error
        [(math.nan, "SD")],
    ],
)
def test_best_overall_response_rejects_bad_input(assessments: list[tuple[float, str]]) -> None:
    with pytest.raises(ValueError):
        best_overall_response(assessments)
    with pytest.raises(ValueError):
        best_overall_response_detail(assessments)


@pytest.mark.parametrize(
    ("kwargs"),
    [{"confirmation_days": 0}, {"confirmation_days": -1}, {"sd_min_days": 0}],
)
def test_best_overall_response_rejects_bad_intervals(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        best_overall_response([(30, "PR")], **kwargs)


# --- best_overall_response_detail -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("assessments", "expected"),
    [
        # CR: first CR and its earliest confirmation; CR 56 -> CR 70 is too soon, CR 84 confirms.
        ([(56, "CR"), (70, "CR"), (84, "CR")], BestOverallResponse("CR", 56, 84)),
        ([(56, "CR"), (70, "NE"), (90, "CR")], BestOverallResponse("CR", 56, 90)),
        # PR from CR - PR - CR: CR 56 -> CR 90 spans CR/PR only.
        ([(56, "CR"), (70, "PR"), (90, "CR")], BestOverallResponse("PR", 56, 90)),
        # PR broken by SD, then reconfirmed later: PR 90 -> PR 120.
        ([(30, "PR"), (60, "SD"), (90, "PR"), (120, "PR")], BestOverallResponse("PR", 90, 120)),
        # SD: the first CR/PR/SD at day >= 42.
        ([(30, "SD"), (45, "PR"), (60, "SD")], BestOverallResponse("SD", 45)),
        # PD: the first PD day.
        ([(20, "SD"), (35, "PD"), (80, "PD")], BestOverallResponse("PD", 35)),
        ([], BestOverallResponse("NE")),
        ([(30, "NE")], BestOverallResponse("NE")),
    ],
)
@pytest.mark.req("CALC.BOR")
def test_best_overall_response_detail(
    assessments: list[tuple[float, str]], expected: BestOverallResponse
) -> None:
    detail = best_overall_response_detail(assessments)
    assert detail == expected
    assert best_overall_response(assessments) == expected.response


def test_best_overall_response_detail_days_and_frozen() -> None:
    detail = best_overall_response_detail([(56, "CR"), (84, "CR")])
    assert detail.days == (56, 84)
    assert best_overall_response_detail([(45, "SD")]).days == (45,)
    assert best_overall_response_detail([]).days == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        detail.response = "PR"  # type: ignore[misc]


# --- first_progression ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assessments", "expected"),
    [
        ([(30, "SD"), (60, "PD"), (90, "PD")], 60),
        ([(90, "PD"), (30, "SD"), (60, "PD")], 60),  # unordered
        ([(30, "PR"), (60, "SD")], None),
        ([], None),
    ],
)
def test_first_progression(assessments: list[tuple[float, str]], expected: float | None) -> None:
    assert first_progression(assessments) == expected


@pytest.mark.parametrize("assessments", [[(0, "PD")], [(30, "XX")], [(30, "SD"), (30, "PD")]])
def test_first_progression_rejects_bad_input(assessments: list[tuple[float, str]]) -> None:
    with pytest.raises(ValueError):
        first_progression(assessments)


# --- Issue 23: a change is shown on the side of the threshold its response is decided on ------


@pytest.mark.req("CALC.RECIST", "CALC.THRESHOLDS")
def test_a_change_is_never_shown_across_its_threshold() -> None:
    from followup.models import RecistAssessment

    # 250.0 -> 175.1 mm: -29.96 %, not a PR (exactly -30 % is 175.0 mm), never shown "-30.0".
    a = RecistAssessment(baseline_sum_mm=Decimal("250.0"), sum_mm=Decimal("175.1"))
    a.nadir_mm = Decimal("250.0")
    assert target_response(250.0, 250.0, 175.1) == "SD"
    assert str(a.change_baseline_pct_shown) == "-29.96"
    a.sum_mm = Decimal("175.0")
    assert target_response(250.0, 250.0, 175.0) == "PR"
    assert str(a.change_baseline_pct_shown) == "-30.0"
    # 250.0 -> 299.9 mm from the nadir: +19.96 %, not a PD, never shown "20.0".
    a.sum_mm = Decimal("299.9")
    assert target_response(250.0, 250.0, 299.9) == "SD"
    assert str(a.change_nadir_pct_shown) == "19.96"
    a.sum_mm = Decimal("300.0")
    assert target_response(250.0, 250.0, 300.0) == "PD"
    assert str(a.change_nadir_pct_shown) == "20.0"
    # Far from the thresholds: one decimal, as before.
    a.sum_mm = Decimal("200.0")
    assert str(a.change_baseline_pct_shown) == "-20.0"


# --- Issue 23: the changes in % are stored exact enough never to cross a threshold ------------


@pytest.mark.req("CALC.RECIST", "CALC.THRESHOLDS")
def test_a_stored_change_keeps_the_side_of_its_threshold() -> None:
    from datetime import date

    from followup import derived

    # Baseline 5 x 50.0 mm = 250.0; today 175.1 mm: -29.96 %, stored as such (one decimal
    # stored it as -30.0, a PR's value, beside an SD).
    context = {
        "targets": [{"number": n, "organ": "liver", "diameter_mm": "50.0"} for n in range(1, 6)],
        "prior": [],
    }
    rows = [{"number": n, "present": True, "size_mm": Decimal("35.0")} for n in range(1, 5)]
    rows.append({"number": 5, "present": True, "size_mm": Decimal("35.1")})
    values = dict(
        zip(
            derived.OUTPUTS,
            derived.assess(rows, "NONE", False, False, date(2026, 1, 1), context),
            strict=True,
        )
    )
    assert values["sum_mm"] == Decimal("175.1")
    assert values["target_response"] == "SD"
    assert str(values["change_baseline_pct"]) == "-29.96"
    assert values["change_baseline_pct"] > -30


@given(
    reference=st.integers(1, 20000),  # tenths of a mm: up to 5 lesions of 400 mm
    current=st.integers(0, 20000),
)
def test_four_decimals_never_cross_a_recist_threshold(reference: int, current: int) -> None:
    from followup.derived import PCT_PLACES

    stored = round(percent_change(reference / 10, current / 10), PCT_PLACES)
    # Exact sides, in integers: PR at current <= 7/10 reference, PD's % at >= 12/10.
    assert (stored <= -30) == (current * 10 <= reference * 7)
    assert (stored >= 20) == (current * 10 >= reference * 12)


# --- Issue 23: a target lesion not evaluable (RECIST 1.1 section 4.4.2) ----------------------


@pytest.mark.req("CALC.RECIST.LESIONS")
@pytest.mark.parametrize(
    ("nadir_mm", "evaluated_mm", "expected"),
    [
        # RECIST 1.1's own example: baseline 50 mm, two of three lesions at 80 mm: PD.
        (50.0, 80.0, "PD"),
        # Exactly +20 % and +5 mm from the nadir by the lesions evaluated alone: PD.
        (25.0, 30.0, "PD"),
        # One tenth short of +20 %: NE (the missing lesion decides nothing).
        (25.0, 29.9, "NE"),
        # +20 % but only +4.9 mm: NE.
        (24.5, 29.4, "NE"),
        # A decrease is no PR when a lesion is missing: NE.
        (50.0, 10.0, "NE"),
        (50.0, 0.0, "NE"),
    ],
)
def test_a_not_evaluable_target_is_ne_unless_the_others_show_pd(
    nadir_mm: float, evaluated_mm: float, expected: str
) -> None:
    from followup.calculations import target_response_not_all_evaluated

    assert target_response_not_all_evaluated(50.0, nadir_mm, evaluated_mm) == expected


def _assess(rows: list[dict], prior: list | None = None) -> dict:
    from datetime import date

    from followup import derived

    # Baseline: T1 liver 32, T2 liver 25, T3 lymph node 18 (75 mm).
    context = {
        "targets": [
            {"number": 1, "organ": "liver", "diameter_mm": "32.0"},
            {"number": 2, "organ": "liver", "diameter_mm": "25.0"},
            {"number": 3, "organ": "lymph_node", "diameter_mm": "18.0"},
        ],
        "prior": prior or [],
    }
    values = derived.assess(rows, "NONE", False, False, date(2026, 6, 1), context)
    return dict(zip(derived.OUTPUTS, values, strict=True))


def _row(number: int, present: bool | None, size: str | None, state: str = "", into: str = ""):
    return {
        "number": number,
        "present": present,
        "size_mm": None if size is None else Decimal(size),
        "state": state,
        "merged_into": into,
    }


@pytest.mark.req("CALC.RECIST.LESIONS")
def test_split_and_merged_lesions_in_the_sum() -> None:
    # T1 split (fragments 12 + 10 = 22 under T1), T2 merged into T3 (0), T3 the merged lesion
    # measured under its label, 30 mm: 52 mm, -30.7 %: PR.
    values = _assess(
        [
            _row(1, True, "22", "split"),
            _row(2, None, "0", "merged", "T3"),
            _row(3, True, "30"),
        ]
    )
    assert values["sum_mm"] == Decimal("52.0")
    assert values["target_response"] == "PR"
    # Exactly -30 %: 52.5 mm is PR, 52.6 is SD (the merged lesion adds nothing).
    assert (
        _assess(
            [
                _row(1, True, "22.5", "split"),
                _row(2, None, "0", "merged", "T3"),
                _row(3, True, "30"),
            ]
        )["target_response"]
        == "PR"
    )
    assert (
        _assess(
            [
                _row(1, True, "22.6", "split"),
                _row(2, None, "0", "merged", "T3"),
                _row(3, True, "30"),
            ]
        )["target_response"]
        == "SD"
    )


@pytest.mark.req("CALC.RECIST.LESIONS")
def test_a_lesion_marked_not_evaluable_gives_ne_or_pd_and_no_sum() -> None:
    from datetime import date

    # Nadir 50 mm (an earlier assessment); T2 not evaluable; T1 + T3 = 55: under +20 %, NE.
    prior = [(date(2026, 3, 1), Decimal("50.0"), "PR")]
    ne = _assess(
        [_row(1, True, "40"), _row(2, None, None, "not_evaluable"), _row(3, True, "15")], prior
    )
    assert (ne["sum_mm"], ne["target_response"], ne["overall_response"]) == (None, "NE", "NE")
    # T1 + T3 = 60: exactly +20 % and +10 mm from the nadir whatever T2 measures: PD.
    pd = _assess(
        [_row(1, True, "45"), _row(2, None, None, "not_evaluable"), _row(3, True, "15")], prior
    )
    assert (pd["sum_mm"], pd["target_response"], pd["overall_response"]) == (None, "PD", "PD")
    assert pd["progression_date"] == date(2026, 6, 1)
