"""Crafted screening data entered through the real forms and save_crf, relative to today.

Timeline (days from today): C1 -200, C2 -144, C3 -88, C4 -32, consent -46 (between C3 and C4,
as in the trial), imaging -44/-43, eligibility lab -22, vital signs -21, sign-off today.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from trial import actions
from trial import crf as crf_registry
from trial.models import FormStatus, Participant

TODAY = timezone.localdate()
CYCLE_DATES = {n: TODAY - timedelta(days=200 - 56 * (n - 1)) for n in (1, 2, 3, 4)}
CONSENT_DAY = CYCLE_DATES[4] - timedelta(days=14)
LAB_DAY = CYCLE_DATES[4] + timedelta(days=10)
VITALS_DAY = LAB_DAY + timedelta(days=1)
BIRTH = date(CONSENT_DAY.year - 63, 5, 15)


def consent_data() -> dict[str, Any]:
    return {
        "consent_datetime": datetime.combine(CONSENT_DAY, time(9, 30)).strftime("%Y-%m-%dT%H:%M"),
        "form_version": "2.1",
        "copy_given": "True",
    }


def demographics_data() -> dict[str, Any]:
    return {"birth_date": BIRTH, "sex": "F", "height_cm": "165", "weight_kg": "70"}


def disease_data() -> dict[str, Any]:
    return {
        "diagnosis_date": CONSENT_DAY - timedelta(days=900),
        "well_differentiated": "True",
        "primary_site": "small_intestine",
        "who_grade": "G2",
        "ki67_percent": "5",
        "functioning_syndrome": "True",
        "liver_involvement_percent": "40",
        "extrahepatic_sites": "none",
        "extrahepatic_dominant_or_threatening": "False",
        "cold_ssa_drug": "lanreotide",
        "cold_ssa_start_date": CONSENT_DAY - timedelta(days=850),
        "ssa_progression_date": CONSENT_DAY - timedelta(days=250),
        "hepatic_invasion_over_50": "False",
    }


CARDIO_EVENTS = (
    "heart_failure",
    "myocardial_infarction",
    "stroke",
    "uncontrolled_hypertension",
    "pulmonary_embolism",
    "revascularisation",
    "unstable_angina",
    "uncontrolled_arrhythmia",
    "significant_bradycardia",
)
IAH_FLAGS = (
    "coagulation_disorder",
    "portal_thrombosis",
    "biliary_dilatation",
    "anastomosis_or_fistula",
    "cirrhosis",
)


def cardio_data() -> dict[str, Any]:
    return {
        "carcinoid_heart_disease": "False",
        "lvef_percent": "60",
        **dict.fromkeys(CARDIO_EVENTS, "False"),
    }


def iahci_data() -> dict[str, Any]:
    return {
        **dict.fromkeys(IAH_FLAGS, "False"),
        "bilirubin_entered": "12",
        "bilirubin_unit": "umol/L",
        "albumin_g_l": "40",
        "inr": "1.0",
        "ascites": "none",
        "encephalopathy": "none",
    }


def repro_data() -> dict[str, Any]:
    return {
        "childbearing_potential": "False",
        "contraception_method": "",
        "pregnancy_test_result": "not_done",
        "breast_feeding": "False",
        "social_security": "True",
        "legal_protection": "False",
        "able_to_consent": "True",
        "other_interventional_trial": "False",
        "mri_contraindication": "False",
        "lutathera_contraindication": "False",
    }


def imaging_data(
    targets: list[tuple[str, str]] | None = None, non_targets: list[str] | None = None
) -> dict[str, Any]:
    """The imaging form's fields, with lesion rows as (organ, diameter) and organs."""
    targets = (
        [("liver", "32"), ("liver", "25"), ("lymph_node", "18")] if targets is None else targets
    )
    non_targets = ["bone"] if non_targets is None else non_targets
    data: dict[str, Any] = {
        "ct_date": CONSENT_DAY + timedelta(days=2),
        "mri_date": CONSENT_DAY + timedelta(days=3),
        "liver_dominant_or_exclusive": "True",
        "resectable": "False",
        "complete_response": "False",
    }
    data.update(formset_data("target", [{"organ": o, "diameter_mm": d} for o, d in targets], 5))
    data.update(
        formset_data("nontarget", [{"organ": o} for o in non_targets], len(non_targets) + 3)
    )
    return data


