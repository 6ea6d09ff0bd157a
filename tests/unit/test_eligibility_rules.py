"""Tests for the eligibility engine (PROTOCOL.md section 4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from eligibility.rules import (
    CANNOT_ASSESS,
    CRITERIA,
    ELIGIBLE,
    INCOMPLETE,
    ITEM_FORMS,
    MET,
    NOT_ELIGIBLE,
    NOT_MET,
    CriterionResult,
    Cycle,
    Evaluation,
    Facts,
    evaluate,
)

CONSENT = datetime(2024, 2, 26, 9, 30)
SIGNOFF = date(2024, 3, 11)
LAB_DATE = date(2024, 3, 4)
CYCLE_DATES = {
    1: date(2023, 8, 29),
    2: date(2023, 10, 24),
    3: date(2023, 12, 19),
    4: date(2024, 2, 13),
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


def eligible_items() -> dict[str, object]:
    """A 63-year-old woman without childbearing potential who meets every criterion."""
    return {
        "CONSENT.consent_datetime": CONSENT,
        "CONSENT.form_version": "1.2",
        "CONSENT.copy_given": True,
        "DEMOG.birth_date": date(1960, 5, 15),
        "DEMOG.sex": "F",
        "DEMOG.height_cm": 165,
        "DEMOG.weight_kg": 70,
        "DISEASE.diagnosis_date": date(2021, 6, 1),
        "DISEASE.well_differentiated": True,
        "DISEASE.primary_site": "small_intestine",
        "DISEASE.who_grade": "G2",
        "DISEASE.ki67_percent": 5.0,
        "DISEASE.functioning_syndrome": True,
        "DISEASE.liver_involvement_percent": 40,
        "DISEASE.extrahepatic_sites": "",
        "DISEASE.cold_ssa_drug": "lanreotide",
        "DISEASE.cold_ssa_start_date": date(2021, 7, 1),
        "DISEASE.ssa_progression_date": date(2023, 6, 15),
        "DISEASE.hepatic_invasion_over_50": False,
        "DISEASE.extrahepatic_dominant_or_threatening": False,
        "CARDIO.carcinoid_heart_disease": False,
        "CARDIO.lvef_percent": 60,
        **{f"CARDIO.{name}": False for name in CARDIO_EVENTS},
        **{f"IAHCI.{name}": False for name in IAH_FLAGS},
        "IAHCI.bilirubin_umol_l": 12.0,
        "IAHCI.albumin_g_l": 40.0,
        "IAHCI.inr": 1.0,
        "IAHCI.ascites": "none",
        "IAHCI.encephalopathy": "none",
        "VITALS.assessment_date": date(2024, 2, 27),
        "VITALS.systolic_bp": 128,
        "VITALS.diastolic_bp": 78,
        "VITALS.on_antihypertensive": False,
        "VITALS.heart_rate": 72,
        "VITALS.weight_kg": 68.0,
        "VITALS.ecog": 1,
        "LAB.sample_date": LAB_DATE,
        "LAB.haemoglobin_g_dl": 11.2,
        "LAB.neutrophils_mm3": 3200,
        "LAB.lymphocytes_mm3": 900,
        "LAB.platelets_mm3": 180_000,
        "LAB.creatinine_umol_l": 80.0,
        "LAB.alt_u_l": 30.0,
        "LAB.alt_uln": 40.0,
        "LAB.ast_u_l": 28.0,
        "LAB.ast_uln": 35.0,
        "LAB.bilirubin_umol_l": 12.0,
        "LAB.bilirubin_uln": 21.0,
        "LAB.albumin_g_l": 38.0,
        "LAB.prothrombin_percent": 90.0,
        "LAB.inr": 1.05,
        "REPRO.childbearing_potential": False,
        "REPRO.contraception_method": None,
        "REPRO.pregnancy_test_result": "not_done",
        "REPRO.breast_feeding": False,
        "REPRO.social_security": True,
        "REPRO.legal_protection": False,
        "REPRO.able_to_consent": True,
        "REPRO.other_interventional_trial": False,
        "REPRO.mri_contraindication": False,
        "REPRO.lutathera_contraindication": False,
        "IMAGING.ct_date": date(2024, 2, 28),
        "IMAGING.mri_date": date(2024, 2, 29),
        "IMAGING.liver_dominant_or_exclusive": True,
        "IMAGING.resectable": False,
        "IMAGING.measurable_target_lesions": 3,
        "IMAGING.complete_response": False,
    }


def eligible_cycles() -> dict[int, Cycle]:
    return {
        n: Cycle(number=n, administered=True, administration_date=d, residual_uptake=True)
        for n, d in CYCLE_DATES.items()
    }


def make_facts(
    changes: Mapping[str, object] | None = None,
    *,
    signoff: date = SIGNOFF,
    drop_cycles: tuple[int, ...] = (),
) -> Facts:
    """The eligible participant with some items changed ("C<n>.<field>" changes a cycle)."""
    items = eligible_items()
    cycles = eligible_cycles()
    for key, value in (changes or {}).items():
        form, name = key.split(".", 1)
        if form in ("C1", "C2", "C3", "C4"):
            number = int(form[1])
            cycles[number] = replace(cycles[number], **{name: value})
        else:
            items[key] = value
    for number in drop_cycles:
        del cycles[number]
    return Facts(items=items, cycles=tuple(cycles.values()), signoff_date=signoff)


def criterion(evaluation: Evaluation, code: str) -> CriterionResult:
    (result,) = [c for c in evaluation.criteria if c.code == code]
    return result


# --- The eligible participant ---------------------------------------------------------------------
def test_crafted_participant_is_eligible() -> None:
    evaluation = evaluate(make_facts())
    assert evaluation.result == ELIGIBLE
    assert evaluation.failed == ()
    assert evaluation.unassessed == ()
    assert evaluation.missing == ()
    for result in evaluation.criteria:
        expected = MET if result.kind == "inclusion" else NOT_MET
        assert result.status == expected, (result.code, result.detail)
        assert result.missing == ()
        assert result.warnings == ()
        assert result.detail
        assert result.text


def test_criteria_are_the_23_protocol_criteria_in_order() -> None:
    codes = [c.code for c in evaluate(make_facts()).criteria]
    assert codes == [f"I{n}" for n in range(1, 12)] + [f"E{n}" for n in range(1, 13)]
    kinds = {c.code: c.kind for c in evaluate(make_facts()).criteria}
    assert {kinds[f"I{n}"] for n in range(1, 12)} == {"inclusion"}
    assert {kinds[f"E{n}"] for n in range(1, 13)} == {"exclusion"}


def test_i6_detail_shows_the_computed_numbers() -> None:
    # (140 - 63) x 68 / (72 x 80 / 88.4) x 0.85 = 68.3 mL/min; ALT 30/40; AST 28/35
    result = criterion(evaluate(make_facts()), "I6")
    assert (
        result.detail == "Clearance 68.3 mL/min >= 50; ALT 0.75 x ULN <= 2.5; AST 0.80 x ULN <= 2.5"
    )
    assert result.sources["VITALS.weight_kg"] == 68.0
    assert result.sources["LAB.creatinine_umol_l"] == 80.0
    assert result.sources["C4.administration_date"] == CYCLE_DATES[4]
    assert "DEMOG.weight_kg" not in result.sources


# --- Every criterion: met, not met, cannot be assessed -------------------------------------------
@dataclass(frozen=True)
class Case:
    id: str
    code: str
    changes: dict[str, object]
    status: str
    missing: tuple[str, ...] = ()
    signoff: date = SIGNOFF
    drop_cycles: tuple[int, ...] = ()
    overall: str | None = None  # default: follows from this criterion alone
    warning: str | None = None  # a fragment one of the warnings must contain

    def expected_overall(self, kind: str) -> str:
        if self.overall is not None:
            return self.overall
        if self.status == CANNOT_ASSESS:
            return INCOMPLETE
        failing = NOT_MET if kind == "inclusion" else MET
        return NOT_ELIGIBLE if self.status == failing else ELIGIBLE


MALE = {"DEMOG.sex": "M", "REPRO.childbearing_potential": None}
FERTILE = {"REPRO.childbearing_potential": True, "REPRO.pregnancy_test_result": "negative"}
CP_SIX = {"IAHCI.bilirubin_umol_l": 40.0, "IAHCI.inr": 1.8}  # 2 + 1 + 2 + 1 + 1 = 7 with albumin 40

CASES = [
    # I1 well-differentiated GEP-NET
    Case("I1-met-pancreas", "I1", {"DISEASE.primary_site": "pancreas"}, MET),
    Case("I1-not-met-non-gep", "I1", {"DISEASE.primary_site": "other_non_gep"}, NOT_MET),
    Case(
        "I1-not-met-poorly-differentiated-site-missing",
        "I1",
        {"DISEASE.well_differentiated": False, "DISEASE.primary_site": None},
        NOT_MET,
    ),
    Case(
        "I1-cannot",
        "I1",
        {"DISEASE.well_differentiated": None},
        CANNOT_ASSESS,
        ("DISEASE.well_differentiated",),
    ),
    Case(
        "I1-cannot-unknown-site-code",
        "I1",
        {"DISEASE.primary_site": "liver"},
        CANNOT_ASSESS,
        ("DISEASE.primary_site",),
        warning="DISEASE.primary_site = 'liver'",
    ),
    # I2 progression within 12 months, or hepatic invasion > 50 %
    Case("I2-met-365-days", "I2", {"DISEASE.ssa_progression_date": date(2023, 2, 26)}, MET),
    Case(
        "I2-not-met-366-days",
        "I2",
        {"DISEASE.ssa_progression_date": date(2023, 2, 25)},
        NOT_MET,
    ),
    Case(
        "I2-met-hepatic-invasion",
        "I2",
        {"DISEASE.ssa_progression_date": None, "DISEASE.hepatic_invasion_over_50": True},
        MET,
    ),
    Case(
        "I2-cannot-no-progression-date",
        "I2",
        {"DISEASE.ssa_progression_date": None},
        CANNOT_ASSESS,
        ("DISEASE.ssa_progression_date",),
    ),
    Case(
        "I2-cannot-no-consent",
        "I2",
        {"CONSENT.consent_datetime": None},
        CANNOT_ASSESS,
        ("CONSENT.consent_datetime",),
    ),
    Case(
        "I2-cannot-progression-after-consent",
        "I2",
        {"DISEASE.ssa_progression_date": date(2024, 2, 27)},
        CANNOT_ASSESS,
        ("DISEASE.ssa_progression_date",),
        warning="after the consent date",
    ),
    # I3 four IV cycles administered
    Case("I3-met", "I3", {}, MET),
    Case("I3-not-met", "I3", {"C3.administered": False}, NOT_MET),
    Case(
        "I3-cannot-c4-not-recorded",
        "I3",
        {},
        CANNOT_ASSESS,
        ("C4.administered",),
        drop_cycles=(4,),
    ),
    # I4 liver disease dominant, measurable, not resectable
    Case("I4-met", "I4", {"IMAGING.measurable_target_lesions": 1}, MET),
    Case("I4-not-met-resectable", "I4", {"IMAGING.resectable": True}, NOT_MET),
    Case("I4-not-met-no-measurable", "I4", {"IMAGING.measurable_target_lesions": 0}, NOT_MET),
    Case(
        "I4-not-met-not-liver-dominant",
        "I4",
        {"IMAGING.liver_dominant_or_exclusive": False, "IMAGING.resectable": None},
        NOT_MET,
    ),
    Case(
        "I4-cannot",
        "I4",
        {"IMAGING.liver_dominant_or_exclusive": None},
        CANNOT_ASSESS,
        ("IMAGING.liver_dominant_or_exclusive",),
    ),
    # I5 ECOG 0-2
    Case("I5-met-2", "I5", {"VITALS.ecog": 2}, MET),
    Case("I5-not-met-3", "I5", {"VITALS.ecog": 3}, NOT_MET),
    Case("I5-cannot", "I5", {"VITALS.ecog": None}, CANNOT_ASSESS, ("VITALS.ecog",)),
    Case(
        "I5-cannot-out-of-range",
        "I5",
        {"VITALS.ecog": 6},
        CANNOT_ASSESS,
        ("VITALS.ecog",),
        warning="VITALS.ecog = 6",
    ),
    # I6 clearance >= 50, ALT and AST <= 2.5 x ULN, on an eligibility lab
    Case("I6-met-alt-2.5-uln", "I6", {"LAB.alt_u_l": 100.0}, MET),
    Case("I6-not-met-alt", "I6", {"LAB.alt_u_l": 101.0}, NOT_MET),
    Case("I6-not-met-ast", "I6", {"LAB.ast_u_l": 88.0}, NOT_MET),
    # (140 - 63) x 68 / (72 x 120 / 88.4) x 0.85 = 45.5 mL/min
    Case("I6-not-met-clearance", "I6", {"LAB.creatinine_umol_l": 120.0}, NOT_MET),
    # 104 umol/L gives 52.5 for a woman, 61.8 for a man
    Case(
        "I6-met-clearance-male",
        "I6",
        {**MALE, "LAB.creatinine_umol_l": 104.0, "REPRO.contraception_method": "vasectomy"},
        MET,
    ),
    Case(
        "I6-met-demographics-weight",
        "I6",
        {"VITALS.weight_kg": None},
        MET,
        warning="demographics weight is used",
    ),
    Case(
        "I6-not-met-decided-without-creatinine",
        "I6",
        {"LAB.creatinine_umol_l": None, "LAB.alt_u_l": 120.0},
        NOT_MET,
    ),
    Case(
        "I6-cannot-creatinine",
        "I6",
        {"LAB.creatinine_umol_l": None},
        CANNOT_ASSESS,
        ("LAB.creatinine_umol_l",),
    ),
    Case(
        "I6-cannot-no-weight",
        "I6",
        {"VITALS.weight_kg": None, "DEMOG.weight_kg": None},
        CANNOT_ASSESS,
        ("VITALS.weight_kg",),
    ),
    Case("I6-cannot-alt-uln", "I6", {"LAB.alt_uln": None}, CANNOT_ASSESS, ("LAB.alt_uln",)),
    Case(
        "I6-cannot-lab-not-after-c4",
        "I6",
        {"C4.administration_date": LAB_DATE},
        CANNOT_ASSESS,
        ("LAB.sample_date",),
        warning="is not after cycle 4",
    ),
    Case(
        "I6-cannot-lab-29-days-old",
        "I6",
        {"LAB.alt_u_l": 400.0},
        CANNOT_ASSESS,
        ("LAB.sample_date",),
        signoff=LAB_DATE + timedelta(days=29),
        warning="29 days before sign-off",
    ),
    Case("I6-met-lab-28-days-old", "I6", {}, MET, signoff=LAB_DATE + timedelta(days=28)),
    Case(
        "I6-cannot-lab-after-signoff",
        "I6",
        {},
        CANNOT_ASSESS,
        ("LAB.sample_date",),
        signoff=LAB_DATE - timedelta(days=1),
        warning="after the sign-off date",
    ),
    Case(
        "I6-cannot-c4-date",
        "I6",
        {"C4.administration_date": None},
        CANNOT_ASSESS,
        ("C4.administration_date",),
    ),
    # I7 blood counts after C4
    Case(
        "I7-met-at-limits",
        "I7",
        {"LAB.haemoglobin_g_dl": 8.0, "LAB.neutrophils_mm3": 1500, "LAB.platelets_mm3": 100_000},
        MET,
    ),
    Case("I7-not-met-haemoglobin", "I7", {"LAB.haemoglobin_g_dl": 7.9}, NOT_MET),
    Case("I7-not-met-neutrophils", "I7", {"LAB.neutrophils_mm3": 1499}, NOT_MET),
    Case("I7-not-met-platelets", "I7", {"LAB.platelets_mm3": 99_999}, NOT_MET),
    Case(
        "I7-not-met-decided-without-platelets",
        "I7",
        {"LAB.haemoglobin_g_dl": 7.0, "LAB.platelets_mm3": None},
        NOT_MET,
    ),
    Case("I7-cannot", "I7", {"LAB.platelets_mm3": None}, CANNOT_ASSESS, ("LAB.platelets_mm3",)),
    Case(
        "I7-cannot-old-lab-even-if-bad",
        "I7",
        {"LAB.haemoglobin_g_dl": 6.0},
        CANNOT_ASSESS,
        ("LAB.sample_date",),
        signoff=LAB_DATE + timedelta(days=40),
        warning="40 days before sign-off",
    ),
    # I8 adult at consent
    Case("I8-met-18th-birthday", "I8", {"DEMOG.birth_date": date(2006, 2, 26)}, MET),
    Case("I8-not-met-17", "I8", {"DEMOG.birth_date": date(2006, 2, 27)}, NOT_MET),
    Case("I8-cannot", "I8", {"DEMOG.birth_date": None}, CANNOT_ASSESS, ("DEMOG.birth_date",)),
    # I9 contraception where required
    Case("I9-met-male-vasectomy", "I9", {**MALE, "REPRO.contraception_method": "vasectomy"}, MET),
    Case("I9-not-met-male-none", "I9", {**MALE, "REPRO.contraception_method": "none"}, NOT_MET),
    Case(
        "I9-cannot-male",
        "I9",
        MALE,
        CANNOT_ASSESS,
        ("REPRO.contraception_method",),
    ),
    Case("I9-met-fertile-iud", "I9", {**FERTILE, "REPRO.contraception_method": "iud"}, MET),
    Case(
        "I9-cannot-fertile",
        "I9",
        FERTILE,
        CANNOT_ASSESS,
        ("REPRO.contraception_method",),
    ),
    Case(
        "I9-met-method-given-potential-unknown",
        "I9",
        {
            "REPRO.childbearing_potential": None,
            "REPRO.pregnancy_test_result": "negative",
            "REPRO.contraception_method": "implant",
        },
        MET,
    ),
    Case(
        "I9-cannot-potential-unknown",
        "I9",
        {"REPRO.childbearing_potential": None, "REPRO.pregnancy_test_result": "negative"},
        CANNOT_ASSESS,
        ("REPRO.childbearing_potential", "REPRO.contraception_method"),
    ),
    Case(
        "I9-cannot-sex-unknown",
        "I9",
        {"DEMOG.sex": None, "REPRO.pregnancy_test_result": "negative"},
        CANNOT_ASSESS,
        # either a male sex (then a method is required) or a method would decide it
        ("DEMOG.sex", "REPRO.contraception_method"),
    ),
    # I10 consent before any study procedure
    Case("I10-met-same-day", "I10", {"IMAGING.ct_date": CONSENT.date()}, MET),
    # Issue 9: one dated procedure after consent is not enough, the others may precede it.
    Case(
        "I10-cannot-one-procedure-dated",
        "I10",
        {"IMAGING.ct_date": None, "IMAGING.mri_date": None, "VITALS.assessment_date": None},
        CANNOT_ASSESS,
        ("IMAGING.ct_date", "IMAGING.mri_date", "VITALS.assessment_date"),
    ),
    Case(
        "I10-cannot-one-procedure-missing",
        "I10",
        {"VITALS.assessment_date": None},
        CANNOT_ASSESS,
        ("VITALS.assessment_date",),
    ),
    Case("I10-not-met", "I10", {"IMAGING.ct_date": date(2024, 2, 25)}, NOT_MET),
    Case(
        "I10-not-met-with-other-dates-missing",
        "I10",
        {"IMAGING.ct_date": date(2024, 2, 25), "IMAGING.mri_date": None},
        NOT_MET,
    ),
    Case(
        "I10-cannot-no-consent-nor-vitals",
        "I10",
        {"CONSENT.consent_datetime": None, "VITALS.assessment_date": None},
        CANNOT_ASSESS,
        ("CONSENT.consent_datetime", "VITALS.assessment_date"),
    ),
    Case(
        "I10-cannot-no-consent",
        "I10",
        {"CONSENT.consent_datetime": None},
        CANNOT_ASSESS,
        ("CONSENT.consent_datetime",),
    ),
    Case(
        "I10-cannot-no-procedure",
        "I10",
        {
            "LAB.sample_date": None,
            "IMAGING.ct_date": None,
            "IMAGING.mri_date": None,
            "VITALS.assessment_date": None,
        },
        CANNOT_ASSESS,
        ("LAB.sample_date", "IMAGING.ct_date", "IMAGING.mri_date", "VITALS.assessment_date"),
    ),
    # I11 social security
    Case("I11-met", "I11", {}, MET),
    Case("I11-not-met", "I11", {"REPRO.social_security": False}, NOT_MET),
    Case(
        "I11-cannot",
        "I11",
        {"REPRO.social_security": None},
        CANNOT_ASSESS,
        ("REPRO.social_security",),
    ),
    # E1 complete response
    Case("E1-met", "E1", {"IMAGING.complete_response": True}, MET),
    Case("E1-not-met", "E1", {}, NOT_MET),
    Case(
        "E1-cannot",
        "E1",
        {"IMAGING.complete_response": None},
        CANNOT_ASSESS,
        ("IMAGING.complete_response",),
    ),
    # E2 no residual uptake after C4
    Case("E2-met", "E2", {"C4.residual_uptake": False}, MET),
    Case(
        "E2-not-met-warning-after-c2",
        "E2",
        {"C2.residual_uptake": False},
        NOT_MET,
        warning="after C2",
    ),
    Case("E2-cannot", "E2", {"C4.residual_uptake": None}, CANNOT_ASSESS, ("C4.residual_uptake",)),
    # E3 carcinoid heart disease with LVEF < 40 %
    Case(
        "E3-met",
        "E3",
        {"CARDIO.carcinoid_heart_disease": True, "CARDIO.lvef_percent": 39},
        MET,
    ),
    Case(
        "E3-not-met-lvef-40",
        "E3",
        {"CARDIO.carcinoid_heart_disease": True, "CARDIO.lvef_percent": 40},
        NOT_MET,
    ),
    Case("E3-not-met-no-disease-no-lvef", "E3", {"CARDIO.lvef_percent": None}, NOT_MET),
    Case(
        "E3-cannot",
        "E3",
        {"CARDIO.carcinoid_heart_disease": True, "CARDIO.lvef_percent": None},
        CANNOT_ASSESS,
        ("CARDIO.lvef_percent",),
    ),
    # E4 dominant or threatening extra-hepatic metastases
    Case("E4-met", "E4", {"DISEASE.extrahepatic_dominant_or_threatening": True}, MET),
    Case("E4-not-met", "E4", {}, NOT_MET),
    Case(
        "E4-cannot",
        "E4",
        {"DISEASE.extrahepatic_dominant_or_threatening": None},
        CANNOT_ASSESS,
        ("DISEASE.extrahepatic_dominant_or_threatening",),
    ),
    # E5 IAH contraindication or Child-Pugh >= 8
    Case("E5-met-portal-thrombosis", "E5", {"IAHCI.portal_thrombosis": True}, MET),
    Case("E5-met-cirrhosis-flag", "E5", {"IAHCI.cirrhosis": True}, MET),
    Case(
        "E5-met-flag-others-missing",
        "E5",
        {
            "IAHCI.coagulation_disorder": True,
            "IAHCI.portal_thrombosis": None,
            "IAHCI.albumin_g_l": None,
        },
        MET,
    ),
    Case("E5-met-child-pugh-8", "E5", {**CP_SIX, "IAHCI.albumin_g_l": 30.0}, MET),
    Case("E5-not-met-child-pugh-7", "E5", CP_SIX, NOT_MET),
    Case(
        "E5-not-met-child-pugh-at-most-7",
        "E5",
        {"IAHCI.albumin_g_l": None},
        NOT_MET,
    ),
    Case(
        "E5-met-child-pugh-at-least-8",
        "E5",
        {**CP_SIX, "IAHCI.ascites": "mild", "IAHCI.albumin_g_l": None},
        MET,
    ),
    Case(
        "E5-cannot-child-pugh-7-to-9",
        "E5",
        {**CP_SIX, "IAHCI.albumin_g_l": None},
        CANNOT_ASSESS,
        ("IAHCI.albumin_g_l",),
    ),
    Case(
        "E5-cannot-flag",
        "E5",
        {"IAHCI.biliary_dilatation": None},
        CANNOT_ASSESS,
        ("IAHCI.biliary_dilatation",),
    ),
    # E6 albumin < 30 g/L unless prothrombin time normal
    Case(
        "E6-met",
        "E6",
        {"LAB.albumin_g_l": 29.0, "LAB.prothrombin_percent": 60.0, "LAB.inr": 1.3},
        MET,
    ),
    Case(
        "E6-not-met-prothrombin-70",
        "E6",
        {"LAB.albumin_g_l": 29.0, "LAB.prothrombin_percent": 70.0, "LAB.inr": 1.3},
        NOT_MET,
    ),
    Case(
        "E6-not-met-inr-1.2",
        "E6",
        {"LAB.albumin_g_l": 29.0, "LAB.prothrombin_percent": 60.0, "LAB.inr": 1.2},
        NOT_MET,
    ),
    Case(
        "E6-not-met-albumin-30",
        "E6",
        {"LAB.albumin_g_l": 30.0, "LAB.prothrombin_percent": None, "LAB.inr": None},
        NOT_MET,
    ),
    Case(
        "E6-cannot-prothrombin",
        "E6",
        {"LAB.albumin_g_l": 29.0, "LAB.prothrombin_percent": None, "LAB.inr": 1.3},
        CANNOT_ASSESS,
        ("LAB.prothrombin_percent",),
    ),
    Case(
        "E6-cannot-coagulation",
        "E6",
        {"LAB.albumin_g_l": 29.0, "LAB.prothrombin_percent": None, "LAB.inr": None},
        CANNOT_ASSESS,
        ("LAB.prothrombin_percent", "LAB.inr"),
    ),
    Case("E6-cannot-albumin", "E6", {"LAB.albumin_g_l": None}, CANNOT_ASSESS, ("LAB.albumin_g_l",)),
    # E7 cardiovascular event, or BP >= 160/95 under treatment
    Case("E7-met-stroke", "E7", {"CARDIO.stroke": True}, MET),
    Case(
        "E7-met-event-others-missing",
        "E7",
        {"CARDIO.heart_failure": True, "CARDIO.stroke": None, "VITALS.systolic_bp": None},
        MET,
    ),
    Case(
        "E7-met-systolic-160-treated",
        "E7",
        {"VITALS.systolic_bp": 160, "VITALS.on_antihypertensive": True},
        MET,
    ),
    Case(
        "E7-met-diastolic-95-treated",
        "E7",
        {"VITALS.diastolic_bp": 95, "VITALS.on_antihypertensive": True},
        MET,
    ),
    Case(
        "E7-not-met-159-94-treated",
        "E7",
        {"VITALS.systolic_bp": 159, "VITALS.diastolic_bp": 94, "VITALS.on_antihypertensive": True},
        NOT_MET,
    ),
    Case(
        "E7-not-met-high-untreated",
        "E7",
        {"VITALS.systolic_bp": 180, "VITALS.diastolic_bp": 100},
        NOT_MET,
    ),
    Case(
        "E7-not-met-normal-bp-treatment-unknown",
        "E7",
        {"VITALS.on_antihypertensive": None},
        NOT_MET,
    ),
    Case("E7-cannot-event", "E7", {"CARDIO.stroke": None}, CANNOT_ASSESS, ("CARDIO.stroke",)),
    Case(
        "E7-cannot-treatment",
        "E7",
        {"VITALS.systolic_bp": 165, "VITALS.on_antihypertensive": None},
        CANNOT_ASSESS,
        ("VITALS.on_antihypertensive",),
    ),
    Case(
        "E7-cannot-systolic",
        "E7",
        {"VITALS.systolic_bp": None, "VITALS.on_antihypertensive": True},
        CANNOT_ASSESS,
        ("VITALS.systolic_bp",),
    ),
    # E8 legal protection or unable to consent
    Case("E8-met-legal-protection", "E8", {"REPRO.legal_protection": True}, MET),
    Case("E8-met-unable-to-consent", "E8", {"REPRO.able_to_consent": False}, MET),
    Case("E8-not-met", "E8", {}, NOT_MET),
    Case(
        "E8-cannot",
        "E8",
        {"REPRO.legal_protection": None},
        CANNOT_ASSESS,
        ("REPRO.legal_protection",),
    ),
    # E9 pregnancy or breast-feeding
    Case(
        "E9-met-pregnant",
        "E9",
        {**FERTILE, "REPRO.pregnancy_test_result": "positive", "REPRO.contraception_method": "iud"},
        MET,
    ),
    Case("E9-met-breast-feeding", "E9", {"REPRO.breast_feeding": True}, MET),
    Case(
        "E9-not-met-negative-test",
        "E9",
        {**FERTILE, "REPRO.contraception_method": "iud"},
        NOT_MET,
    ),
    Case(
        "E9-not-met-male-nothing-entered",
        "E9",
        {
            **MALE,
            "REPRO.pregnancy_test_result": None,
            "REPRO.breast_feeding": None,
            "REPRO.contraception_method": "vasectomy",
        },
        NOT_MET,
    ),
    Case(
        "E9-cannot-test-not-done",
        "E9",
        {
            "REPRO.childbearing_potential": True,
            "REPRO.pregnancy_test_result": "not_done",
            "REPRO.contraception_method": "iud",
        },
        CANNOT_ASSESS,
        ("REPRO.pregnancy_test_result",),
        warning="Pregnancy test not done",
    ),
    Case(
        "E9-cannot-breast-feeding",
        "E9",
        {"REPRO.breast_feeding": None},
        CANNOT_ASSESS,
        ("REPRO.breast_feeding",),
    ),
    # E10 other interventional trial
    Case("E10-met", "E10", {"REPRO.other_interventional_trial": True}, MET),
    Case("E10-not-met", "E10", {}, NOT_MET),
    Case(
        "E10-cannot",
        "E10",
        {"REPRO.other_interventional_trial": None},
        CANNOT_ASSESS,
        ("REPRO.other_interventional_trial",),
    ),
    # E11 MRI contraindicated
    Case("E11-met", "E11", {"REPRO.mri_contraindication": True}, MET),
    Case("E11-not-met", "E11", {}, NOT_MET),
    Case(
        "E11-cannot",
        "E11",
        {"REPRO.mri_contraindication": None},
        CANNOT_ASSESS,
        ("REPRO.mri_contraindication",),
    ),
    # E12 LUTATHERA contraindicated or toxicity reducing/cancelling a dose
    Case("E12-met-contraindicated", "E12", {"REPRO.lutathera_contraindication": True}, MET),
    Case(
        "E12-met-reduced-for-toxicity",
        "E12",
        {"C2.dose_modification": "reduced", "C2.modification_reason": "toxicity"},
        MET,
    ),
    Case(
        "E12-met-cancelled-for-toxicity",
        "E12",
        {
            "C4.dose_modification": "cancelled",
            "C4.modification_reason": "toxicity",
            "REPRO.lutathera_contraindication": None,
        },
        MET,
    ),
    Case(
        "E12-not-met-reduced-other-reason",
        "E12",
        {"C2.dose_modification": "reduced", "C2.modification_reason": "other"},
        NOT_MET,
    ),
    Case(
        "E12-not-met-delayed-for-toxicity",
        "E12",
        {"C3.dose_modification": "delayed", "C3.modification_reason": "toxicity"},
        NOT_MET,
    ),
    Case(
        "E12-cannot-reason",
        "E12",
        {"C2.dose_modification": "reduced"},
        CANNOT_ASSESS,
        ("C2.modification_reason",),
    ),
    Case(
        "E12-cannot-contraindication",
        "E12",
        {"REPRO.lutathera_contraindication": None},
        CANNOT_ASSESS,
        ("REPRO.lutathera_contraindication",),
    ),
]


@pytest.mark.req("CALC.THRESHOLDS")
@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.id, marks=pytest.mark.req(f"ELIG.{c.code}")) for c in CASES],
)
def test_criterion_case(case: Case) -> None:
    facts = make_facts(case.changes, signoff=case.signoff, drop_cycles=case.drop_cycles)
    evaluation = evaluate(facts)
    result = criterion(evaluation, case.code)
    assert result.status == case.status, result.detail
    assert result.missing == case.missing
    assert evaluation.result == case.expected_overall(result.kind), [
        (c.code, c.status) for c in evaluation.criteria if c.failed or c.status == CANNOT_ASSESS
    ]
    assert (result in evaluation.failed) == (case.expected_overall(result.kind) == NOT_ELIGIBLE)
    if case.warning is None:
        assert result.warnings == ()
    else:
        assert any(case.warning in w for w in result.warnings), result.warnings
    if case.status == CANNOT_ASSESS:
        assert result.detail.startswith("Cannot be assessed without " + ", ".join(case.missing))


def test_every_criterion_has_met_not_met_and_cannot_cases() -> None:
    statuses: dict[str, set[str]] = {c.code: set() for c in CRITERIA}
    for case in CASES:
        statuses[case.code].add(case.status)
    assert statuses == {code: {MET, NOT_MET, CANNOT_ASSESS} for code in statuses}


# --- Overall result and shapes -------------------------------------------------------------------
def test_nothing_entered_is_incomplete_and_every_missing_key_names_a_form() -> None:
    evaluation = evaluate(Facts(items={}, cycles=(), signoff_date=SIGNOFF))
    assert evaluation.result == INCOMPLETE
    assert evaluation.failed == ()
    assert [c.status for c in evaluation.criteria] == [CANNOT_ASSESS] * 23
    for result in evaluation.criteria:
        assert result.missing
        assert {key.split(".", 1)[0] for key in result.missing} <= set(ITEM_FORMS)
    assert "LAB.sample_date" in evaluation.missing
    assert len(evaluation.missing) == len(set(evaluation.missing))


def test_one_failed_criterion_makes_not_eligible_even_with_others_unassessed() -> None:
    items = {"IMAGING.complete_response": True, "VITALS.ecog": 4}
    evaluation = evaluate(Facts(items=items, cycles=(), signoff_date=SIGNOFF))
    assert evaluation.result == NOT_ELIGIBLE
    assert [c.code for c in evaluation.failed] == ["I5", "E1"]
    assert criterion(evaluation, "I1").status == CANNOT_ASSESS


@pytest.mark.parametrize(
    "facts", [make_facts(), Facts(items={}, cycles=(), signoff_date=SIGNOFF)], ids=["full", "empty"]
)
def test_criteria_read_only_their_declared_items(facts: Facts) -> None:
    declared = {c.code: set(c.items) for c in CRITERIA}
    for result in evaluate(facts).criteria:
        assert set(result.sources) <= declared[result.code], result.code
        assert set(result.missing) <= declared[result.code], result.code


def test_item_forms_cover_every_declared_item() -> None:
    prefixes = {key.split(".", 1)[0] for c in CRITERIA for key in c.items}
    assert prefixes <= set(ITEM_FORMS)
    assert ITEM_FORMS["LAB"] == "Laboratory panel (eligibility)"


def test_missing_key_and_none_value_both_mean_not_entered() -> None:
    items = eligible_items()
    del items["VITALS.ecog"]
    evaluation = evaluate(
        Facts(items=items, cycles=tuple(eligible_cycles().values()), signoff_date=SIGNOFF)
    )
    assert criterion(evaluation, "I5").missing == ("VITALS.ecog",)


def test_decimal_values_from_the_database_are_accepted() -> None:
    facts = make_facts(
        {"LAB.creatinine_umol_l": Decimal("80.0"), "VITALS.weight_kg": Decimal("68")}
    )
    result = criterion(evaluate(facts), "I6")
    assert result.status == MET
    assert result.detail.startswith("Clearance 68.3 mL/min")


def test_wrong_type_is_treated_as_not_entered_with_a_warning() -> None:
    result = criterion(evaluate(make_facts({"REPRO.social_security": "yes"})), "I11")
    assert result.status == CANNOT_ASSESS
    assert result.missing == ("REPRO.social_security",)
    assert result.warnings == (
        "REPRO.social_security = 'yes' is not yes/no; treated as not entered",
    )


def test_evaluation_failed_lists_failed_criteria_in_order() -> None:
    facts = make_facts({"LAB.platelets_mm3": 50_000, "REPRO.mri_contraindication": True})
    assert [c.code for c in evaluate(facts).failed] == ["I7", "E11"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"number": 5, "administered": True},
        {"number": 0, "administered": True},
        {"number": 2, "administered": True, "dose_modification": "halved"},
        {"number": 2, "administered": True, "modification_reason": "patient choice"},
    ],
)
def test_cycle_rejects_unknown_values(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Cycle(**kwargs)


# --- Issue 9: every threshold decided on the value as shown, at the exact boundary ---------------
# (changes, criterion, status) just at and just past each limit. A man of 88, 45 kg, creatinine
# 57.46 µmol/L: (140 - 88) x 45 / (72 x 0.65) = 50 mL/min exactly, 49.99999999999999 in floats.
BORN_88 = date(LAB_DATE.year - 89, 6, 1)  # 88 at the lab's date and at consent
CLEARANCE_50 = {
    "DEMOG.sex": "M",
    "DEMOG.birth_date": BORN_88,
    "VITALS.weight_kg": 45.0,
    "LAB.creatinine_umol_l": 57.46,
}
LOW_ALBUMIN = {"LAB.albumin_g_l": 29.9, "LAB.prothrombin_percent": 50.0, "LAB.inr": 1.5}
TREATED = {"VITALS.on_antihypertensive": True}
BOUNDARIES = [
    ("I5-ecog-2", {"VITALS.ecog": 2}, "I5", MET),
    ("I5-ecog-3", {"VITALS.ecog": 3}, "I5", NOT_MET),
    ("I6-clearance-50", CLEARANCE_50, "I6", MET),
    ("I6-clearance-49.9", {**CLEARANCE_50, "LAB.creatinine_umol_l": 57.6}, "I6", NOT_MET),
    ("I6-alt-2.5", {"LAB.alt_u_l": 100.0, "LAB.alt_uln": 40.0}, "I6", MET),
    # 0.7 / 0.28 is 2.5000000000000004 in floats: shown 2.50
    ("I6-alt-2.5-float", {"LAB.alt_u_l": 0.7, "LAB.alt_uln": 0.28}, "I6", MET),
    ("I6-alt-2.51", {"LAB.alt_u_l": 100.4, "LAB.alt_uln": 40.0}, "I6", NOT_MET),
    ("I6-ast-2.5", {"LAB.ast_u_l": 87.5, "LAB.ast_uln": 35.0}, "I6", MET),
    ("I6-ast-2.51", {"LAB.ast_u_l": 87.9, "LAB.ast_uln": 35.0}, "I6", NOT_MET),
    ("I7-hb-8", {"LAB.haemoglobin_g_dl": 8.0}, "I7", MET),
    ("I7-hb-7.99", {"LAB.haemoglobin_g_dl": 7.99}, "I7", NOT_MET),
    # 1.5 G/L x 1000 read back as a float
    ("I7-neutrophils-1500", {"LAB.neutrophils_mm3": 1.5 * 1000}, "I7", MET),
    ("I7-neutrophils-1500-float", {"LAB.neutrophils_mm3": 1499.9999999999998}, "I7", MET),
    ("I7-neutrophils-1499.99", {"LAB.neutrophils_mm3": 1499.99}, "I7", NOT_MET),
    ("I7-platelets-100000", {"LAB.platelets_mm3": 100_000}, "I7", MET),
    ("I7-platelets-float", {"LAB.platelets_mm3": 0.1 * 1_000_000 - 1e-9}, "I7", MET),
    ("I7-platelets-99999.99", {"LAB.platelets_mm3": 99_999.99}, "I7", NOT_MET),
    ("I8-age-18", {"DEMOG.birth_date": date(2006, 2, 26)}, "I8", MET),
    ("I8-age-17", {"DEMOG.birth_date": date(2006, 2, 27)}, "I8", NOT_MET),
    (
        "E3-lvef-40",
        {"CARDIO.carcinoid_heart_disease": True, "CARDIO.lvef_percent": 40},
        "E3",
        NOT_MET,
    ),
    ("E3-lvef-39", {"CARDIO.carcinoid_heart_disease": True, "CARDIO.lvef_percent": 39}, "E3", MET),
    (
        "E3-lvef-float",
        {"CARDIO.carcinoid_heart_disease": True, "CARDIO.lvef_percent": 39.99999999},
        "E3",
        NOT_MET,
    ),
    # 2 + 1 + 2 + 1 + 1 = 7, and one point more with mild ascites = 8
    ("E5-child-pugh-7", CP_SIX, "E5", NOT_MET),
    ("E5-child-pugh-8", {**CP_SIX, "IAHCI.ascites": "mild"}, "E5", MET),
    ("E6-albumin-30", {**LOW_ALBUMIN, "LAB.albumin_g_l": 30.0}, "E6", NOT_MET),
    ("E6-albumin-float", {**LOW_ALBUMIN, "LAB.albumin_g_l": 29.999999999}, "E6", NOT_MET),
    ("E6-albumin-29.9", LOW_ALBUMIN, "E6", MET),
    ("E6-pt-70", {**LOW_ALBUMIN, "LAB.prothrombin_percent": 70.0}, "E6", NOT_MET),
    ("E6-pt-float", {**LOW_ALBUMIN, "LAB.prothrombin_percent": 69.99999999}, "E6", NOT_MET),
    ("E6-pt-69.9", {**LOW_ALBUMIN, "LAB.prothrombin_percent": 69.9}, "E6", MET),
    ("E6-inr-1.2", {**LOW_ALBUMIN, "LAB.inr": 1.2}, "E6", NOT_MET),
    ("E6-inr-float", {**LOW_ALBUMIN, "LAB.inr": 0.4 * 3}, "E6", NOT_MET),
    ("E6-inr-1.21", {**LOW_ALBUMIN, "LAB.inr": 1.21}, "E6", MET),
    ("E7-systolic-160", {**TREATED, "VITALS.systolic_bp": 160}, "E7", MET),
    ("E7-systolic-float", {**TREATED, "VITALS.systolic_bp": 159.9999999}, "E7", MET),
    ("E7-systolic-159", {**TREATED, "VITALS.systolic_bp": 159}, "E7", NOT_MET),
    ("E7-diastolic-95", {**TREATED, "VITALS.diastolic_bp": 95}, "E7", MET),
    ("E7-diastolic-94", {**TREATED, "VITALS.diastolic_bp": 94}, "E7", NOT_MET),
]


@pytest.mark.parametrize(
    ("changes", "code", "status"), [b[1:] for b in BOUNDARIES], ids=[b[0] for b in BOUNDARIES]
)
@pytest.mark.req("CALC.THRESHOLDS")
def test_every_threshold_at_its_exact_boundary(changes: dict, code: str, status: str) -> None:
    result = criterion(evaluate(make_facts(changes)), code)
    assert result.status == status, result.detail


def test_every_threshold_has_a_boundary_test() -> None:
    tested = {b[0].split("-")[0] + "-" + b[0].split("-")[1] for b in BOUNDARIES}
    assert tested >= {
        "I5-ecog",
        "I6-clearance",
        "I6-alt",
        "I6-ast",
        "I7-hb",
        "I7-neutrophils",
        "I7-platelets",
        "I8-age",
        "E3-lvef",
        "E5-child",
        "E6-albumin",
        "E6-pt",
        "E6-inr",
        "E7-systolic",
        "E7-diastolic",
    }


def test_clearance_of_exactly_50_is_shown_and_decided_as_50() -> None:
    # The case: the float is below 50, the page showed "Clearance 50.0 mL/min < 50".
    result = criterion(evaluate(make_facts(CLEARANCE_50)), "I6")
    assert result.status == MET
    assert result.detail.startswith("Clearance 50.0 mL/min >= 50;")


# --- Issue 23: decided on the exact value, never on a display rounding ----------------------------
# (name, changes, criterion, status, the value as the criterion's note shows it). Each value lies
# just on the other side of its threshold by less than the display's places: the earlier rule
# ("decide on the value as shown") decided each of them the wrong way.
EXACT = [
    # 52 x 45 / (72 x 57.5 / 88.4) = 49.9653 mL/min: "50.0" at one decimal.
    ("I6-clearance", {**CLEARANCE_50, "LAB.creatinine_umol_l": 57.5}, "I6", NOT_MET, "49.97"),
    ("I6-alt", {"LAB.alt_u_l": 100.16, "LAB.alt_uln": 40.0}, "I6", NOT_MET, "2.504"),
    ("I6-ast", {"LAB.ast_u_l": 87.64, "LAB.ast_uln": 35.0}, "I6", NOT_MET, "2.504"),
    ("I7-hb", {"LAB.haemoglobin_g_dl": 7.996}, "I7", NOT_MET, "7.996"),
    ("I7-neutrophils", {"LAB.neutrophils_mm3": 1499.996}, "I7", NOT_MET, "1499.996"),
    ("I7-platelets", {"LAB.platelets_mm3": 99_999.996}, "I7", NOT_MET, "99999.996"),
    (
        "E3-lvef",
        {"CARDIO.carcinoid_heart_disease": True, "CARDIO.lvef_percent": 39.6},
        "E3",
        MET,
        "39.6",
    ),
    ("E6-albumin", {**LOW_ALBUMIN, "LAB.albumin_g_l": 29.96}, "E6", MET, "29.96"),
    ("E6-pt", {**LOW_ALBUMIN, "LAB.prothrombin_percent": 69.96}, "E6", MET, "69.96"),
    ("E6-inr", {**LOW_ALBUMIN, "LAB.inr": 1.204}, "E6", MET, "1.204"),
    ("E7-systolic", {**TREATED, "VITALS.systolic_bp": 159.6}, "E7", NOT_MET, "159.6/"),
    ("E7-diastolic", {**TREATED, "VITALS.diastolic_bp": 94.6}, "E7", NOT_MET, "/94.6"),
]


@pytest.mark.parametrize(
    ("changes", "code", "status", "shown_as"), [e[1:] for e in EXACT], ids=[e[0] for e in EXACT]
)
def test_every_threshold_is_decided_on_the_exact_value_and_shown_on_its_side(
    changes: dict, code: str, status: str, shown_as: str
) -> None:
    result = criterion(evaluate(make_facts(changes)), code)
    assert result.status == status, result.detail
    assert shown_as in result.detail, result.detail


def test_every_rounded_threshold_has_an_exact_value_test() -> None:
    # Every threshold on a number with decimals (ECOG, age and the Child-Pugh score are whole).
    assert {e[0] for e in EXACT} == {
        "I6-clearance",
        "I6-alt",
        "I6-ast",
        "I7-hb",
        "I7-neutrophils",
        "I7-platelets",
        "E3-lvef",
        "E6-albumin",
        "E6-pt",
        "E6-inr",
        "E7-systolic",
        "E7-diastolic",
    }


@pytest.mark.req("CALC.THRESHOLDS")
def test_binary_noise_is_not_a_value() -> None:
    from trial.calculations import exact, meets, shown_against

    assert exact(3.3 / 1.1) == 3 and meets(3.3 / 1.1, ">=", 3.0)
    assert exact(2.99689) == Decimal("2.99689") and not meets(2.99689, ">=", 3.0)
    assert not meets(2.9999, ">=", 3.0) and meets(3.0, ">=", 3.0)
    assert str(shown_against(2.99689, ">=", 3.0, 2)) == "2.997"
    assert str(shown_against(2.9999, ">=", 3.0, 2)) == "2.9999"
    assert str(shown_against(3.0, ">=", 3.0, 2)) == "3.00"
    assert str(shown_against(3.004, ">=", 3.0, 2)) == "3.00"
    assert str(shown_against(2.504, "<=", 2.5, 2)) == "2.504"


def test_shown_rounds_half_up_from_the_displayed_digits() -> None:
    from eligibility.calculations import shown

    assert shown(49.99999999999999, 1) == Decimal("50.0")
    assert shown(2.505, 2) == Decimal("2.51")
    assert shown(Decimal("7.995"), 2) == Decimal("8.00")
    assert shown(100_000, 0) == Decimal("100000")
