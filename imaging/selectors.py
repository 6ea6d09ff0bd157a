"""Reads of the imaging app: the SUVs of both PETs, the enhancement ratios, the gate's slot
count and the gate signature's payload. Each reader runs a fixed number of queries, however
many participants it is given (the gate page reads one, the study view all)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from imaging import calculations as calc
from imaging import dosimetry
from imaging.models import (
    INDEX_LESIONS,
    REGION_KEYS,
    VOLUMES,
    Dosimetry,
    DosimetryPoint,
    Gate,
    LesionSuv,
    Organ,
    OrganSuv,
    PetScan,
    VoiVolume,
)
from imaging.problems import calculation_problem
from trial import crf as crf_registry
from trial import registry, schedule
from trial import selectors as trial_selectors
from trial.calculations import exact
from trial.crf import model_field
from trial.languages import shown_number
from trial.models import FormStatus, Participant, Signature

SIGNATURE_KIND = "gate"
DOSIMETRY_KIND = "dosimetry"
GATE_EVENT, GATE_FORM = "GATE", "GATE"
IAH_EVENT = "IAH"
PROCEED = schedule.PROCEED
PETS = ("PET_IAH", "PET_IV")
PET_LABELS = {"PET_IAH": "PET-IAH", "PET_IV": "PET-IV"}
COVERED_FORMS = frozenset({"PETLES", *PETS, GATE_FORM})
# The trial's IAH doses (PROTOCOL.md section 1: at most 10 participants).
IAH_SLOTS = 10
EXPECTED_RATIO = 3.75  # Kratochwil et al. 2010, the mean the trial expects


def ratio_text(value: float, separator: str | None = None) -> str:
    """A ratio as shown against the gate's threshold: two decimals, more when two would read as
    the other side (calc.ratio_shown: 2.99689 is 2.997, never 3.00), in the reader's number
    format (3.80 in English, 3,80 in French; `separator`: see shown_number)."""
    return shown_number(calc.ratio_shown(value), separator=separator)


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
    def ratio_max_text(self) -> str:
        """The SUVmax ratio as shown against the threshold (its bar stands beside the line)."""
        ratio = self.ratio_max
        return "" if ratio is None else ratio_text(ratio)

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
        return "" if self.patient_ratio is None else ratio_text(self.patient_ratio)


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
                [float(lesion.iah_max or 0) for lesion in lesions],  # none is missing here
                [float(lesion.iv_max or 0) for lesion in lesions],
            )
        except ValueError as error:
            result.missing.append(calculation_problem(error))
    return result


def gate_record(summary_: GateSummary) -> dict[str, Any]:
    """The derived values the Gate row stores beside the decision: the patient ratio and
    whether the gate is met, from the PETs as they are now. Written when signing and kept
    equal to this by the refresh imaging.actions.refresh_gate_ratio."""
    ratio = summary_.patient_ratio
    # As the column will hold it: the exact value the gate is decided on, to its places.
    column = crf_registry.model_field(Gate, "patient_ratio")
    return {
        "patient_ratio": None if ratio is None else crf_registry.as_stored(column, exact(ratio)),
        "gate_met": summary_.met,
    }


def index_lesion_dependants(participant: Participant, numbers: list[Any]) -> dict[Any, list[str]]:
    """Index lesion number -> the PETs whose SUVs of that lesion are entered ("PET-IAH",
    "PET-IV"; one query): what depends on an index lesion (its ratio, the gate)."""
    found: dict[Any, list[str]] = {}
    rows = (
        LesionSuv.objects.filter(
            pet__form_status__participant_id=participant.pk, number__in=numbers
        )
        .exclude(suv_max=None, suv_mean=None)
        .order_by("number", "pet__form_status__form")
        .values_list("number", "pet__form_status__form")
    )
    for number, form in rows:
        found.setdefault(number, []).append(PET_LABELS[form])
    return found


@dataclass(frozen=True)
class IahSlots:
    """The trial's IAH slots: a slot is held from a "proceed" and kept for good once the dose is
    given; it is freed only when a "proceed" is withdrawn before the dose."""

    given: int  # participants whose IAH dose is recorded (its infusion date)
    pending: int  # a "proceed" stands, no dose recorded yet
    held_by_others: int  # held by participants other than the one asked about
    total: int = IAH_SLOTS

    @property
    def held(self) -> int:
        return self.given + self.pending

    @property
    def left(self) -> int:
        return max(self.total - self.held, 0)


# The dose given is the IAH event's date on the journey (the IAH dose form's infusion date);
# the "proceed" is the journey's gate decision (signed, or the demo's unsigned decisions).
_GIVEN = Q(event_dates__has_key=IAH_EVENT)
_HELD = _GIVEN | Q(gate_decision=PROCEED)


def iah_slots(participant: Participant | None = None) -> IahSlots:
    """The IAH slots across the trial, in one query; `held_by_others` leaves out `participant`
    (whose own slot does not stop their decision)."""
    others = _HELD if participant is None else _HELD & ~Q(pk=participant.pk)
    counts = Participant.objects.aggregate(
        given=Count("pk", filter=_GIVEN),
        pending=Count("pk", filter=Q(gate_decision=PROCEED) & ~_GIVEN),
        others=Count("pk", filter=others),
    )
    return IahSlots(counts["given"], counts["pending"], counts["others"])


def dose_given_on(participant: Participant) -> date | None:
    """The IAH dose's date when it is recorded: from then on the gate decision stands."""
    return participant.dates.get(IAH_EVENT)


