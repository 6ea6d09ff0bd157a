"""The trial's endpoints at a glance, from the data read once (study.Study): the screening
funnel, the patient enhancement ratios against the 3.0 gate, the IAH slots, the best overall
responses and the waterfall, and progression-free survival (Kaplan-Meier).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from followup import calculations as recist
from imaging import calculations as imaging_calc
from imaging.selectors import IAH_SLOTS
from oversight import survival
from oversight.study import Study
from trial import schedule

GATE_THRESHOLD = imaging_calc.ENHANCEMENT_GATE_THRESHOLD
DAYS_PER_MONTH = 365.25 / 12
RESPONSES = (recist.CR, recist.PR, recist.SD, recist.PD, recist.NE)


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    count: int
    participants: list[str]


FUNNEL_LABELS = {
    "screened": _("Screened"),
    "eligible": _("Eligible"),
    "c4": _("C4 done"),
    "pets": _("Both PETs"),
    "gate": _("Gate met (ER ≥ 3.0)"),
    "iah": _("IAH dose given"),
    "followup": _("Follow-up done"),
}


def funnel(study: Study) -> list[Step]:
    """Screened → eligible → C4 done → PETs → gate met → IAH given → follow-up done."""
    groups: dict[str, list[str]] = {key: [] for key in FUNNEL_LABELS}
    for person in study.people:
        dates = person.dates
        groups["screened"].append(person.code)
        if person.enrolment_date is not None:
            groups["eligible"].append(person.code)
        if "C4" in dates:
            groups["c4"].append(person.code)
        if "PET-IAH" in dates and "PET-IV" in dates:
            groups["pets"].append(person.code)
        ratio = study.ratios.get(person.pk)
        if ratio is not None and imaging_calc.gate_met(ratio):
            groups["gate"].append(person.code)
        if person.gate_decision == schedule.PROCEED and "IAH" in dates:
            groups["iah"].append(person.code)
        ending = study.endings.get(person.pk)
        if ending is not None and ending.status == schedule.COMPLETED:
            groups["followup"].append(person.code)
    return [
        Step(key, str(label), len(groups[key]), groups[key]) for key, label in FUNNEL_LABELS.items()
    ]


@dataclass(frozen=True)
class Ratios:
    values: list[tuple[str, float]]  # (participant, patient ER), by ratio
    threshold: float
    met: int
    slots_used: int
    slots: int


def ratios(study: Study) -> Ratios:
    by_pk = study.by_pk
    values = sorted(
        ((by_pk[pk].code, r) for pk, r in study.ratios.items() if r is not None and pk in by_pk),
        key=lambda item: (item[1], item[0]),
    )
    met = sum(1 for _code, r in values if imaging_calc.gate_met(r))
    return Ratios(values, GATE_THRESHOLD, met, study.slots_used, IAH_SLOTS)


def anchor_of(dates: dict[str, date], gate_decision: str) -> date | None:
    """The follow-up anchor (PROTOCOL.md section 2): the IAH dose date, else PET-IV."""
    if gate_decision == schedule.PROCEED and "IAH" in dates:
        return dates["IAH"]
    return dates.get("PET-IV")


@dataclass
class Responder:
    code: str
    best: str
    best_pct: float | None  # the largest decrease of the sum from baseline (%)
    iah: bool


@dataclass(frozen=True)
class Responses:
    rows: list[Responder]  # participants in follow-up, by best % change (the waterfall)
    counts: list[tuple[str, int, float]]  # (response, participants, % of evaluable)
    total: int
    objective: int  # CR + PR


def responses(study: Study) -> Responses:
    """Each participant in follow-up (an anchor date): the best overall response of RECIST
    1.1 with confirmation (followup.calculations), and the best % change for the waterfall."""
    by_participant: dict[int, list] = {}
    for item in study.recist:
        by_participant.setdefault(item.participant_id, []).append(item)
    rows = []
    for person in study.people:
        anchor = anchor_of(person.dates, person.gate_decision)
        if anchor is None:
            continue
        found = by_participant.get(person.pk, [])
        scored: dict[int, str] = {}
        for a in found:
            day = (a.imaging_date - anchor).days
            if day > 0 and a.overall:
                scored.setdefault(day, a.overall)
        pcts = [a.change_pct for a in found if a.change_pct is not None]
        rows.append(
            Responder(
                person.code,
                recist.best_overall_response(list(scored.items())),
                min(pcts) if pcts else None,
                person.gate_decision == schedule.PROCEED and "IAH" in person.dates,
            )
        )
    total = len(rows)
    counts = [
        (r, n, 100.0 * n / total if total else 0.0)
        for r in RESPONSES
        for n in [sum(1 for row in rows if row.best == r)]
    ]
    objective = sum(1 for row in rows if row.best in (recist.CR, recist.PR))
    waterfall = sorted(
        (row for row in rows if row.best_pct is not None),
        key=lambda row: (-(row.best_pct or 0.0), row.code),
    )
    return Responses(waterfall, counts, total, objective)


@dataclass(frozen=True)
class Pfs:
    estimate: survival.KaplanMeier | None
    # (participant, months, progressed or died)
    times: list[tuple[str, float, bool]]


def progression_free_survival(study: Study) -> Pfs:
    """From the follow-up anchor to the first RECIST progression (its date, else the
    assessment's) or death, whichever comes first; censored at the last assessment (at the
    anchor with none). Months of 30.44 days."""
    by_participant: dict[int, list] = {}
    for item in study.recist:
        by_participant.setdefault(item.participant_id, []).append(item)
    times = []
    for person in study.people:
        anchor = anchor_of(person.dates, person.gate_decision)
        if anchor is None:
            continue
        assessments = by_participant.get(person.pk, [])
        progressed = next(
            (a.progression_date or a.imaging_date for a in assessments if a.overall == recist.PD),
            None,
        )
        ending = study.endings.get(person.pk)
        death = ending.death_date if ending else None
        events = [d for d in (progressed, death) if d is not None]
        if events:
            end, event = min(events), True
        else:
            end = max((a.imaging_date for a in assessments), default=anchor)
            event = False
        months = max(0.0, (end - anchor).days / DAYS_PER_MONTH)
        times.append((person.code, months, event))
    estimate = survival.kaplan_meier([t for _c, t, _e in times], [e for _c, _t, e in times])
    return Pfs(estimate, times)
