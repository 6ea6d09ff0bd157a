"""The risk indicators against a small study counted by hand (no database: the records are
what oversight.study.read returns). Data as of 2026-06-30, two sites A and B.

    A-001  screened 2026-01-01, enrolled 2026-02-15, gate not met, PET-IV 2026-03-01
           (follow-up anchor): M1 done 2026-04-10 (window 2026-03-25..04-08: outside),
           M3 marked missed. 3 AEs (one serious: aware 2026-03-10 08:00, reported
           2026-03-11 14:00, 30 h). 10 graded lab values, one grade 3. Queries: one opened
           2026-05-01 still open (60 days), one opened 2026-06-15 (15 days), one opened
           2026-01-10 and closed 2026-03-01. Forms entered 2, 14 and 1 days after their
           visit. Ledger: February 200 items entered, 4 changed; March 100 entered, 20 changed.
    A-002  screened 2026-03-01, screen failure at ELIG 2026-03-20 (followed until then);
           1 AE on 2026-03-15.
    B-001  screened 2026-05-01, still screening; 4 graded lab values, one grade 4;
           ledger: May 50 items entered, none changed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dosing.selectors import GradedLab
from oversight import indicators as ind
from oversight import risk
from oversight.study import Ae, Entry, Person, Study

AS_OF = date(2026, 6, 30)
LIMITS = {
    "ae_rate": (1.0, 2.0),
    "sae_delay": (24.0, 72.0),
    "lab_grade3": (5.0, 10.0),
    "old_queries": (0.0, 5.0),
    "entry_delay": (5.0, 10.0),
    "late_entries": (5.0, 15.0),
    "missed_visits": (5.0, 10.0),
    "out_of_window": (10.0, 20.0),
    "screen_failure": (30.0, 50.0),
    "changes": (5.0, 10.0),
}


def _ae(pid: int, onset: date, serious: bool = False, aware=None, reported=None) -> Ae:
    return Ae(pid, 0, 1, "Nausea", "Gastrointestinal disorders", 1, onset, serious, aware,
              reported, "", ("", "", ""))  # fmt: skip


def _lab(pid: int, day: date, grade: int, baseline: bool = False) -> GradedLab:
    return GradedLab(pid, "C1", day, "Anemia", grade, baseline)


@pytest.fixture
def study() -> Study:
    a1 = Person(
        1, "A-001", "A", "follow_up", date(2026, 1, 1), date(2026, 2, 15), "not_eligible",
        {"C3": date(2026, 1, 5), "C4": date(2026, 2, 1), "ELIG": date(2026, 2, 15),
         "PET-IAH": date(2026, 2, 20), "PET-IV": date(2026, 3, 1), "M1": date(2026, 4, 10)},
    )  # fmt: skip
    a2 = Person(
        2, "A-002", "A", "screen_failure", date(2026, 3, 1), None, "",
        {"ELIG": date(2026, 3, 20)},
    )  # fmt: skip
    b1 = Person(3, "B-001", "B", "screening", date(2026, 5, 1), None, "", {})
    moment = datetime(2026, 6, 30, 21, 59, 59, tzinfo=UTC)
    s = Study(AS_OF, True, moment, ["A", "B"], [a1, a2, b1])
    s.aes = [
        _ae(1, date(2026, 2, 3)),
        _ae(1, date(2026, 3, 9), True, datetime(2026, 3, 10, 8, tzinfo=UTC),
            datetime(2026, 3, 11, 14, tzinfo=UTC)),
        _ae(1, date(2026, 3, 20)),
        _ae(2, date(2026, 3, 15)),
    ]  # fmt: skip
    s.labs = [
        _lab(1, date(2026, 1, 2), 0, baseline=True),
        *[_lab(1, date(2026, 2, 1), 1) for _ in range(8)],
        _lab(1, date(2026, 3, 1), 3),
        _lab(3, date(2026, 5, 2), 0, baseline=True),
        _lab(3, date(2026, 5, 20), 4),
        _lab(3, date(2026, 5, 20), 0),
        _lab(3, date(2026, 5, 20), 1),
    ]
    s.queries = [
        (1, date(2026, 5, 1), None),
        (1, date(2026, 6, 15), None),
        (1, date(2026, 1, 10), date(2026, 3, 1)),
    ]
    s.entries = [
        Entry(1, date(2026, 2, 1), 2),  # C4, entered on the 3rd
        Entry(1, date(2026, 2, 15), 14),  # ELIG, one form entered on 1 March
        Entry(1, date(2026, 2, 15), 1),
    ]
    s.missed = [(1, "M3")]
    s.changes = {
        (1, date(2026, 2, 1)): [200, 4],
        (1, date(2026, 3, 1)): [100, 20],
        (3, date(2026, 5, 1)): [50, 0],
    }
    return s


def _cells(study: Study) -> dict[str, dict[str, ind.Figure]]:
    rows = risk.table(study, LIMITS, lambda value, decimals: f"{value:.{decimals}f}")
    return {row.key: {c.site or "study": c.figure for c in row.cells} for row in rows}


# Participant-months (30.4375 days): A-001 181 days, A-002 20 days, B-001 61 days.
A_MONTHS = (181 + 20) / 30.4375
B_MONTHS = 61 / 30.4375


def test_adverse_event_rate_per_participant_month(study):
    cells = _cells(study)["ae_rate"]
    assert cells["A"].value == pytest.approx(4 / A_MONTHS)  # 0.61
    assert cells["B"].value == 0
    assert cells["study"].value == pytest.approx(4 / (A_MONTHS + B_MONTHS))
    assert cells["A"].status == ind.GREEN
    assert cells["A"].participants == ["A-001", "A-002"]
    assert cells["B"].participants == []


def test_sae_reporting_delay(study):
    cells = _cells(study)["sae_delay"]
    assert cells["A"].value == pytest.approx(30.0)
    assert cells["A"].status == ind.AMBER  # above 24 h, not above 72 h
    assert cells["A"].participants == ["A-001"]
    assert cells["B"].value is None and cells["B"].status == ind.NONE


def test_an_sae_never_reported_counts_its_delay_so_far(study):
    study.aes.append(_ae(3, date(2026, 6, 1), True, datetime(2026, 6, 26, 21, 59, 59, tzinfo=UTC)))
    cells = _cells(study)["sae_delay"]
    assert cells["B"].value == pytest.approx(96.0)  # four days to the as-of moment
    assert cells["B"].status == ind.RED
    assert cells["study"].value == pytest.approx(63.0)  # median of 30 and 96


def test_grade_3_lab_values(study):
    cells = _cells(study)["lab_grade3"]
    assert cells["A"].value == pytest.approx(10.0)  # 1 of 10
    assert cells["A"].status == ind.AMBER  # exactly the red limit: not above it
    assert cells["B"].value == pytest.approx(25.0)  # 1 of 4
    assert cells["B"].status == ind.RED
    assert cells["study"].value == pytest.approx(100 * 2 / 14)


def test_queries_open_more_than_30_days(study):
    rows = {r.key: r for r in risk.table(study, LIMITS, lambda v, d: str(v))}
    cell = rows["old_queries"].cells[0]
    assert cell.figure.value == 1
    assert cell.figure.status == ind.AMBER
    assert cell.figure.participants == ["A-001"]
    trend = dict(cell.trend)
    # Open at the end of February (49 days); closed by the end of March; at the end of May
    # the May query is 30 days old, not more.
    assert trend[date(2026, 2, 1)] == 1
    assert trend[date(2026, 3, 1)] is None
    assert trend[date(2026, 5, 1)] is None
    assert trend[date(2026, 6, 1)] == 1


def test_days_from_visit_to_entry(study):
    cells = _cells(study)
    assert cells["entry_delay"]["A"].value == 2  # median of 2, 14, 1
    assert cells["entry_delay"]["A"].status == ind.GREEN
    assert cells["entry_delay"]["A"].participants == ["A-001"]  # the 14-day one
    assert cells["late_entries"]["A"].value == 1
    assert cells["late_entries"]["B"].value == 0


def test_missed_visits_and_visits_out_of_window(study):
    cells = _cells(study)
    assert cells["missed_visits"]["A"].value == pytest.approx(50.0)  # M3 missed, M1 done
    assert cells["missed_visits"]["A"].status == ind.RED
    assert cells["missed_visits"]["B"].value is None
    assert cells["out_of_window"]["A"].value == pytest.approx(100.0)  # M1 9 days late
    assert cells["out_of_window"]["A"].participants == ["A-001"]


def test_a_visit_inside_its_window_is_not_a_deviation(study):
    study.people[0].dates["M1"] = date(2026, 4, 8)  # the window's last day
    assert _cells(study)["out_of_window"]["A"].value == 0


def test_screen_failure_rate(study):
    cells = _cells(study)["screen_failure"]
    assert cells["A"].value == pytest.approx(50.0)
    assert cells["A"].status == ind.AMBER  # 50 % is the red limit: not above it
    assert cells["A"].participants == ["A-002"]
    assert cells["B"].value is None  # nobody decided yet


def test_changes_per_100_items(study):
    cells = _cells(study)["changes"]
    assert cells["A"].value == pytest.approx(8.0)  # 24 changes / 300 items
    assert cells["A"].status == ind.AMBER
    assert cells["B"].value == 0
    assert cells["study"].value == pytest.approx(100 * 24 / 350)


def test_trend_is_the_figure_of_each_month(study):
    rows = {r.key: r for r in risk.table(study, LIMITS, lambda v, d: str(v))}
    trend = dict(rows["lab_grade3"].cells[0].trend)
    assert trend[date(2026, 1, 1)] == 0  # the baseline value, grade 0
    assert trend[date(2026, 2, 1)] == 0
    assert trend[date(2026, 3, 1)] == 100
    assert trend[date(2026, 4, 1)] is None
    assert len(trend) == 12 and min(trend) == date(2025, 7, 1)


def test_limits_are_strict_and_read_the_exact_value():
    limits = (5.0, 10.0)
    assert ind.status_of(5.0, limits) == ind.GREEN
    assert ind.status_of(5.0000001, limits) == ind.AMBER
    assert ind.status_of(10.0, limits) == ind.AMBER
    assert ind.status_of(10.01, limits) == ind.RED
    assert ind.status_of(None, limits) == ind.NONE