def recorded_decision(participant: Participant, row: FormStatus | None = None) -> str:
    """The gate decision last signed ("" before any): trial.decisions' `recorded`."""
    found = Gate.objects.filter(form_status=row) if row is not None else None
    if found is None:
        found = Gate.objects.filter(
            form_status__participant=participant, form_status__form=GATE_FORM
        )
    return found.values_list("decision", flat=True).first() or ""


def signed_decisions(participant: Participant) -> list[Signature]:
    """Every gate signature of the participant, the first decision first (the page shows the
    first decision, its date and its signer beside the current one)."""
    return list(
        Signature.objects.filter(participant=participant, kind=SIGNATURE_KIND).order_by(
            "signed_at", "pk"
        )
    )


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


# One statement for the study view: each PET's lesion SUVmax (as arrays, in lesion order) and
# organ SUVmean (pivoted per organ), aggregated per participant of the given scope, with the
# participant's code, in code order. %(scope)s is the scope's own SQL (a subquery of ids).
_STUDY_SQL = """
WITH pets AS (
    SELECT fs.participant_id AS pid, fs.form, pet.id AS pet_id
    FROM %(slots)s fs JOIN %(pets)s pet ON pet.form_status_id = fs.id
    WHERE fs.form IN ('PET_IAH', 'PET_IV') AND fs.participant_id IN (%(scope)s)
), lesions AS (
    SELECT pets.pid,
        array_agg(l.number ORDER BY l.number) FILTER (WHERE pets.form = 'PET_IAH'),
        array_agg(l.suv_max::float8 ORDER BY l.number) FILTER (WHERE pets.form = 'PET_IAH'),
        array_agg(l.number ORDER BY l.number) FILTER (WHERE pets.form = 'PET_IV'),
        array_agg(l.suv_max::float8 ORDER BY l.number) FILTER (WHERE pets.form = 'PET_IV')
    FROM pets JOIN %(lesions)s l ON l.pet_id = pets.pet_id
    GROUP BY pets.pid
), organs AS (
    SELECT pets.pid, %(organs)s
    FROM pets JOIN %(organ_suvs)s o ON o.pet_id = pets.pet_id
    GROUP BY pets.pid
)
SELECT p.id, p.code, lesions.*, organs.*
FROM %(participants)s p
LEFT JOIN lesions ON lesions.pid = p.id
LEFT JOIN organs ON organs.pid = p.id
WHERE lesions.pid IS NOT NULL OR organs.pid IS NOT NULL
ORDER BY p.code
"""