def formset_data(name: str, rows: list[dict[str, Any]], shown: int, initial: int = 0) -> dict:
    """Management form and rows of a lesion formset as the page posts it (`shown` rows, the
    others blank); the first `initial` rows are saved lesions and carry their id."""
    data: dict[str, Any] = {
        f"{name}-TOTAL_FORMS": str(max(shown, len(rows))),
        f"{name}-INITIAL_FORMS": str(initial),
        f"{name}-MIN_NUM_FORMS": "0",
        f"{name}-MAX_NUM_FORMS": "10",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{name}-{index}-{key}"] = value
    return data


def vitals_data() -> dict[str, Any]:
    return {
        "assessment_date": VITALS_DAY,
        "systolic_bp": "128",
        "diastolic_bp": "78",
        "on_antihypertensive": "False",
        "heart_rate": "72",
        "weight_kg": "68",
        "ecog": "1",
    }


def cycle_data(number: int) -> dict[str, Any]:
    return {
        "administration_date": CYCLE_DATES[number],
        "prescribed_gbq": "7.4",
        "administered_gbq": "7.4",
        "amino_acids": "True",
        "residual_uptake": "True",
        "dose_modification": "none",
    }


def lab_data() -> dict[str, Any]:
    return {
        "sample_date": LAB_DAY,
        "haemoglobin_g_dl": "11.2",
        "neutrophils_entered": "3200",
        "neutrophils_unit": "/mm3",
        "lymphocytes_entered": "900",
        "lymphocytes_unit": "/mm3",
        "platelets_entered": "180000",
        "platelets_unit": "/mm3",
        "creatinine_entered": "80",
        "creatinine_unit": "µmol/L",
        "alt_u_l": "30",
        "alt_uln": "40",
        "ast_u_l": "28",
        "ast_uln": "35",
        "bilirubin_entered": "12",
        "bilirubin_unit": "µmol/L",
        "bilirubin_uln_entered": "21",
        "albumin_g_l": "38",
        "prothrombin_percent": "90",
        "inr": "1.05",
    }


SCREENING = {
    "CONSENT": consent_data,
    "DEMOG": demographics_data,
    "DISEASE": disease_data,
    "CARDIO": cardio_data,
    "IAHCI": iahci_data,
    "REPRO": repro_data,
    "IMAGING": imaging_data,
}


def bind(
    participant: Participant,
    event: str,
    form: str,
    data: dict[str, Any],
    *,
    complete: bool = True,
    repeat: int = 1,
):
    """The registered form class bound to `data` (unprefixed names), as the edit page does."""
    row = participant.forms.get(event=event, form=form, repeat=repeat)
    assert crf_registry.get(form) is not None, form
    return crf_registry.bind(row, participant, crf_registry.post_data(data), complete=complete)


def save(
    user: Any,
    participant: Participant,
    event: str,
    form: str,
    data: dict[str, Any],
    *,
    complete: bool = True,
    confirm: bool = False,
) -> Any:
    """Enter a form through its form class and save_crf; the form must be valid."""
    if confirm:
        data = {**data, "confirm_unusual": "on"}
    participant.refresh_from_db()  # event dates set by earlier saves
    bound = bind(participant, event, form, data, complete=complete)
    assert bound.is_valid(), (
        form,
        bound.errors,
        getattr(bound, "formsets", None)
        and [(fs.errors, fs.non_form_errors()) for fs in bound.formsets],
    )
    row = FormStatus.objects.get(pk=bound.row.pk)
    return actions.save_crf(
        user,
        row,
        bound.crf_data(),
        expected_version=row.version,
        reason="transcription error" if row.version else "",
        complete=complete,
    )


def enter_screening(user: Any, participant: Participant, **overrides: dict[str, Any]) -> None:
    """Every screening form with the eligible values, `FORM={field: value}` changing some."""
    for form, data in SCREENING.items():
        save(user, participant, "SCR", form, {**data(), **overrides.get(form, {})})


def enter_cycles(user: Any, participant: Participant) -> None:
    for number in (1, 2, 3, 4):
        save(user, participant, f"C{number}", "CYCLE", cycle_data(number))


def enter_eligibility(user: Any, participant: Participant, **overrides: dict[str, Any]) -> None:
    save(user, participant, "ELIG", "LAB", {**lab_data(), **overrides.get("LAB", {})})
    save(user, participant, "ELIG", "VITALS", {**vitals_data(), **overrides.get("VITALS", {})})


def eligible_participant(user: Any, site: Any) -> Participant:
    participant = actions.register_participant(user, site, CONSENT_DAY)
    enter_cycles(user, participant)
    enter_screening(user, participant)
    enter_eligibility(user, participant)
    participant.refresh_from_db()
    return participant
