"""The Kaplan-Meier estimate (statsmodels' SurvfuncRight) against the textbook example:
Freireich et al. (Blood 1963), the 6-MP and placebo arms of the remission trial in acute
leukaemia, as tabulated by Klein and Moeschberger (Survival Analysis, section 1.2) and Kleinbaum
(Survival Analysis, chapter 2): times in weeks, + marks a censored time."""

from __future__ import annotations

import pytest

from oversight.survival import kaplan_meier

# 6-MP: 6, 6, 6, 6+, 7, 9+, 10, 10+, 11+, 13, 16, 17+, 19+, 20+, 22, 23, 25+, 32+, 32+, 34+, 35+
SIX_MP = [
    (6, True), (6, True), (6, True), (6, False), (7, True), (9, False), (10, True),
    (10, False), (11, False), (13, True), (16, True), (17, False), (19, False), (20, False),
    (22, True), (23, True), (25, False), (32, False), (32, False), (34, False), (35, False),
]  # fmt: skip
# Placebo: every time an event.
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def test_six_mp_arm_median_is_23_weeks():
    km = kaplan_meier([t for t, _e in SIX_MP], [e for _t, e in SIX_MP])
    assert km is not None
    assert km.median == 23
    assert (km.n, km.events) == (21, 9)
    # The published curve: S(6) = 0.857, S(7) = 0.807, S(10) = 0.753, S(13) = 0.690,
    # S(16) = 0.627, S(22) = 0.538, S(23) = 0.448.
    expected = [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]
    assert [round(s, 3) for _t, s in km.steps[1:]] == expected
    assert [t for t, _s in km.steps[1:]] == [6, 7, 10, 13, 16, 22, 23]
    # The median's 95 % CI: lower bound 13 weeks, upper bound not reached.
    assert km.ci_low == 13
    assert km.ci_high is None
    # Every censored time is a tick on the curve, at the survival then.
    assert (9.0, pytest.approx(0.807, abs=1e-3)) in km.censored
    assert len(km.censored) == 12


def test_placebo_arm_median_is_8_weeks():
    km = kaplan_meier(PLACEBO, [True] * len(PLACEBO))
    assert km is not None
    assert km.median == 8
    assert km.steps[-1] == (23, 0.0)
    assert km.ci_low is not None and km.ci_low < 8 < (km.ci_high or 0)


def test_no_time_and_no_event():
    assert kaplan_meier([], []) is None
    km = kaplan_meier([3.0, 5.0], [False, False])
    assert km is not None and km.median is None and km.events == 0
    assert km.steps == [(0.0, 1.0)]
