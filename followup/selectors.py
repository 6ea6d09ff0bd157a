"""Reads of the follow-up app, each a fixed number of queries.

The RECIST baseline belongs to eligibility; it is read through the fact
trial.registry.RECIST_BASELINES (two queries for any number of participants).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform

from followup import calculations as calc
from followup.models import RecistAssessment, TargetMeasurement
from trial import registry, schedule
from trial.languages import shown_number
from trial.models import FormState, Participant

RECIST_FORM = "RECIST"
# The form holding the RECIST baseline (eligibility's inclusion imaging), a refresh input.
BASELINE_FORM = "IMAGING"


def baselines(participant_ids: list[int]) -> dict[int, dict[str, Any]]:
    provider = registry.RECIST_BASELINES.provider
    return provider(participant_ids) if provider else {}


def baseline_of(participant: Participant) -> dict[str, Any] | None:
    return baselines([participant.pk]).get(participant.pk)


def stored_assessments(participant_ids: list[int]):
    return (
        RecistAssessment.objects.filter(form_status__participant_id__in=participant_ids)
        .exclude(form_status__status=FormState.DELETED)
        .exclude(imaging_date=None)
        .select_related("form_status")
        .order_by("imaging_date", "pk")
    )


def assessment_summaries(participant_id: int) -> dict[int, tuple[date, Any, str]]:
    """Form-status row -> (date, sum, overall response) of the participant's stored
    assessments (one query): what an assessment's derivation reads of the others."""
    rows = (
        RecistAssessment.objects.filter(form_status__participant_id=participant_id)
        .exclude(form_status__status=FormState.DELETED)
        .exclude(imaging_date=None)
        .order_by("imaging_date", "pk")
        .values_list("form_status_id", "imaging_date", "sum_mm", "overall_response")
    )
    return {pk: (day, total, overall) for pk, day, total, overall in rows if day is not None}


def measured_lesions(participant: Participant, numbers: list[Any]) -> dict[Any, list[str]]:
    """Baseline target lesion number -> the follow-up assessments that measure it ("M3
    RECIST"), in date order (one query): what depends on a baseline lesion."""
    found: dict[Any, list[str]] = {}
    rows = (
        TargetMeasurement.objects.filter(
            assessment__form_status__participant_id=participant.pk, number__in=numbers
        )
        .exclude(assessment__form_status__status=FormState.DELETED)
        .order_by("number", "assessment__imaging_date", "assessment__form_status__event")
        .values_list("number", "assessment__form_status__event")
    )
    for number, event in rows:
        found.setdefault(number, []).append(f"{event} {RECIST_FORM}")
    return found


def measurements_of(assessment_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The target measurements of these assessments, as the derivation reads them (one
    query)."""
    found: dict[int, list[dict[str, Any]]] = {}
    rows = TargetMeasurement.objects.filter(assessment_id__in=assessment_ids).order_by("number")
    for m in rows.values("assessment_id", "number", "present", "size_mm", "state", "merged_into"):
        row: dict[str, Any] = dict(m)
        found.setdefault(row.pop("assessment_id"), []).append(row)
    return found


def anchor_date(participant: Participant) -> date | None:
    """The follow-up anchor (PROTOCOL.md section 2): the IAH infusion date, else PET-IV."""
    dates = participant.dates
    if participant.gate_decision == schedule.PROCEED and "IAH" in dates:
        return dates["IAH"]
    return dates.get("PET-IV")


@dataclass
class Assessment:
    event: str
    imaging_date: date | None
    day: int | None
    data: RecistAssessment
    confirms: list[str] = field(default_factory=list)
    # A CR or PR that no later assessment confirms (yet): shown "unconfirmed".
    unconfirmed: bool = False
    # The target lesions not simply measured or gone: "T1 split", "T2 merged into T3"
    # (filled by with_lesion_states, for the pages that show them).
    lesions: list[str] = field(default_factory=list)


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
    def unconfirmed(self) -> list[Assessment]:
        """The CR and PR assessments not confirmed (yet), in date order."""
        return [a for a in self.assessments if a.unconfirmed]

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
            (a.imaging_date - anchor).days if anchor and a.imaging_date else None,
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
    unconfirmed = calc.unconfirmed_responses(list(unique.items()))
    for assessment in assessments:
        assessment.unconfirmed = assessment.day in unconfirmed and (
            unique.get(assessment.day) == assessment.data.overall_response
        )
    by_day: dict[Any, str] = {a.day: a.event for a in assessments}
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


def with_lesion_states(recist: ParticipantRecist) -> ParticipantRecist:
    """Each assessment's lesions marked split, merged or not evaluable, by label (one
    query)."""
    by_pk = {a.data.pk: a for a in recist.assessments}
    rows = (
        TargetMeasurement.objects.filter(assessment_id__in=list(by_pk))
        .exclude(state="")
        .order_by("assessment_id", "number")
    )
    for m in rows:
        by_pk[m.assessment_id].lesions.append(f"{m} {m.state_shown}")
    return recist


def participant_recist(participant: Participant) -> ParticipantRecist:
    """One participant's assessments, best overall response and chart data (3 queries)."""
    return _build(participant, baseline_of(participant), list(stored_assessments([participant.pk])))


@dataclass
class StudyRow:
    """One participant of the study charts: % change from baseline at each assessment (days
    since the anchor), the best overall response and the best % change (for the waterfall)."""

    code: str
    points: list[tuple[float, float]]
    best: str
    best_pct: float | None
    assessments: int
    best_pct_text: str = ""


def _anchor_of(iah: str | None, pet_iv: str | None, gate_decision: str) -> date | None:
    value = iah if gate_decision == schedule.PROCEED and iah else pet_iv
    return date.fromisoformat(value) if value else None


def study_rows(participants: QuerySet[Participant]) -> list[StudyRow]:
    """Every participant of `participants` (a queryset, used as a subquery) with follow-up
    imaging, for the spider plot and the waterfall: one query, plain values, however many."""
    found = (
        RecistAssessment.objects.filter(form_status__participant__in=participants.values("pk"))
        .exclude(form_status__status=FormState.DELETED)
        .exclude(imaging_date=None)
        .order_by("form_status__participant__code", "imaging_date", "pk")
        # The two anchor dates only, read in SQL: not the whole journey of every row.
        .annotate(
            iah=KeyTextTransform("IAH", "form_status__participant__event_dates"),
            pet_iv=KeyTextTransform("PET-IV", "form_status__participant__event_dates"),
        )
        .values_list(
            "form_status__participant__code",
            "iah",
            "pet_iv",
            "form_status__participant__gate_decision",
            "imaging_date",
            "change_baseline_pct",
            "overall_response",
        )
    )
    rows: list[StudyRow] = []
    current: StudyRow | None = None
    responses: dict[int, str] = {}
    anchor: date | None = None

    def close() -> None:
        if current is not None:
            current.best = calc.best_overall_response(list(responses.items()))
            pcts = [pct for _day, pct in current.points]
            current.best_pct = min(pcts) if pcts else None
            current.best_pct_text = (
                "—" if current.best_pct is None else shown_number(current.best_pct, "+.1f")
            )
            rows.append(current)

    for code, iah, pet_iv, gate, day, pct, overall in found:
        if current is None or current.code != code:
            close()
            current, responses = StudyRow(code, [], calc.NE, None, 0), {}
            anchor = _anchor_of(iah, pet_iv, gate)
        current.assessments += 1
        if anchor is None or day is None:
            continue
        days = (day - anchor).days
        if pct is not None:
            current.points.append((float(days), float(pct)))
        if days > 0 and overall:
            responses.setdefault(days, overall)
    close()
    return rows