def _organ_columns() -> str:
    # SUVmean of each organ in either PET; the ratio is taken when both are non-zero, as the
    # gate page does (a missing or zero value gives no ratio). float8 division is IEEE, as in
    # Python.
    columns = []
    for organ in Organ.values:
        iah, iv = (
            f"max(o.suv_mean::float8) FILTER (WHERE pets.form = '{form}' "
            f"AND o.organ = {int(organ)})"
            for form in PETS
        )
        columns.append(f"CASE WHEN {iah} <> 0 AND {iv} <> 0 THEN {iah} / {iv} END")
    return ", ".join(columns)


def study_rows(participants: Any) -> list[tuple[str, StudyRow]]:
    """Each participant's patient ratio and organ ratios, for a view of many participants,
    as (code, row) in code order, for the participants with PET SUVs: one query, however
    many participants (`participants`: a queryset, the scope)."""
    scope, params = participants.values("pk").query.sql_with_params()
    sql = _STUDY_SQL % {
        "scope": scope,
        "organs": _organ_columns(),
        "slots": FormStatus._meta.db_table,
        "pets": PetScan._meta.db_table,
        "lesions": LesionSuv._meta.db_table,
        "organ_suvs": OrganSuv._meta.db_table,
        "participants": Participant._meta.db_table,
    }
    wanted = list(range(1, INDEX_LESIONS + 1))
    ratio_of = calc.patient_enhancement_ratio
    result = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for pk, code, _pid, iah_n, iah_v, iv_n, iv_v, _pid2, *organs in cursor.fetchall():
            ratio = None
            if iah_n == wanted and iv_n == wanted:
                try:
                    ratio = ratio_of(iah_v, iv_v)
                except (ValueError, TypeError):
                    ratio = None
            result.append((code, StudyRow(pk, ratio, tuple(organs))))
    return result


# --- Dosimetry (PROTOCOL.md section 5) ------------------------------------------------------

KIDNEYS = frozenset({"act_kidney_l", "act_kidney_r"})
# One curve's dosimetry (imaging/dosimetry.py), for the reporting apps' read side (the SDTM XD
# domain computes it from the package's own values).
region_dosimetry = dosimetry.region_dosimetry
TRAPEZOIDS, MONO, SINGLE = dosimetry.TRAPEZOIDS, dosimetry.MONO, dosimetry.SINGLE
REGION_NAMES = {number: name for name, number in REGION_KEYS.items()}


def kidney_limit_gy() -> float:
    """The kidney dose flagged (settings.KIDNEY_DOSE_LIMIT_GY, default 23 Gy)."""
    return float(Decimal(str(settings.KIDNEY_DOSE_LIMIT_GY)))


def point_values(points: Iterable[DosimetryPoint]) -> list[dict[str, Any]]:
    return [
        {"acquired_at": p.acquired_at, **{name: getattr(p, name) for name in VOLUMES}}
        for p in points
    ]


def volume_values(volumes: Iterable[VoiVolume]) -> dict[str, tuple[Any, Any]]:
    """(volume mL, density or None) by volume name, for the rows entered."""
    return {
        REGION_NAMES[v.region]: (v.volume_ml, v.density_g_ml)
        for v in volumes
        if v.region in REGION_NAMES
    }


def dosimetry_regions(
    points: list[dict[str, Any]],
    volumes: dict[str, tuple[Any, Any]],
    infusion: Any,
    administered: Any,
) -> list[dosimetry.RegionDosimetry]:
    """Every volume of interest's dosimetry (imaging/dosimetry.py) from the values entered."""
    return dosimetry.regions(
        VOLUMES,
        points,
        infusion,
        volumes,
        None if administered is None else float(administered),
        kidneys=KIDNEYS,
        kidney_limit_gy=kidney_limit_gy(),
    )


@dataclass
class DosimetryData:
    row: FormStatus | None
    points: list[dict[str, Any]]
    volumes: dict[str, tuple[Any, Any]]
    infusion: Any
    administered: Any
    participant_code: str = ""

    @property
    def regions(self) -> list[dosimetry.RegionDosimetry]:
        if self.infusion is None:
            return []
        return dosimetry_regions(self.points, self.volumes, self.infusion, self.administered)


