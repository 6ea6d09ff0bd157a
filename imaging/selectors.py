"""Reads of the imaging app: the SUVs of both PETs, the enhancement ratios, the gate's slot
count and the gate signature's payload. Each reader runs a fixed number of queries, however
many participants it is given (the gate page reads one, the study view all)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from imaging import calculations as calc
from imaging.models import INDEX_LESIONS, Gate, GateDecision, LesionSuv, Organ, OrganSuv
from trial import crf as crf_registry
from trial import selectors as trial_selectors
from trial.models import FormStatus, Participant, Signature

SIGNATURE_KIND = "gate"
GATE_EVENT, GATE_FORM = "GATE", "GATE"
PETS = ("PET_IAH", "PET_IV")
PET_LABELS = {"PET_IAH": "PET-IAH", "PET_IV": "PET-IV"}
COVERED_FORMS = frozenset({"PETLES", *PETS, GATE_FORM})
# The trial's IAH doses (PROTOCOL.md section 1: at most 10 participants).
IAH_SLOTS = 10
EXPECTED_RATIO = 3.75  # Kratochwil et al. 2010, the mean the trial expects


@dataclass
class LesionRatio:
    number: int
    iah_max: Decimal | None = None
    iv_max: Decimal | None = None
    iah_mean: Decimal | None = None
    iv_mean: Decimal | None = None

    @property
    def label(self) -> str:
        return f"L{self.number}"

    @property
    def ratio_max(self) -> float | None:
        if self.iah_max and self.iv_max:
            return float(self.iah_max) / float(self.iv_max)
        return None

    @property
    def ratio_mean(self) -> float | None:
        if self.iah_mean and self.iv_mean:
            return float(self.iah_mean) / float(self.iv_mean)
        return None


@dataclass
class OrganRatio:
    organ: int
    label: str
    iah: Decimal | None = None
    iv: Decimal | None = None

    @property
    def ratio(self) -> float | None:
        if self.iah and self.iv:
            return float(self.iah) / float(self.iv)
        return None


@dataclass
class GateSummary:
    lesions: list[LesionRatio]
    organs: list[OrganRatio]
    missing: list[str] = field(default_factory=list)
    patient_ratio: float | None = None

    @property
    def met(self) -> bool | None:
        return None if self.patient_ratio is None else calc.gate_met(self.patient_ratio)

    @property
    def patient_ratio_text(self) -> str:
        return "" if self.patient_ratio is None else f"{self.patient_ratio:.2f}"


def _participant_pk(participant: Participant | int) -> int:
    return participant if isinstance(participant, int) else participant.pk


def summaries(participants: Iterable[Participant | int]) -> dict[int, GateSummary]:
    """Each participant's gate summary: two queries, however many participants."""
    ids = [_participant_pk(p) for p in participants]
    prefix = "pet__form_status__"
    cells: dict[int, dict[tuple[str, int], tuple]] = {pk: {} for pk in ids}
    for pk, form, number, high, mean in LesionSuv.objects.filter(
        **{f"{prefix}participant_id__in": ids, f"{prefix}form__in": PETS}
    ).values_list(f"{prefix}participant_id", f"{prefix}form", "number", "suv_max", "suv_mean"):
        cells[pk][(form, number)] = (high, mean)
    organs: dict[int, dict[tuple[str, int], Decimal | None]] = {pk: {} for pk in ids}
    for pk, form, organ, mean in OrganSuv.objects.filter(
        **{f"{prefix}participant_id__in": ids, f"{prefix}form__in": PETS}
    ).values_list(f"{prefix}participant_id", f"{prefix}form", "organ", "suv_mean"):
        organs[pk][(form, organ)] = mean
    return {pk: _summary(cells[pk], organs[pk]) for pk in ids}


def summary(participant: Participant) -> GateSummary:
    return summaries([participant])[participant.pk]


def _summary(cells: dict[tuple[str, int], tuple], organs: dict) -> GateSummary:
    lesions, missing = [], []
    for number in range(1, INDEX_LESIONS + 1):
        iah = cells.get(("PET_IAH", number), (None, None))
        iv = cells.get(("PET_IV", number), (None, None))
        lesion = LesionRatio(number, iah[0], iv[0], iah[1], iv[1])
        lesions.append(lesion)
        for form, value in (("PET_IAH", lesion.iah_max), ("PET_IV", lesion.iv_max)):
            if value is None:
                missing.append(f"{PET_LABELS[form]} L{number} SUVmax")
    organ_rows = [
        OrganRatio(
            int(o.value),
            str(o.label),
            organs.get(("PET_IAH", o.value)),
            organs.get(("PET_IV", o.value)),
        )
        for o in Organ
    ]
    result = GateSummary(lesions, organ_rows, missing)
    if not missing:
        try:
            result.patient_ratio = calc.patient_enhancement_ratio(
                [float(lesion.iah_max) for lesion in lesions],
                [float(lesion.iv_max) for lesion in lesions],
            )
        except ValueError as error:
            result.missing.append(str(error))
    return result


