"""The schedule's windows and conditions (PROTOCOL.md section 2); pure, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from trial import schedule as s

SCREENING = date(2026, 1, 10)


def planned(status: str = s.SCREENING, gate: str = "", **dates: date) -> dict[str, s.PlannedEvent]:
    keyed = {k.replace("_", "-"): v for k, v in dates.items()}
    return {
        p.code: p
        for p in s.plan(status, gate, keyed, screening_date=SCREENING, enrolment_date=None)
    }


@pytest.mark.req("SCHED.WINDOWS")
def test_next_cycle_window_is_eight_weeks_plus_or_minus_one():
    c2 = planned(C1=date(2026, 1, 1))["C2"].window
    assert c2.target == date(2026, 2, 26)
    assert (c2.opens, c2.closes) == (date(2026, 2, 19), date(2026, 3, 5))


def test_eligibility_applies_only_after_c4_and_screen_failures_stop_there():
    before_c4 = planned()
    assert before_c4["ELIG"].window.opens is None
    assert "PET-IAH" not in before_c4
    failed = planned(s.SCREEN_FAILURE, C4=date(2026, 4, 1))
    assert list(failed)[-1] == "ELIG"


@pytest.mark.req("SCHED.WINDOWS")
def test_imaging_windows_follow_c4_and_the_iah_pet():
    events = planned(s.ENROLLED, C4=date(2026, 4, 1), PET_IAH=date(2026, 4, 20))
    assert events["PET-IAH"].window.closes == date(2026, 4, 1) + timedelta(weeks=8)
    assert events["PET-IV"].window.opens == date(2026, 4, 20)
    assert events["PET-IV"].window.closes == date(2026, 5, 18)


@pytest.mark.req("SCHED.WINDOWS", "P11.10f")
def test_iah_dose_and_dosimetry_only_after_a_proceed_gate():
    no = planned(s.ENROLLED, "not_eligible", C4=date(2026, 4, 1))
    assert "IAH" not in no and "DOSI" not in no
    yes = planned(s.ENROLLED, s.PROCEED, C4=date(2026, 4, 1))
    iah = yes["IAH"].window
    assert (iah.opens, iah.target, iah.closes) == (
        date(2026, 5, 20),
        date(2026, 5, 27),
        date(2026, 6, 24),
    )
    assert "DOSI" in yes


@pytest.mark.req("SCHED.WINDOWS")
def test_follow_up_anchors_on_iah_dose_or_else_the_iv_pet():
    with_iah = planned(s.FOLLOW_UP, s.PROCEED, C4=date(2026, 4, 1), IAH=date(2026, 5, 27))
    assert with_iah["M1"].window.target == date(2026, 6, 27)
    without = planned(s.FOLLOW_UP, "declined", C4=date(2026, 4, 1), PET_IV=date(2026, 4, 25))
    assert without["M3"].window.target == date(2026, 7, 25)
    assert without["EOS"].window == without["M18"].window


@pytest.mark.req("SCHED.WINDOWS")
def test_follow_up_tolerances_by_month():
    events = planned(s.FOLLOW_UP, "declined", C4=date(2026, 4, 1), PET_IV=date(2026, 4, 25))
    for month, days in ((1, 7), (3, 14), (6, 14), (9, 30), (18, 30)):
        w = events[f"M{month}"].window
        assert w.target - w.opens == timedelta(days=days)
        assert w.closes - w.target == timedelta(days=days)


def test_add_months_clamps_to_the_end_of_month():
    assert s.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert s.add_months(date(2027, 12, 15), 3) == date(2028, 3, 15)


def test_overdue_means_window_closed_and_not_done():
    event = planned(C1=date(2026, 1, 1))["C2"]
    assert not event.is_overdue(date(2026, 3, 5))
    assert event.is_overdue(date(2026, 3, 6))
    done = planned(C1=date(2026, 1, 1), C2=date(2026, 2, 26))["C2"]
    assert not done.is_overdue(date(2026, 6, 1))


@pytest.mark.req("SCHED.END")
def test_withdrawn_keeps_done_events_and_gets_end_of_study():
    events = planned(s.WITHDRAWN, "", C1=date(2026, 1, 1), C2=date(2026, 2, 26))
    assert list(events) == ["C1", "C2", "EOS"]


def test_every_event_form_has_a_label():
    for event in s.EVENTS:
        for form in event.forms:
            assert form in s.FORMS


def test_a_remembered_plan_follows_its_inputs_and_is_the_callers_own_list():
    # The plan is remembered by its inputs: a new date, status or gate gives the new plan,
    # and a caller changing its list leaves the next caller's alone.
    first = s.plan(s.SCREENING, "", {}, screening_date=SCREENING)
    assert first[1].window.target is None  # C2 unknown before C1
    first.clear()
    again = s.plan(s.SCREENING, "", {}, screening_date=SCREENING)
    assert [p.code for p in again] == ["SCR", "C1", "C2", "C3", "C4", "ELIG"]
    with_c1 = s.plan(s.SCREENING, "", {"C1": date(2026, 1, 1)}, screening_date=SCREENING)
    assert with_c1[2].window.target == date(2026, 2, 26)
    failed = s.plan(s.SCREEN_FAILURE, "", {"C1": date(2026, 1, 1)}, screening_date=SCREENING)
    assert failed[-1].code == "ELIG" and len(failed) == 6
    enrolled = s.plan(s.ENROLLED, "", {"C1": date(2026, 1, 1)}, screening_date=SCREENING)
    assert "GATE" in [p.code for p in enrolled]