def dosimetry_data(participant: Participant) -> DosimetryData:
    """The participant's dosimetry as entered, with the IAH dose's infusion start and net
    activity: four queries."""
    found = Dosimetry.objects.filter(form_status__participant=participant).select_related(
        "form_status"
    )
    dosi = found.first()
    points = list(dosi.points.all()) if dosi else []
    volumes = list(dosi.volumes.all()) if dosi else []
    dose = registry.IAH_DOSE.provider
    infusion, administered = dose(participant) if dose else (None, None)
    return DosimetryData(
        dosi.form_status if dosi else None,
        point_values(points),
        volume_values(volumes),
        infusion,
        administered,
        participant.code,
    )


# --- The physicist's signed review of the dosimetry ----------------------------------------

DOSIMETRY_EVENT, DOSIMETRY_FORM = "DOSI", "DOSI"
# Its inputs: the SPECT/CT form (times, activities, VOI volumes) and the IAH dose (infusion
# start, net activity). A change to either breaks the review.
DOSIMETRY_COVERED = frozenset({DOSIMETRY_FORM, "IAHDOSE"})


def _number(value: float | None) -> str | None:
    # 9 significant digits: the exact value thresholds decide on (calc.exact), as text so
    # the signed content compares the same after a JSON round trip.
    return None if value is None else format(value, ".9g")


def region_content(region: dosimetry.RegionDosimetry) -> dict[str, Any]:
    """One volume's results as signed and exported: each method's TIA and dose, the flags."""
    return {
        "volume_ml": _number(region.volume_ml),
        "density_g_ml": _number(region.density_g_ml),
        "residence_h": _number(region.residence_h),
        "uncertainty": _number(region.uncertainty),
        "single_time_h": _number(region.single_time_h),
        **{
            f"{key}_{part}": _number(getattr(method, attribute))
            for key, method in region.methods.items()
            for part, attribute in (("tia", "tia"), ("gy", "dose_gy"), ("gy_per_gbq", "gy_per_gbq"))
        },
        "flags": sorted(
            flag
            for flag, raised in (
                ("uncertainty", region.uncertainty_flag),
                ("methods", region.methods_flag),
                ("kidney", region.kidney_flag),
            )
            if raised
        ),
    }


def dosimetry_payload(participant: Participant) -> dict[str, Any]:
    """What the physicist's review covers: the SPECT/CT form and the IAH dose as stored, and
    every result computed from them now (three methods, doses, flags) with the kidney limit."""
    rows = list(
        FormStatus.objects.filter(participant=participant, form__in=DOSIMETRY_COVERED).order_by(
            "event", "form", "repeat"
        )
    )
    stored = crf_registry.snapshot(rows)
    payload: dict[str, Any] = {
        f"{row.event}/{row.form}": stored[row.pk] for row in rows if row.pk in stored
    }
    data = dosimetry_data(participant)
    payload["kidney_limit_gy"] = _number(kidney_limit_gy())
    payload["results"] = {region.name: region_content(region) for region in data.regions}
    return payload


def dosimetry_covers(row: FormStatus) -> bool:
    return row.form in DOSIMETRY_COVERED


def kidney_doses_text(regions: list[dosimetry.RegionDosimetry]) -> str:
    """The kidneys' doses by the trapezoids, as the review states them."""
    parts = []
    for region in regions:
        dose = region.methods[dosimetry.TRAPEZOIDS].dose_gy if region.kidney else None
        if dose is not None:
            label = model_field(DosimetryPoint, region.name).verbose_name
            parts.append(f"{label} {shown_number(dose, '.2f')} Gy")
    return ", ".join(parts)


def dosimetry_refusal(data: DosimetryData) -> str | None:
    """Why the dosimetry cannot be reviewed yet, or None."""
    if data.row is None or not data.points:
        return _("The SPECT/CT time points are not entered yet.")
    if data.infusion is None:
        return _("The IAH dose's infusion start is not entered yet.")
    if not any(r.methods[dosimetry.TRAPEZOIDS].dose_gy is not None for r in data.regions):
        return _("No absorbed dose can be computed yet: enter the VOI volumes.")
    return None


