"""What this app added to dosing.calculations: the GBq meant when MBq was typed."""

import math

import pytest

from dosing.calculations import activity_check, mbq_suggestion


@pytest.mark.parametrize(
    ("typed", "meant"),
    [(7400, 7.4), (3700, 3.7), (500, 0.5), (8000, 8.0), (7350, 7.35), (499, None), (8001, None)],
)
def test_mbq_typed_for_gbq(typed, meant):
    assert mbq_suggestion(typed) == meant
    if meant is not None:
        # The same rule as activity_check's message.
        assert f"did you mean {meant:g} GBq?" in activity_check(typed).message


@pytest.mark.parametrize("typed", [7.4, 0.4, math.nan, math.inf])
def test_no_suggestion_outside_the_mbq_band(typed):
    assert mbq_suggestion(typed) is None
