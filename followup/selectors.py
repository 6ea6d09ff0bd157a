"""Reads of the follow-up app, each a fixed number of queries.

The RECIST baseline belongs to eligibility; it is read through trial.registry's
"recist_baseline" provider (two queries for any number of participants).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from followup import calculations as calc
from followup.models import RecistAssessment
from trial import registry, schedule
from trial.models import FormState, Participant

RECIST_FORM = "RECIST"


def baselines(participant_ids: list[int]) -> dict[int, dict[str, Any]]:
    provider = registry.facts("recist_baseline")
    return provider(participant_ids) if provider else {}


def baseline_of(participant: Participant) -> dict[str, Any] | None:
    return baselines([participant.pk]).get(participant.pk)


def _stored(participant_ids: list[int]):
    return (
        RecistAssessment.objects.filter(form_status__participant_id__in=participant_ids)
        .exclude(form_status__status=FormState.DELETED)
        .exclude(imaging_date=None)
        .select_related("form_status")
        .order_by("imaging_date", "pk")
    )


def recist_context(
    participant: Participant, row: Any, baseline: dict[str, Any] | None
) -> dict[str, Any] | None:
    """What a RECIST assessment's derivation reads besides its own items: the baseline lesions
    and (date, sum, overall response) of the participant's other assessments (one query)."""
    if baseline is None:
        return None
    others = _stored([participant.pk])
    if getattr(row, "pk", None):
        others = others.exclude(form_status_id=row.pk)
    prior = [
        (a.imaging_date, a.sum_mm, a.overall_response)
        for a in others.only("imaging_date", "sum_mm", "overall_response", "form_status")
    ]
    return {**baseline, "prior": prior}


def anchor_date(participant: Participant) -> date | None:
    """The follow-up anchor (PROTOCOL.md section 2): the IAH infusion date, else PET-IV."""
    dates = participant.dates
    if participant.gate_decision == schedule.PROCEED and "IAH" in dates:
        return dates["IAH"]
    return dates.get("PET-IV")


@dataclass
class Assessment:
    event: str
    imaging_date: date
    day: int | None
    data: RecistAssessment
    confirms: list[str] = field(default_factory=list)


@dataclass
class ParticipantRecist:
    participant: Participant
    baseline: dict[str, Any] | None
    anchor: date | None
    assessments: list[Assessment]
    best: calc.BestOverallResponse
    best_events: list[str]  # the events that establish and confirm the best response
    baseline_sum: float | None
    nadir: float | None

    @property
    def best_pct(self) -> float | None:
        """Largest decrease (or smallest increase) of the sum from baseline, for the waterfall."""
        values = [
            float(a.data.change_baseline_pct)
            for a in self.assessments
            if a.data.change_baseline_pct is not None
        ]
        return min(values) if values else None


def _build(
    participant: Participant, baseline: dict[str, Any] | None, stored: list[RecistAssessment]
) -> ParticipantRecist:
    anchor = anchor_date(participant)
    assessments = [
        Assessment(
            a.form_status.event,
            a.imaging_date,
            (a.imaging_date - anchor).days if anchor else None,
            a,
        )
        for a in stored
    ]
    scored = [
        (a.day, a.data.overall_response)
        for a in assessments
        if a.day is not None and a.day > 0 and a.data.overall_response
    ]
    # Two reads on one day cannot both count; keep the first (a data issue the table shows).
    unique: dict[int, str] = {}
    for day, response in scored:
        unique.setdefault(day, response)
    best = calc.best_overall_response_detail(list(unique.items()))
    by_day = {a.day: a.event for a in assessments}
    best_events = [by_day[d] for d in best.days if d in by_day]
    baseline_sum = (
        calc.sum_of_diameters([float(t["diameter_mm"]) for t in baseline["targets"]])
        if baseline and baseline["targets"]
        else None
    )
    sums = [float(a.data.sum_mm) for a in assessments if a.data.sum_mm is not None]
    nadir = calc.nadir([baseline_sum, *sums]) if baseline_sum is not None else None
    return ParticipantRecist(
        participant, baseline, anchor, assessments, best, best_events, baseline_sum, nadir
    )


def participant_recist(participant: Participant) -> ParticipantRecist:
    """One participant's assessments, best overall response and chart data (3 queries)."""
    return _build(participant, baseline_of(participant), list(_stored([participant.pk])))


def study_recist(participants: list[Participant]) -> list[ParticipantRecist]:
    """Every given participant with at least one assessment (3 queries, however many)."""
    ids = [p.pk for p in participants]
    by_participant: dict[int, list[RecistAssessment]] = {}
    for a in _stored(ids):
        by_participant.setdefault(a.form_status.participant_id, []).append(a)
    found = baselines(ids) if by_participant else {}
    return [
        _build(p, found.get(p.pk), by_participant[p.pk])
        for p in participants
        if p.pk in by_participant
    ]