def dosimetry_meaning(data: DosimetryData) -> str:
    kidneys = kidney_doses_text(data.regions)
    if kidneys:
        return _(
            "I have reviewed the dosimetry of the IAH dose (kidneys by the trapezoids: %(kidneys)s)"
        ) % {"kidneys": kidneys}
    return _("I have reviewed the dosimetry of the IAH dose")


# --- The dosimetry's results in the data export (trial.registry.ComputedTable) --------------

RESULT_COLUMNS = (
    ("volume_ml", "VOI volume", "decimal", "mL"),
    ("density_g_ml", "Density used (1.06 unless entered)", "decimal", "g/mL"),
    ("residence_h", "Residence time", "decimal", "h"),
    ("tia_trapezoids", "TIA, trapezoids and tail", "decimal", "MBq·h"),
    ("tia_mono", "TIA, mono-exponential fit", "decimal", "MBq·h"),
    ("tia_mono_sd_pct", "TIA, mono-exponential fit: relative SD", "decimal", "%"),
    ("tia_single", "TIA, single time point", "decimal", "MBq·h"),
    ("single_time_h", "Single time point used", "decimal", "h"),
    ("difference_mono_pct", "Mono-exponential vs trapezoids", "decimal", "%"),
    ("difference_single_pct", "Single time point vs trapezoids", "decimal", "%"),
    ("dose_trapezoids_gy", "Absorbed dose, trapezoids", "decimal", "Gy"),
    ("dose_mono_gy", "Absorbed dose, mono-exponential fit", "decimal", "Gy"),
    ("dose_single_gy", "Absorbed dose, single time point", "decimal", "Gy"),
    ("gy_per_gbq_trapezoids", "Gy/GBq, trapezoids", "decimal", "Gy/GBq"),
    ("gy_per_gbq_mono", "Gy/GBq, mono-exponential fit", "decimal", "Gy/GBq"),
    ("gy_per_gbq_single", "Gy/GBq, single time point", "decimal", "Gy/GBq"),
    ("flag_uncertainty", "Flag: fit uncertainty above 50 %", "boolean", ""),
    ("flag_methods", "Flag: methods differ by more than 20 %", "boolean", ""),
    ("flag_kidney", "Flag: kidney dose above the limit", "boolean", ""),
)


def region_values(region: dosimetry.RegionDosimetry) -> dict[str, Any]:
    """One volume's results as the data export writes them (9 significant digits)."""
    methods = region.methods
    uncertainty = None if region.uncertainty is None else region.uncertainty * 100
    values: dict[str, Any] = {
        "volume_ml": region.volume_ml,
        "density_g_ml": region.density_g_ml if region.volume_ml is not None else None,
        "residence_h": region.residence_h,
        "tia_mono_sd_pct": uncertainty,
        "single_time_h": region.single_time_h,
        "difference_mono_pct": methods[dosimetry.MONO].difference,
        "difference_single_pct": methods[dosimetry.SINGLE].difference,
    }
    for key, method in methods.items():
        values[f"tia_{key}"] = method.tia
        values[f"dose_{key}_gy"] = method.dose_gy
        values[f"gy_per_gbq_{key}"] = method.gy_per_gbq
    values = {name: _number(value) for name, value in values.items()}
    values["flag_uncertainty"] = region.uncertainty_flag
    values["flag_methods"] = region.methods_flag
    values["flag_kidney"] = region.kidney_flag
    return values


def result_rows(rows: list[FormStatus]) -> dict[int, list[tuple[Any, str, dict[str, Any]]]]:
    """Each DOSI row's computed results, one per volume of interest (keyed as the VOI
    volumes: REGION_KEYS). Four queries per participant: the IAH doses are at most 10."""
    found: dict[int, list[tuple[Any, str, dict[str, Any]]]] = {}
    for row in rows:
        data = dosimetry_data(row.participant)
        labels = {name: str(model_field(DosimetryPoint, name).verbose_name) for name in VOLUMES}
        found[row.pk] = [
            (REGION_KEYS[region.name], labels[region.name], region_values(region))
            for region in data.regions
        ]
    return found
