"""PET data entered through the real forms (trial.crf.bind + crf_data + save_crf)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from eligibility.actions import sign_eligibility
from tests.conftest import PASSWORD
from tests.eligibility import helpers as eh
from trial import actions
from trial import crf as crf_registry
from trial.models import FormStatus, Participant

NOW = timezone.localtime().replace(second=0, microsecond=0)
IAH_INJECTION = NOW - timedelta(days=12)
IV_INJECTION = NOW - timedelta(days=11)
# IAH / IV SUVmax: ratios 4, 4, 3.5, 3.5, 4 -> 3.80
IAH_SUVS = [(40, 20), (32, 16), (21, 10), (14, 7), (24, 12)]
IV_SUVS = [(10, 5), (8, 4), (6, 3), (4, 2), (6, 3)]
LOW_IV_SUVS = [(20, 10), (16, 8), (10, 5), (7, 3), (12, 6)]  # ratio 2.0


def dt(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def enrolled(nurse: Any, investigator: Any, site: Any) -> Participant:
    participant = eh.eligible_participant(nurse, site)
    sign_eligibility(investigator, PASSWORD, participant, decision="eligible")
    participant.refresh_from_db()
    return participant


def lesions_data() -> tuple[dict, dict]:
    rows = [
        {"segment": s, "diameter_mm": d} for s, d in ((2, 30), (4, 25), (6, 22), (7, 18), (8, 15))
    ]
    return {"mri_date": (NOW - timedelta(days=20)).date()}, {"index_lesions": rows}


def pet_data(
    injection: datetime,
    suvs: list[tuple[Any, Any]] | None = None,
    *,
    iah: bool = True,
    **overrides: Any,
) -> tuple[dict, dict]:
    values: dict[str, Any] = {
        "radiopharmaceutical": "DOTATOC",
        "measured_activity_mbq": "180",
        "measured_at": dt(injection - timedelta(minutes=20)),
        "residual_activity_mbq": "8",
        "residual_at": dt(injection + timedelta(minutes=10)),
        "injection_at": dt(injection),
        "scan_start_at": dt(injection + timedelta(minutes=60)),
        "weight_kg": "70",
    }
    if iah:
        values.update(catheter_position="proper_hepatic", angiography_complications="False")
    values.update(overrides)
    suvs = IAH_SUVS if suvs is None else suvs
    groups = {
        "lesion_suvs": [{"suv_max": high, "suv_mean": mean} for high, mean in suvs],
        "organ_suvs": [{"suv_mean": v} for v in ("10.5", "11", "8", "5", "1.2")],
        "extrahepatic": [{"location": "bone T10", "suv_max": "9.5"}],
    }
    return values, groups


def bind(participant: Participant, event: str, form: str, values: dict, groups: dict, **kw):
    row = participant.forms.get(event=event, form=form, repeat=1)
    return crf_registry.bind(row, participant, crf_registry.post_data(values, groups), **kw)


def save(
    user: Any,
    participant: Participant,
    event: str,
    form: str,
    values: dict,
    groups: dict,
    *,
    reason: str = "",
    confirm: bool = False,
) -> Any:
    participant.refresh_from_db()
    if confirm:
        values = {**values, "confirm_unusual": "on"}
    bound = bind(participant, event, form, values, groups)
    assert bound.is_valid(), (
        bound.errors,
        [(n, fs.errors, fs.non_form_errors()) for n, fs in bound.group_formsets().items()],
    )
    row = FormStatus.objects.get(pk=bound.row.pk)
    return actions.save_crf(
        user, row, bound.crf_data(), expected_version=row.version, reason=reason
    )


def enter_pets(nurse: Any, participant: Participant, iv_suvs=None) -> None:
    save(nurse, participant, "PET-IAH", "PETLES", *lesions_data())
    save(nurse, participant, "PET-IAH", "PET_IAH", *pet_data(IAH_INJECTION))
    participant.refresh_from_db()
    save(
        nurse,
        participant,
        "PET-IV",
        "PET_IV",
        *pet_data(IV_INJECTION, IV_SUVS if iv_suvs is None else iv_suvs, iah=False),
    )
    participant.refresh_from_db()


INFUSION = NOW - timedelta(days=8)
# Activities of the PROTOCOL.md worked example (141.75 MBq·h) in every volume, L1 doubled.
EXAMPLE = ("1.00", "0.90", "0.60", "0.30")
PLANNED_HOURS = (4, 24, 72, 168)


def iah_dose_data(**overrides: Any) -> dict[str, Any]:
    return {
        "infusion_date": timezone.localtime(INFUSION).date(),
        "infusion_start": dt(INFUSION),
        "infusion_end": dt(INFUSION + timedelta(minutes=30)),
        "catheter_position": "proper_hepatic",
        "activity_before_gbq": "7.400",
        "activity_before_at": dt(INFUSION - timedelta(hours=1)),
        "residual_after_gbq": "0.200",
        "residual_after_at": dt(INFUSION + timedelta(hours=1)),
        "amino_acids": "True",
        "complications": "False",
        **overrides,
    }


def dosimetry_rows(hours: tuple[float, ...] = PLANNED_HOURS) -> list[dict[str, Any]]:
    rows = []
    for h, a in zip(hours, EXAMPLE, strict=True):
        row: dict[str, Any] = {"acquired_at": dt(INFUSION + timedelta(hours=h))}
        for name in (
            "act_l2",
            "act_l3",
            "act_l4",
            "act_l5",
            "act_liver",
            "act_kidney_l",
            "act_kidney_r",
            "act_spleen",
            "act_marrow",
        ):
            row[name] = a
        row["act_l1"] = str(float(a) * 2)
        rows.append(row)
    return rows


# VOI volumes (mL) of the SPECT/CT form, by region key (imaging.models.REGION_KEYS: L1-L5,
# healthy liver, left and right kidney, spleen, bone marrow); the density is the default
# 1.06 g/mL except the marrow's.
VOI_VOLUMES = ("12.5", "8", "20", "6.5", "15", "1450", "160", "155", "210", "900")
MARROW_DENSITY = "1.03"


def voi_rows(volumes: tuple[str, ...] = VOI_VOLUMES) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{"volume_ml": v, "density_g_ml": ""} for v in volumes]
    rows[-1]["density_g_ml"] = MARROW_DENSITY
    return rows


def dosimetry_groups(
    rows: list[dict[str, Any]] | None = None, volumes: list[dict[str, Any]] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The SPECT/CT form's two groups as the page posts them."""
    return {
        "time_points": dosimetry_rows() if rows is None else rows,
        "volumes": voi_rows() if volumes is None else volumes,
    }


def enter_iah_and_dosimetry(nurse: Any, participant: Participant) -> None:
    from tests.dosing.conftest import NORMAL_LAB

    participant.refresh_from_db()
    lab = {**NORMAL_LAB, "sample_date": (INFUSION - timedelta(days=2)).date()}
    from tests.dosing.conftest import post_data

    row = participant.forms.get(event="IAH", form="LAB")
    bound = crf_registry.bind(row, participant, post_data(lab))
    if bound.is_valid():
        actions.save_crf(nurse, row, bound.crf_data(), expected_version=row.version)
    # These stories' C4 is 32 days ago: the dose 8 days ago is outside its window (8 weeks
    # after C4, -1 / +4 weeks), which the nurse confirms.
    save(nurse, participant, "IAH", "IAHDOSE", iah_dose_data(), {}, confirm=True)
    participant.refresh_from_db()
    save(nurse, participant, "DOSI", "DOSI", {"comments": ""}, dosimetry_groups())
