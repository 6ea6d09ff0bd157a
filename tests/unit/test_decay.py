"""Decay and the net activity given (trial/decay.py, PROTOCOL.md section 5), shared by the
dosing (177Lu, the IAH dose) and imaging (68Ga PETs, SPECT/CT) apps. No database, no Django.

Expected values are worked out independently (by hand or with math below), never by calling the
function under test.
"""

import math

import pytest

from trial.decay import (
    GA68_HALF_LIFE_H,
    GA68_HALF_LIFE_MIN,
    LU177_HALF_LIFE_H,
    decay,
    decay_constant,
    net_activity,
)
from trial.problems import Problem

pytestmark = pytest.mark.req("CALC.DECAY")

# --- Decay ----------------------------------------------------------------------------------


def test_half_life_constants() -> None:
    assert LU177_HALF_LIFE_H == 159.528
    ga68_half_life_h = GA68_HALF_LIFE_H
    assert ga68_half_life_h == pytest.approx(1.1285)


def test_lu177_decays_to_half_after_one_half_life() -> None:
    assert decay(7400.0, 159.528, LU177_HALF_LIFE_H) == pytest.approx(3700.0)


def test_decay_after_two_half_lives_and_zero_time() -> None:
    assert decay(200.0, 2 * 67.71 / 60, GA68_HALF_LIFE_H) == pytest.approx(50.0)
    assert decay(200.0, 0.0, GA68_HALF_LIFE_H) == 200.0


def test_decay_lu177_one_day() -> None:
    # 7400 x 2^(-24/159.528) = 7400 x 0.900973 = 6667.2 MBq
    assert decay(7400.0, 24.0, LU177_HALF_LIFE_H) == pytest.approx(6667.2, abs=0.1)


def test_decay_negative_time_corrects_backwards() -> None:
    assert decay(100.0, -159.528, LU177_HALF_LIFE_H) == pytest.approx(200.0)


@pytest.mark.parametrize(
    ("activity", "elapsed_h", "half_life_h"),
    [
        (-1.0, 1.0, 1.0),
        (1.0, 1.0, 0.0),
        (1.0, 1.0, -1.0),
        (1.0, math.nan, 1.0),
        (1.0, math.inf, 1.0),
    ],
)
def test_decay_rejects_bad_input(activity: float, elapsed_h: float, half_life_h: float) -> None:
    with pytest.raises(ValueError):
        decay(activity, elapsed_h, half_life_h)


# --- Net injected activity ------------------------------------------------------------------


def test_net_activity_no_delays_is_a_plain_difference() -> None:
    assert net_activity(7500.0, 0.0, 100.0, 0.0) == pytest.approx(7400.0)


def test_net_activity_decays_measured_forwards_and_residual_backwards() -> None:
    # Measured 8000 MBq one half-life before injection: 4000 at injection. Residual 100 MBq one
    # half-life after injection: it was 200 at injection. Net 3800.
    assert net_activity(8000.0, 159.528, 100.0, 159.528) == pytest.approx(3800.0)


def test_net_activity_with_the_ga68_half_life() -> None:
    # 68Ga: measured 200 MBq 67.71 min before (100 at injection), residual 10 MBq 2 x 67.71 min
    # after (40 at injection): 60 MBq.
    net = net_activity(200.0, 67.71 / 60, 10.0, 2 * 67.71 / 60, GA68_HALF_LIFE_H)
    assert net == pytest.approx(60.0)


@pytest.mark.parametrize(
    "arguments",
    [
        (0.0, 0.0, 0.0, 0.0),  # nothing measured
        (-1.0, 0.0, 0.0, 0.0),
        (100.0, -1.0, 0.0, 0.0),  # interval given with the wrong sign
        (100.0, 0.0, 1.0, -1.0),
        (100.0, 0.0, -1.0, 0.0),  # negative residual
        (100.0, 0.0, 100.0, 0.0),  # residual equals measured: nothing injected
        (100.0, 0.0, 60.0, 159.528),  # residual 120 at injection, more than measured
    ],
)
def test_net_activity_rejects_bad_input(arguments: tuple[float, ...]) -> None:
    with pytest.raises(ValueError):
        net_activity(*arguments)


def test_net_activity_rejects_bad_half_life() -> None:
    with pytest.raises(ValueError):
        net_activity(100.0, 1.0, 1.0, 1.0, 0.0)


def test_half_life_constants_are_the_protocols():
    assert LU177_HALF_LIFE_H == 159.528
    assert pytest.approx(6.647 * 24) == LU177_HALF_LIFE_H
    assert GA68_HALF_LIFE_MIN == 67.71
    assert pytest.approx(67.71 / 60) == GA68_HALF_LIFE_H


@pytest.mark.parametrize(
    ("activity", "hours", "half_life", "expected"),
    [
        (7400, 0, LU177_HALF_LIFE_H, 7400),
        (7400, LU177_HALF_LIFE_H, LU177_HALF_LIFE_H, 3700),
        (7400, 2 * LU177_HALF_LIFE_H, LU177_HALF_LIFE_H, 1850),
        (7.4, 24, LU177_HALF_LIFE_H, 7.4 * 2 ** (-24 / 159.528)),
        (200, GA68_HALF_LIFE_MIN / 60, GA68_HALF_LIFE_H, 100),
        (100, 10, GA68_HALF_LIFE_H, 100 * 2 ** (-600 / 67.71)),
        # Negative time corrects a measurement back to an earlier moment.
        (3700, -LU177_HALF_LIFE_H, LU177_HALF_LIFE_H, 7400),
    ],
)
def test_decay_examples(activity, hours, half_life, expected):
    assert decay(activity, hours, half_life) == pytest.approx(expected, rel=1e-12)


def test_ga68_residue_after_ten_hours():
    # 600 min / 67.71 min = 8.86 half-lives: 0.215 % left. The protocol's "< 0.2 %" needs 10.12 h.
    assert decay(1.0, 10, GA68_HALF_LIFE_H) == pytest.approx(0.00215019, rel=1e-5)
    assert decay(1.0, 10.13, GA68_HALF_LIFE_H) < 0.002


@pytest.mark.parametrize(
    ("activity", "hours", "half_life"),
    [(-1, 1, 1), (1, 1, 0), (1, 1, -5), (math.nan, 1, 1), (1, math.inf, 1)],
)
def test_decay_rejects_bad_input_2(activity, hours, half_life):
    with pytest.raises(ValueError):
        decay(activity, hours, half_life)


def test_a_refusal_is_a_problem_with_its_values():
    with pytest.raises(Problem) as raised:
        net_activity(100.0, 0.0, 60.0, 159.528)
    assert raised.value.code == "residual_not_below_measured"
    assert raised.value.values == {"residual": pytest.approx(120.0), "measured": 100.0}
    with pytest.raises(Problem, match="half_life_h must be positive"):
        decay_constant(0.0)
