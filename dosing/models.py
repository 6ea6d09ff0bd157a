"""Dosing CRFs' data: IV cycles, lab panels, adverse events, concomitant medications.

Data fields are nullable (CrfModel): a draft may be saved half-filled; the forms say which items a
complete form needs. Lab values are kept twice where the unit may vary: as typed with the unit
typed (for the record and source-data verification), and converted into one canonical unit that
everything else reads (grades, advice, eligibility).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from trial.audit import audited
from trial.models import CrfModel, exact_decimal, optional_decimal, yes_no
from trial.readable import official_english

# A serious AE must reach the sponsor within 24 hours of the site becoming aware of it.
if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


SAE_REPORTING_DELAY = timedelta(hours=24)


class DoseModification(models.TextChoices):
    NONE = "none", _("None: given as planned")
    DELAYED = "delayed", _("Delayed")
    REDUCED = "reduced", _("Reduced")
    CANCELLED = "cancelled", _("Cancelled")


class ModificationReason(models.TextChoices):
    TOXICITY = "toxicity", _("Toxicity")
    OTHER = "other", _("Other")


@audited
class CycleAdministration(CrfModel):
    """One IV LUTATHERA cycle (C1-C4); the cycle number is the event code of its form-status row."""

    administration_date = models.DateField(_("administration date"), null=True, blank=True)
    prescribed_gbq = optional_decimal(_("prescribed activity"), 6, 2)
    administered_gbq = optional_decimal(_("administered activity"), 6, 2)
    amino_acids = yes_no(_("amino-acid co-infusion"))
    last_ssa_date = models.DateField(
        _("last long-acting somatostatin analogue injection"), null=True, blank=True
    )
    residual_uptake = yes_no(_("residual tumour uptake on the 24-h scintigraphy"))
    dose_modification = models.CharField(
        _("dose modification"), max_length=12, choices=DoseModification.choices, blank=True
    )
    modification_reason = models.CharField(
        _("reason for the modification"),
        max_length=12,
        choices=ModificationReason.choices,
        blank=True,
    )
    modification_details = models.CharField(
        _("details of the modification"), max_length=300, blank=True
    )

    @property
    def number(self) -> int:
        return int(self.form_status.event[1:])

    @property
    def administered(self) -> bool:
        return self.dose_modification != DoseModification.CANCELLED


class CountUnit(models.TextChoices):
    # Values are the spellings dosing.calculations.count_to_per_mm3 accepts.
    G_L = "G/L", "G/L"
    MM3 = "/mm3", "/mm³"


class MicromolarUnit(models.TextChoices):
    UMOL_L = "µmol/L", "µmol/L"
    MG_DL = "mg/dL", "mg/dL"


def _unit(label: StrOrPromise, units: type[models.TextChoices], default: str) -> models.CharField:
    return models.CharField(label, max_length=8, choices=units.choices, default=default)


@audited
class LabPanel(CrfModel):
    """A laboratory panel: eligibility, before each IV cycle, before the IAH dose, follow-up.

    The canonical fields (names read by the eligibility rules as "LAB.<field>") are filled by the
    form from the values as typed; nobody types into them directly.
    """

    sample_date = models.DateField(_("sample date"), null=True, blank=True)
    # Canonical values, exact: the typed places plus the unit factor's (dosing.labs.to_canonical).
    haemoglobin_g_dl = optional_decimal(_("haemoglobin"), 5, 2)
    neutrophils_mm3 = exact_decimal(_("neutrophils"), 13, 3, 2)
    lymphocytes_mm3 = exact_decimal(_("lymphocytes"), 13, 3, 2)
    platelets_mm3 = exact_decimal(_("platelets"), 13, 3, 2)
    creatinine_umol_l = exact_decimal(_("creatinine"), 11, 4, 2)
    alt_u_l = optional_decimal(_("ALT"), 7, 1)
    alt_uln = optional_decimal(_("ALT upper limit of normal"), 7, 1)
    ast_u_l = optional_decimal(_("AST"), 7, 1)
    ast_uln = optional_decimal(_("AST upper limit of normal"), 7, 1)
    bilirubin_umol_l = exact_decimal(_("total bilirubin"), 11, 4, 2)
    bilirubin_uln = exact_decimal(_("bilirubin upper limit of normal"), 11, 4, 2)
    albumin_g_l = optional_decimal(_("albumin"), 5, 1)
    prothrombin_percent = optional_decimal(_("prothrombin time"), 5, 1)
    inr = optional_decimal(_("INR"), 5, 2)
    # The lab's normal limits, canonical units.
    haemoglobin_lln = optional_decimal(_("haemoglobin lower limit of normal"), 5, 2)
    neutrophils_lln = exact_decimal(_("neutrophils lower limit of normal"), 13, 3, 2)
    lymphocytes_lln = exact_decimal(_("lymphocytes lower limit of normal"), 13, 3, 2)
    platelets_lln = exact_decimal(_("platelets lower limit of normal"), 13, 3, 2)
    creatinine_uln = exact_decimal(_("creatinine upper limit of normal"), 11, 4, 2)
    # As typed, with the unit typed (the limit is typed in the value's unit).
    neutrophils_entered = optional_decimal(_("neutrophils"), 12, 3)
    neutrophils_unit = _unit(_("neutrophils unit"), CountUnit, CountUnit.G_L)
    neutrophils_lln_entered = optional_decimal(_("neutrophils LLN"), 12, 3)
    lymphocytes_entered = optional_decimal(_("lymphocytes"), 12, 3)
    lymphocytes_unit = _unit(_("lymphocytes unit"), CountUnit, CountUnit.G_L)
    lymphocytes_lln_entered = optional_decimal(_("lymphocytes LLN"), 12, 3)
    platelets_entered = optional_decimal(_("platelets"), 12, 3)
    platelets_unit = _unit(_("platelets unit"), CountUnit, CountUnit.G_L)
    platelets_lln_entered = optional_decimal(_("platelets LLN"), 12, 3)
    creatinine_entered = optional_decimal(_("creatinine"), 9, 3)
    creatinine_unit = _unit(_("creatinine unit"), MicromolarUnit, MicromolarUnit.UMOL_L)
    creatinine_uln_entered = optional_decimal(_("creatinine ULN"), 9, 3)
    bilirubin_entered = optional_decimal(_("total bilirubin"), 9, 3)
    bilirubin_unit = _unit(_("bilirubin unit"), MicromolarUnit, MicromolarUnit.UMOL_L)
    bilirubin_uln_entered = optional_decimal(_("bilirubin ULN"), 9, 3)


class Relationship(models.TextChoices):
    NOT_RELATED = "not_related", _("Not related")
    UNLIKELY = "unlikely", _("Unlikely")
    POSSIBLE = "possible", _("Possible")
    PROBABLE = "probable", _("Probable")
    DEFINITE = "definite", _("Definite")


class ActionTaken(models.TextChoices):
    # CDISC SDTM AEACN, with "delayed" split out: LUTATHERA doses are delayed, not interrupted.
    DOSE_NOT_CHANGED = "dose_not_changed", _("Dose not changed")
    DOSE_DELAYED = "dose_delayed", _("Dose delayed")
    DOSE_REDUCED = "dose_reduced", _("Dose reduced")
    DRUG_WITHDRAWN = "drug_withdrawn", _("Treatment stopped for good")
    NOT_APPLICABLE = "not_applicable", _("Not applicable (no dose pending)")
    UNKNOWN = "unknown", _("Unknown")


class Outcome(models.TextChoices):
    # CDISC SDTM AEOUT.
    RECOVERED = "recovered", _("Recovered / resolved")
    RECOVERING = "recovering", _("Recovering / resolving")
    NOT_RECOVERED = "not_recovered", _("Not recovered / not resolved")
    SEQUELAE = "sequelae", _("Recovered / resolved with sequelae")
    FATAL = "fatal", _("Fatal")
    UNKNOWN = "unknown", _("Unknown")


SERIOUS_CRITERIA = (
    "serious_death",
    "serious_life_threatening",
    "serious_hospitalisation",
    "serious_disability",
    "serious_congenital_anomaly",
    "serious_other_important",
)


def _relationship(label: StrOrPromise) -> models.CharField:
    return models.CharField(label, max_length=12, choices=Relationship.choices, blank=True)


def _criterion(label: StrOrPromise) -> models.BooleanField:
    return models.BooleanField(label, default=False)


@audited
class AdverseEvent(CrfModel):
    term = official_english(models.CharField(_("CTCAE v5 term"), max_length=150, blank=True))
    meddra_code = models.PositiveIntegerField(_("MedDRA code"), null=True, blank=True)
    soc = official_english(models.CharField(_("system organ class"), max_length=150, blank=True))
    term_specify = models.CharField(_("specify"), max_length=200, blank=True)
    grade = models.PositiveSmallIntegerField(
        _("grade (worst reached)"), null=True, blank=True, choices=[(g, g) for g in range(1, 6)]
    )
    onset_date = models.DateField(_("onset date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    ongoing = models.BooleanField(_("ongoing"), default=False)
    serious = yes_no(_("serious"))
    serious_death = _criterion(_("results in death"))
    serious_life_threatening = _criterion(_("life-threatening"))
    serious_hospitalisation = _criterion(_("requires or prolongs hospitalisation"))
    serious_disability = _criterion(_("persistent or significant disability"))
    serious_congenital_anomaly = _criterion(_("congenital anomaly / birth defect"))
    serious_other_important = _criterion(_("other important medical event"))
    awareness_at = models.DateTimeField(
        _("date and time the site became aware"), null=True, blank=True
    )
    reported_to_sponsor_at = models.DateTimeField(
        _("reported to the sponsor at"), null=True, blank=True
    )
    relationship_iv_lutathera = _relationship(_("relationship to IV LUTATHERA"))
    relationship_iah_procedure = _relationship(_("relationship to the IAH procedure"))
    relationship_iah_lutathera = _relationship(_("relationship to IAH LUTATHERA"))
    action_taken = models.CharField(
        _("action taken with LUTATHERA"), max_length=20, choices=ActionTaken.choices, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)

    @property
    def reporting_deadline(self) -> datetime | None:
        """When a serious AE must have reached the sponsor; None when nothing is pending."""
        if not self.serious or self.awareness_at is None or self.reported_to_sponsor_at:
            return None
        return self.awareness_at + SAE_REPORTING_DELAY


class Route(models.TextChoices):
    ORAL = "oral", _("Oral")
    IV = "iv", _("Intravenous")
    SC = "sc", _("Subcutaneous")
    IM = "im", _("Intramuscular")
    TOPICAL = "topical", _("Topical")
    INHALED = "inhaled", _("Inhaled")
    RECTAL = "rectal", _("Rectal")
    OTHER = "other", _("Other")


@audited
class ConcomitantMedication(CrfModel):
    name = models.CharField(_("medication"), max_length=150, blank=True)
    indication = models.CharField(_("indication"), max_length=200, blank=True)
    dose = models.CharField(_("dose and frequency"), max_length=100, blank=True)
    route = models.CharField(_("route"), max_length=10, choices=Route.choices, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    stop_date = models.DateField(_("stop date"), null=True, blank=True)
    ongoing = models.BooleanField(_("ongoing"), default=False)


class IahCatheterPosition(models.TextChoices):
    PROPER_HEPATIC = "proper_hepatic", _("Proper hepatic artery")
    RIGHT_HEPATIC = "right_hepatic", _("Right hepatic artery")
    LEFT_HEPATIC = "left_hepatic", _("Left hepatic artery")
    OTHER = "other", _("Other")


@audited
class IahDose(CrfModel):
    """The 5th LUTATHERA dose by intra-arterial hepatic infusion (only after a signed
    "proceed" at the gate: the schedule creates this form only then)."""

    infusion_date = models.DateField(_("infusion date"), null=True, blank=True)
    infusion_start = models.DateTimeField(_("infusion start"), null=True, blank=True)
    infusion_end = models.DateTimeField(_("infusion end"), null=True, blank=True)
    catheter_position = models.CharField(
        _("catheter position"), max_length=16, choices=IahCatheterPosition.choices, blank=True
    )
    activity_before_gbq = optional_decimal(_("activity measured before"), 6, 3)
    activity_before_at = models.DateTimeField(_("measured at"), null=True, blank=True)
    residual_after_gbq = optional_decimal(_("residual activity after"), 6, 3)
    residual_after_at = models.DateTimeField(_("residual measured at"), null=True, blank=True)
    # Derived on save: both activities decayed to the infusion start (177Lu).
    net_administered_gbq = optional_decimal(_("net administered activity"), 6, 3)
    amino_acids = yes_no(_("amino-acid co-infusion"))
    complications = yes_no(_("procedure complications"))
    complications_detail = models.CharField(_("complications, details"), max_length=200, blank=True)


# The lab import's tables (files, queued values, CSV columns, hospital identifiers) live in
# their sub-package; imported here so that they belong to this app.
from dosing.labimport.models import (  # noqa: E402, F401
    HospitalIdentifier,
    ImportedLabValue,
    LabImportFile,
    SiteCsvColumns,
)
