"""The endpoints and safety tables against a small study counted by hand (no database: the
records are what oversight.study.read returns). Data as of 2026-06-30.

    P-1  gate met (ER 3.4), IAH dose 2026-01-10 (the follow-up anchor). AEs: nausea grade 1
         on 2026-01-05 and grade 3 on 2026-01-10 (the IAH day: after the dose), fatigue
         grade 2 on 2026-01-02; a serious one, aware 2026-01-10 09:00, reported 2026-01-11
         09:00. RECIST: PR on 2026-03-10 (-40 %), PR on 2026-04-10 (-45 %), PD on 2026-06-10
         (progression dated 2026-06-08).
    P-2  gate not met (ER 2.997: the exact value, not 3.00 as rounded), PET-IV 2026-01-20
         (anchor). AE:
         nausea grade 2 on 2026-02-01. RECIST: SD on 2026-04-20 (-10 %). Died 2026-05-20.
    P-3  screening only. AE: nausea, no grade yet, on 2026-02-01.
    Labs (anaemia): P-1 baseline grade 0, later 1 and 3; P-2 baseline 1, later 1; P-3
    baseline only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dosing.selectors import GradedLab
from oversight import endpoints, safety
from oversight.study import Ae, Ending, Person, Recist, Study

AS_OF = date(2026, 6, 30)


def _ae(pid, term, soc, grade, onset, serious=False, aware=None, reported=None) -> Ae:
    return Ae(pid, pid * 10, 1, term, soc, grade, onset, serious, aware, reported, "recovered",
              ("", "", ""))  # fmt: skip


GI, GEN = "Gastrointestinal disorders", "General disorders"


@pytest.fixture
def study() -> Study:
    p1 = Person(
        1, "P-1", "A", "follow_up", date(2025, 9, 1), date(2025, 11, 1), "proceed",
        {"C4": date(2025, 10, 1), "PET-IAH": date(2025, 11, 5), "PET-IV": date(2025, 11, 6),
         "IAH": date(2026, 1, 10)},
    )  # fmt: skip
    p2 = Person(
        2, "P-2", "A", "follow_up", date(2025, 9, 1), date(2025, 11, 1), "not_eligible",
        {"C4": date(2025, 10, 1), "PET-IAH": date(2026, 1, 5), "PET-IV": date(2026, 1, 20)},
    )  # fmt: skip
    p3 = Person(3, "P-3", "B", "screening", date(2026, 1, 15), None, "", {})
    s = Study(AS_OF, True, datetime(2026, 6, 30, 22, tzinfo=UTC), ["A", "B"], [p1, p2, p3])
    s.aes = [
        _ae(1, "Fatigue", GEN, 2, date(2026, 1, 2)),
        _ae(1, "Nausea", GI, 1, date(2026, 1, 5)),
        _ae(1, "Nausea", GI, 3, date(2026, 1, 10), True, datetime(2026, 1, 10, 9, tzinfo=UTC),
            datetime(2026, 1, 11, 9, tzinfo=UTC)),
        _ae(2, "Nausea", GI, 2, date(2026, 2, 1)),
        _ae(3, "Nausea", GI, None, date(2026, 2, 1)),
    ]  # fmt: skip
    s.labs = [
        GradedLab(1, "C1", date(2025, 9, 2), "Anemia", 0, True),
        GradedLab(1, "C2", date(2025, 10, 2), "Anemia", 1, False),
        GradedLab(1, "C3", date(2025, 11, 2), "Anemia", 3, False),
        GradedLab(2, "C1", date(2025, 9, 2), "Anemia", 1, True),
        GradedLab(2, "C2", date(2025, 10, 2), "Anemia", 1, False),
        GradedLab(3, "C1", date(2026, 1, 16), "Anemia", 0, True),
    ]
    s.recist = [
        Recist(1, "M3", date(2026, 3, 10), -40.0, "PR", None),
        Recist(1, "M3", date(2026, 4, 10), -45.0, "PR", None),
        Recist(1, "M6", date(2026, 6, 10), 10.0, "PD", date(2026, 6, 8)),
        Recist(2, "M3", date(2026, 4, 20), -10.0, "SD", None),
    ]
    s.endings = {2: Ending("death", date(2026, 5, 20), date(2026, 5, 20))}
    s.ratios = {1: 3.4, 2: 2.997}
    s.slots_used = 1
    return s


def test_adverse_events_by_period_soc_and_term_at_worst_grade(study):
    before, after = safety.ae_tables(study)
    assert (before.period, before.participants) == ("iv", 3)
    assert (after.period, after.participants) == ("iah", 1)
    rows = {(r.soc, r.term): r for r in before.rows}
    # Before the IAH dose: nausea P-1 grade 1, P-2 grade 2, P-3 not graded yet.
    nausea = rows[GI, "Nausea"]
    assert nausea.by_grade == [1, 1, 0, 0, 0] and nausea.participants == 3
    assert rows[GI, ""].is_soc and rows[GI, ""].participants == 3
    assert rows[GEN, "Fatigue"].by_grade == [0, 1, 0, 0, 0]
    # From the IAH day on: P-1's grade 3 nausea only.
    (soc, term) = [(r.soc, r.term) for r in after.rows]
    assert soc == (GI, "") and term == (GI, "Nausea")
    assert after.rows[1].by_grade == [0, 0, 1, 0, 0]


def test_serious_adverse_events_listed(study):
    (line,) = safety.sae_listing(study)
    assert (line.code, line.term, line.grade, line.period) == ("P-1", "Nausea", 3, "iah")
    assert line.hours == pytest.approx(24.0)


def test_lab_shift_from_baseline_grade_to_worst_grade(study):
    (shift,) = safety.lab_shifts(study)
    assert shift.term == "Anemia"
    assert shift.participants == 2  # P-3 has no value after baseline
    assert shift.counts[0][3] == 1  # P-1: 0 -> 3 (the worst of 1 and 3)
    assert shift.counts[1][1] == 1  # P-2: 1 -> 1
    assert sum(map(sum, shift.counts)) == 2


def test_screening_funnel(study):
    steps = {s.key: (s.count, s.participants) for s in endpoints.funnel(study)}
    assert steps["screened"] == (3, ["P-1", "P-2", "P-3"])
    assert steps["eligible"][0] == 2
    assert steps["c4"][0] == 2
    assert steps["pets"][0] == 2
    assert steps["gate"] == (1, ["P-1"])
    assert steps["iah"] == (1, ["P-1"])
    assert steps["followup"][0] == 0


def test_ratios_and_slots(study):
    ratios = endpoints.ratios(study)
    assert ratios.values == [("P-2", 2.997), ("P-1", 3.4)]
    assert (ratios.met, ratios.slots_used, ratios.slots, ratios.threshold) == (1, 1, 10, 3.0)


def test_best_overall_response_and_waterfall(study):
    responses = endpoints.responses(study)
    best = {row.code: row.best for row in responses.rows}
    assert best == {"P-1": "PR", "P-2": "SD"}  # PR confirmed 31 days later; SD at day 90
    counts = {r: n for r, n, _pct in responses.counts}
    assert counts == {"CR": 0, "PR": 1, "SD": 1, "PD": 0, "NE": 0}
    assert responses.objective == 1 and responses.total == 2
    # The waterfall: the smallest decrease first.
    assert [(r.code, r.best_pct) for r in responses.rows] == [("P-2", -10.0), ("P-1", -45.0)]


def test_progression_free_survival(study):
    pfs = endpoints.progression_free_survival(study)
    times = {code: (round(months, 2), event) for code, months, event in pfs.times}
    # P-1: anchor 2026-01-10, progression 2026-06-08 (149 days); P-2: anchor 2026-01-20,
    # death 2026-05-20 (120 days).
    assert times == {
        "P-1": (round(149 / 30.4375, 2), True),
        "P-2": (round(120 / 30.4375, 2), True),
    }
    assert pfs.estimate is not None
    # Two events: the curve is 0.5 from P-2's death to P-1's progression. statsmodels' median
    # is the first time the curve falls below 0.5 (no midpoint, unlike R's survfit).
    assert pfs.estimate.median == pytest.approx(149 / 30.4375)
    assert pfs.estimate.events == 2
