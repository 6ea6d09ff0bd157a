"""The panel a result belongs to: the event window holding its sample date, at every boundary."""

from datetime import date, timedelta

from dosing.labimport.windows import PRE_DOSE_LEAD, PanelWindow, panel_windows, target_event
from trial import schedule

C1 = date(2025, 11, 3)


def plan(dates, status=schedule.SCREENING, gate=""):
    return schedule.plan(status, gate, dates, screening_date=date(2025, 10, 20))


def event_of(dates, sample, **kwargs):
    return target_event(panel_windows(plan(dates, **kwargs)), sample)


def test_a_pre_cycle_panel_is_drawn_in_the_two_weeks_before_its_window():
    c2_target = C1 + schedule.CYCLE_INTERVAL
    opens = c2_target - schedule.CYCLE_TOLERANCE - PRE_DOSE_LEAD
    closes = c2_target + schedule.CYCLE_TOLERANCE
    dates = {"C1": C1}
    assert event_of(dates, opens) == "C2"
    assert event_of(dates, opens - timedelta(days=1)) is None
    assert event_of(dates, closes) == "C2"
    assert event_of(dates, closes + timedelta(days=1)) is None


def test_once_the_dose_is_given_its_panel_is_the_two_weeks_up_to_the_dose_day():
    c2 = date(2026, 1, 2)
    dates = {"C1": C1, "C2": c2}
    assert event_of(dates, c2) == "C2"
    assert event_of(dates, c2 - PRE_DOSE_LEAD) == "C2"
    assert event_of(dates, c2 - PRE_DOSE_LEAD - timedelta(days=1)) is None
    # The day after the dose is no longer pre-dose: C3's window is still weeks away.
    assert event_of(dates, c2 + timedelta(days=1)) is None
    assert event_of(dates, C1) == "C1"  # C1's date known: its panel too


def test_eligibility_labs_are_after_c4_and_a_follow_up_panel_in_its_visit_window():
    c4 = date(2026, 5, 4)
    dates = {"C1": C1, "C2": date(2025, 12, 29), "C3": date(2026, 2, 23), "C4": c4}
    assert event_of(dates, c4 + timedelta(days=1)) == "ELIG"
    assert event_of(dates, c4) == "C4"
    pet_iv = date(2026, 6, 20)
    followed = {**dates, "ELIG": c4 + timedelta(days=10), "PET-IAH": date(2026, 6, 15)}
    followed["PET-IV"] = pet_iv
    m3 = schedule.add_months(pet_iv, 3)
    assert event_of(followed, m3 - timedelta(days=14), status=schedule.FOLLOW_UP) == "M3"
    assert event_of(followed, m3 + timedelta(days=15), status=schedule.FOLLOW_UP) is None


def test_overlapping_windows_give_the_event_whose_target_is_nearest():
    windows = [
        PanelWindow("ELIG", date(2026, 1, 1), date(2026, 2, 26), date(2026, 1, 29)),
        PanelWindow("IAH", date(2026, 2, 12), date(2026, 3, 26), date(2026, 2, 26)),
    ]
    assert target_event(windows, date(2026, 2, 11)) == "ELIG"  # only ELIG's window holds it
    assert target_event(windows, date(2026, 2, 12)) == "ELIG"  # 14 days from both: the earlier
    assert target_event(windows, date(2026, 2, 13)) == "IAH"  # 13 days from IAH's, 15 from ELIG's


def test_events_without_a_known_window_or_without_labs_hold_nothing():
    assert panel_windows(plan({})) == []  # no cycle date yet: no window at all
    codes = [w.event for w in panel_windows(plan({"C1": C1}))]
    assert codes == ["C1", "C2"]  # C3 needs C2's date; SCR has no lab panel