def proceed_count(exclude_participant: int | None = None) -> int:
    """Participants with a signed "proceed" (sign_gate writes the decision only with its
    signature), across the trial."""
    found = Gate.objects.filter(decision=GateDecision.PROCEED)
    if exclude_participant is not None:
        found = found.exclude(form_status__participant_id=exclude_participant)
    return found.count()


def gate_of(participant: Participant) -> Gate | None:
    return Gate.objects.filter(
        form_status__participant=participant, form_status__form=GATE_FORM
    ).first()


def _plain(value: Any) -> Any:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def signature_payload(participant: Participant) -> dict[str, Any]:
    """What the gate signature covers: the index lesions, every value of both PETs (each SUV
    cell included), the ratio and the decision. A change to any of them breaks it."""
    rows = list(
        FormStatus.objects.filter(participant=participant, form__in=COVERED_FORMS).order_by(
            "event", "form", "repeat"
        )
    )
    stored = crf_registry.snapshot(rows)
    payload: dict[str, Any] = {}
    for row in rows:
        if row.pk in stored:
            payload[f"{row.event}/{row.form}"] = stored[row.pk]
    gate = payload.get(f"{GATE_EVENT}/{GATE_FORM}", {})
    payload["decision"] = gate.get("decision", "")
    payload["patient_ratio"] = _plain(gate.get("patient_ratio"))
    return payload


def signature_covers(row: FormStatus) -> bool:
    return row.form in COVERED_FORMS


def current_signature(participant: Participant) -> Signature | None:
    return trial_selectors.current_signature(participant, SIGNATURE_KIND)


def missing_text(summary_: GateSummary) -> str:
    return _("Cannot be computed: missing %(cells)s.") % {"cells": ", ".join(summary_.missing)}


@dataclass(frozen=True)
class StudyRow:
    participant_id: int
    patient_ratio: float | None
    organ_ratios: tuple[float | None, ...]

    @property
    def met(self) -> bool | None:
        return None if self.patient_ratio is None else calc.gate_met(self.patient_ratio)


def study_rows(ids: Any) -> dict[int, StudyRow]:
    """Each participant's patient ratio and organ ratios, for a view of many participants:
    two queries, the SUVs aggregated per participant and PET as arrays of floats. `ids`: a
    list of participant ids or a queryset of them (then a subquery)."""
    from django.contrib.postgres.aggregates import ArrayAgg
    from django.db.models import FloatField
    from django.db.models.functions import Cast

    prefix = "pet__form_status__"
    where = {f"{prefix}participant_id__in": ids, f"{prefix}form__in": PETS}
    lesions: dict[tuple[int, str], tuple[list[int], list[float | None]]] = {}
    for pk, form, numbers, values in (
        LesionSuv.objects.filter(**where)
        .values_list(f"{prefix}participant_id", f"{prefix}form")
        .annotate(
            numbers=ArrayAgg("number", order_by="number"),
            values=ArrayAgg(Cast("suv_max", FloatField()), order_by="number"),
        )
        .values_list(f"{prefix}participant_id", f"{prefix}form", "numbers", "values")
    ):
        lesions[(pk, form)] = (numbers, values)
    organs: dict[tuple[int, str], dict[int, float | None]] = {}
    for pk, form, keys, values in (
        OrganSuv.objects.filter(**where)
        .values_list(f"{prefix}participant_id", f"{prefix}form")
        .annotate(
            keys=ArrayAgg("organ", order_by="organ"),
            values=ArrayAgg(Cast("suv_mean", FloatField()), order_by="organ"),
        )
        .values_list(f"{prefix}participant_id", f"{prefix}form", "keys", "values")
    ):
        organs[(pk, form)] = dict(zip(keys, values, strict=True))
    wanted = list(range(1, INDEX_LESIONS + 1))
    organ_keys = tuple(Organ.values)
    result = {}
    for pk in sorted({pk for pk, _form in (*lesions, *organs)}):
        ratio = None
        iah, iv = lesions.get((pk, "PET_IAH")), lesions.get((pk, "PET_IV"))
        if iah and iv and iah[0] == wanted and iv[0] == wanted:
            try:
                ratio = calc.patient_enhancement_ratio(iah[1], iv[1])
            except (ValueError, TypeError):
                ratio = None
        a, b = organs.get((pk, "PET_IAH"), {}), organs.get((pk, "PET_IV"), {})
        organ_ratios = tuple(a[o] / b[o] if a.get(o) and b.get(o) else None for o in organ_keys)
        if iah or iv or a or b:
            result[pk] = StudyRow(pk, ratio, organ_ratios)
    return result
