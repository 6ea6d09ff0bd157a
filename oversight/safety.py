"""Safety tables from the data read once (study.Study): adverse events by system organ class
and term with participants counted at their worst grade, in two periods (the IV cycles up to
the IAH dose, then after it); the serious adverse events listed; lab shift tables (baseline
grade → worst grade after baseline).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.translation import gettext_lazy as _

from oversight import memo
from oversight.study import Ae, Study
from trial import schedule

GRADES = (1, 2, 3, 4, 5)
LAB_GRADES = (0, 1, 2, 3, 4)
BEFORE_IAH, AFTER_IAH = "iv", "iah"
PERIODS = {
    BEFORE_IAH: _("IV cycles, up to the IAH dose"),
    AFTER_IAH: _("After the IAH dose"),
}


def period_of(ae: Ae, iah: date | None) -> str:
    """An AE belongs to the IAH period from the day of the IAH dose on."""
    return AFTER_IAH if iah is not None and ae.onset is not None and ae.onset >= iah else BEFORE_IAH


@dataclass
class TermRow:
    soc: str
    term: str
    # Participants at their worst grade 1-5 (index 0-4), and with any grade (unknown too).
    by_grade: list[int] = field(default_factory=lambda: [0] * len(GRADES))
    participants: int = 0
    is_soc: bool = False


@dataclass
class AeTable:
    period: str
    label: str
    participants: int  # at risk: in the period at all
    rows: list[TermRow]


def ae_tables(study: Study) -> list[AeTable]:
    by_pk = study.by_pk
    # (period, soc, term) -> participant -> worst grade (0 when not graded yet)
    worst: dict[tuple[str, str, str], dict[int, int]] = {}
    for ae in study.aes:
        person = by_pk[ae.participant_id]
        iah = person.dates.get("IAH") if person.gate_decision == schedule.PROCEED else None
        period = period_of(ae, iah)
        soc = ae.soc or str(_("Unspecified system organ class"))
        term = ae.term or str(_("Term not entered"))
        grade = ae.grade or 0
        for key in ((period, soc, ""), (period, soc, term)):
            seen = worst.setdefault(key, {})
            seen[ae.participant_id] = max(seen.get(ae.participant_id, 0), grade)
    at_risk = {
        BEFORE_IAH: len(study.people),
        AFTER_IAH: sum(
            1 for p in study.people if p.gate_decision == schedule.PROCEED and "IAH" in p.dates
        ),
    }
    tables = []
    for period, label in PERIODS.items():
        rows = []
        for (p, soc, term), seen in sorted(worst.items()):
            if p != period:
                continue
            row = TermRow(soc, term, is_soc=not term)
            for grade in seen.values():
                if grade:
                    row.by_grade[grade - 1] += 1
            row.participants = len(seen)
            rows.append(row)
        tables.append(AeTable(period, str(label), at_risk[period], rows))
    return tables


@dataclass(frozen=True)
class SaeLine:
    code: str
    site: str
    repeat: int
    term: str
    grade: int | None
    onset: date | None
    awareness_at: datetime | None
    reported_at: datetime | None
    hours: float | None  # awareness to reported (so far, when not reported yet)
    outcome: str
    period: str
    relationships: tuple[str, str, str]


def sae_listing(study: Study) -> list[SaeLine]:
    by_pk = study.by_pk
    lines = []
    for ae in study.aes:
        if not ae.serious:
            continue
        person = by_pk[ae.participant_id]
        iah = person.dates.get("IAH") if person.gate_decision == schedule.PROCEED else None
        reported = ae.reported_at if ae.reported_at and ae.reported_at <= study.moment else None
        hours = None
        if ae.awareness_at is not None:
            hours = ((reported or study.moment) - ae.awareness_at).total_seconds() / 3600
        lines.append(
            SaeLine(
                person.code,
                person.site,
                ae.repeat,
                ae.term,
                ae.grade,
                ae.onset,
                ae.awareness_at,
                reported,
                hours,
                ae.outcome,
                period_of(ae, iah),
                ae.relationships,
            )
        )
    return sorted(lines, key=lambda line: (line.code, str(line.onset), line.repeat))


@dataclass
class Shift:
    term: str
    # counts[baseline][worst] of participants, grades 0-4.
    counts: list[list[int]]
    participants: int


def lab_shifts(study: Study) -> list[Shift]:
    """For each CTCAE lab term: participants by baseline grade (their earliest panel) and
    worst grade after it; those without a later value are left out. A study put together
    from its participants' parts takes each part's (term, baseline, worst), kept with it."""
    if not study.parts:
        found = Counter(_baseline_and_worst(study))
    else:
        parts = {part.study.people[0].pk: part for part in study.parts}
        found = memo.running_sum(
            ("lab shifts", study.parts_key),
            parts,
            lambda part: Counter(_baseline_and_worst(part.study)),
            lambda total: Counter(total),
            _add,
        )
    shifts: dict[str, Shift] = {}
    for (term, base, grade), times in found.items():
        shift = shifts.setdefault(term, Shift(term, [[0] * len(LAB_GRADES) for _ in LAB_GRADES], 0))
        shift.counts[min(base, 4)][min(grade, 4)] += times
        shift.participants += times
    return [shifts[term] for term in sorted(shifts)]


def _add(total: Counter, counts: Counter, sign: int) -> None:
    total.update({key: sign * times for key, times in counts.items()})
    for key in [key for key, times in total.items() if not times]:
        del total[key]


def _baseline_and_worst(study: Study) -> list[tuple[str, int, int]]:
    """(term, baseline grade, worst grade after it) of each participant and lab term; the
    baseline and worst grades are kept as they are (the table caps them at 4)."""
    baseline: dict[tuple[str, int], int] = {}
    worst: dict[tuple[str, int], int] = {}
    for lab in study.labs:
        key = (lab.term, lab.participant_id)
        if lab.baseline:
            baseline[key] = lab.grade
        else:
            worst[key] = max(worst.get(key, 0), lab.grade)
    return [
        (term, base, grade)
        for (term, pid), grade in worst.items()
        if (base := baseline.get((term, pid))) is not None
    ]
