"""SDTM dates and study days (SDTMIG 3.4 section 4.4), pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from submission import iso8601

PARIS = ZoneInfo("Europe/Paris")


def test_a_partial_date_stays_partial():
    assert iso8601.dtc("2026") == "2026"
    assert iso8601.dtc("2026-03") == "2026-03"
    assert iso8601.dtc("2026-03-02T10") == "2026-03-02T10"
    for wrong in ("2026-13", "2026-03-02T25:00", "26-03-02", "2026/03/02", ""):
        with pytest.raises(ValueError):
            iso8601.dtc(wrong)


def test_dates_and_times_are_written_as_collected_in_the_sites_time():
    assert iso8601.dtc(date(2026, 3, 2)) == "2026-03-02"
    # 09:30 UTC is 10:30 in Paris in winter, 11:30 in summer; SDTM carries no offset.
    assert iso8601.dtc(datetime(2026, 1, 5, 9, 30, tzinfo=UTC), PARIS) == "2026-01-05T10:30"
    assert iso8601.dtc(datetime(2026, 7, 5, 9, 30, tzinfo=UTC), PARIS) == "2026-07-05T11:30"
    assert iso8601.dtc(datetime(2026, 7, 5, 9, 30, 15, tzinfo=UTC), PARIS) == (
        "2026-07-05T11:30:15"
    )
    with pytest.raises(ValueError, match="time zone"):
        iso8601.dtc(datetime(2026, 7, 5, 9, 30, tzinfo=UTC))
    assert iso8601.dtc(None) is None


def test_the_birth_year_is_all_that_leaves():
    assert iso8601.birth_year(date(1961, 12, 31)) == "1961"
    assert iso8601.birth_year(None) is None


@pytest.mark.parametrize(
    ("when", "start", "day"),
    [
        ("2026-03-02", "2026-03-02", 1),  # the reference day is day 1
        ("2026-03-03", "2026-03-02", 2),
        ("2026-03-01", "2026-03-02", -1),  # the day before is -1: no day 0
        ("2026-02-28T23:59", "2026-03-02", -2),
        ("2027-03-02", "2026-03-02", 366),
        ("2026-03", "2026-03-02", None),  # a partial date has no study day
        ("2026-03-05", None, None),  # nor a participant without a reference start
    ],
)
def test_study_days(when, start, day):
    assert iso8601.study_day(when, start) == day
