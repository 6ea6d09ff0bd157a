"""Checks shown on the IV-cycle forms, and radioactive decay (PROTOCOL.md sections 2, 3, 5)."""

import math
from datetime import date, timedelta

import pytest

from dosing.calculations import (
    Check,
    activity_check,
    cycle_interval_check,
    ssa_gap_check,
)

C1 = date(2025, 3, 3)


@pytest.mark.parametrize(
    ("days", "after_toxicity", "level"),
    [
        # 8 weeks (56 days) ± 1 week: 49 to 63 days.
        (48, False, "warning"),
        (49, False, "ok"),
        (56, False, "ok"),
        (63, False, "ok"),
        (64, False, "warning"),
        (112, False, "warning"),
        (113, False, "error"),
        # After a dose-modifying toxicity the wait may stretch to 16 weeks (112 days).
        (48, True, "warning"),
        (49, True, "ok"),
        (64, True, "ok"),
        (112, True, "ok"),
        (113, True, "error"),
        (200, True, "error"),
        # Same day or earlier than the previous cycle.
        (1, False, "warning"),
        (0, False, "error"),
        (0, True, "error"),
        (-7, False, "error"),
    ],
)
def test_cycle_interval(days, after_toxicity, level):
    check = cycle_interval_check(C1, C1 + timedelta(days=days), after_toxicity=after_toxicity)
    assert check.level == level
    if days > 0:
        assert f"{days} days" in check.message


def test_cycle_interval_messages_explain():
    assert (
        "8 weeks ± 1 week"
        in cycle_interval_check(C1, C1 + timedelta(days=70), after_toxicity=False).message
    )
    assert (
        "more than 16 weeks"
        in cycle_interval_check(C1, C1 + timedelta(days=113), after_toxicity=True).message
    )
    assert "after the previous cycle" in cycle_interval_check(C1, C1, after_toxicity=False).message


@pytest.mark.parametrize(
    ("days_before", "level", "text"),
    [
        (None, "ok", "No long-acting"),
        (90, "ok", "90 days before"),
        (28, "ok", "28 days before"),
        (27, "warning", "at least 4 weeks (28 days)"),
        (1, "warning", "1 day before"),
        (0, "warning", "0 days before"),
        (-1, "error", "after this administration"),
    ],
)
def test_ssa_gap(days_before, level, text):
    last_ssa = None if days_before is None else C1 - timedelta(days=days_before)
    check = ssa_gap_check(last_ssa, C1)
    assert check.level == level
    assert text in check.message


@pytest.mark.parametrize("gbq", [0.5, 3.7, 7.4, 7.39, 8.0])
def test_activity_in_range(gbq):
    assert activity_check(gbq).level == "ok"


@pytest.mark.parametrize(
    ("gbq", "suggestion"),
    [(7400, "7.4"), (3700, "3.7"), (7392, "7.392"), (500, "0.5"), (8000, "8")],
)
def test_activity_in_mbq_suggests_gbq(gbq, suggestion):
    check = activity_check(gbq)
    assert check.level == "error"
    assert f"did you mean {suggestion} GBq?" in check.message


@pytest.mark.parametrize("gbq", [0.49, 0.0, -7.4, 8.01, 74, 499, 8001, 74000, math.nan, math.inf])
def test_activity_out_of_range_is_an_error_without_suggestion(gbq):
    check = activity_check(gbq)
    assert check.level == "error"
    assert "did you mean" not in check.message


def test_check_is_a_frozen_value():
    assert activity_check(7.4) == Check("ok", "7.4 GBq.")
    with pytest.raises(AttributeError):
        activity_check(7.4).level = "error"
