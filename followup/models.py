"""Follow-up CRFs' data (PROTOCOL.md sections 2, 3 and 5): the visit (FU), the RECIST 1.1
assessment (RECIST) with its target measurements, and the end of study (EOS).

Every data field is nullable (drafts). The RECIST responses are derived by the action
(trial.actions.save_crf through the Derivation in followup/crf.py), never typed.
"""

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from followup import calculations as calc
from followup import derived
from trial.audit import audited
from trial.calculations import shown_against
from trial.models import CrfModel, optional_decimal, yes_no

# The RECIST 1.1 codes stored (followup.calculations) as a French page abbreviates them.
RESPONSE_TEXT = {
    "CR": pgettext_lazy("RECIST response", "CR"),
    "PR": pgettext_lazy("RECIST response", "PR"),
    "SD": pgettext_lazy("RECIST response", "SD"),
    "PD": pgettext_lazy("RECIST response", "PD"),
    "NE": pgettext_lazy("RECIST response", "NE"),
    "NON-CR/NON-PD": pgettext_lazy("RECIST response", "NON-CR/NON-PD"),
    "NONE": pgettext_lazy("RECIST response", "NONE"),
}


def response_text(code: object) -> str:
    """A stored RECIST code in the reader's language; blank and unknown codes as they are."""
    return str(RESPONSE_TEXT.get(code, code)) if isinstance(code, str) else ""


class Ecog(models.IntegerChoices):
    FULLY_ACTIVE = 0, _("0 · fully active")
    RESTRICTED = 1, _("1 · restricted in strenuous activity")
    AMBULATORY = 2, _("2 · ambulatory, self-care, no work")
    LIMITED_SELF_CARE = 3, _("3 · limited self-care")
    DISABLED = 4, _("4 · completely disabled")
    DEAD = 5, _("5 · dead")


@audited
class FollowUpVisit(CrfModel):
    """A follow-up visit M1-M18: its date is the event's date. A visit marked missed (with a
    reason) has its forms set to MISSED by followup.actions, which stops its reminders."""

    visit_date = models.DateField(_("visit date"), null=True, blank=True)
    ecog = models.PositiveSmallIntegerField(
        _("ECOG performance status"), choices=Ecog.choices, null=True, blank=True
    )
    systolic_bp = models.PositiveSmallIntegerField(_("systolic BP"), null=True, blank=True)
    diastolic_bp = models.PositiveSmallIntegerField(_("diastolic BP"), null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField(_("heart rate"), null=True, blank=True)
    weight_kg = optional_decimal(_("weight"), 4, 1)
    missed = yes_no(_("visit missed"))
    missed_reason = models.CharField(_("reason the visit was missed"), max_length=200, blank=True)


class NonTargetStatus(models.TextChoices):
    # Values are the codes of followup.calculations (RECIST 1.1 table 1).
    CR = "CR", _("CR · every non-target lesion gone")
    NON_CR_NON_PD = "NON-CR/NON-PD", _("Non-CR / non-PD · persisting")
    PD = "PD", _("PD · unequivocal progression")
    NE = "NE", _("Not evaluated")
    NONE = "NONE", _("None at baseline")


@audited
class RecistAssessment(CrfModel):
    """A RECIST 1.1 time point (M3-M18): the baseline target lesions measured again, the
    non-target status, new lesions; the sums, changes and responses derived on save."""

    imaging_date = models.DateField(_("imaging date"), null=True, blank=True)
    non_target_status = models.CharField(
        _("non-target lesions"), max_length=16, choices=NonTargetStatus.choices, blank=True
    )
    new_lesions = yes_no(_("new lesions"))
    new_lesion_site = models.CharField(_("site of new lesions"), max_length=100, blank=True)
    unequivocal_progression = yes_no(_("unequivocal progression (clinical or radiological)"))
    progression_site = models.CharField(_("site of progression"), max_length=100, blank=True)
    # Derived on every save from the measurements, the baseline and the earlier assessments.
    sum_mm = optional_decimal(_("sum of diameters"), 5, 1)
    baseline_sum_mm = optional_decimal(_("baseline sum of diameters"), 5, 1)
    nadir_mm = optional_decimal(_("nadir before this assessment"), 5, 1)
    change_baseline_mm = optional_decimal(_("change from baseline (mm)"), 6, 1)
    # The changes in % are stored to PCT_PLACES decimals, not rounded to the one decimal shown
    # (see followup.derived.PCT_PLACES for why that can never cross a threshold).
    change_baseline_pct = optional_decimal(_("change from baseline (%)"), 12, derived.PCT_PLACES)
    change_nadir_mm = optional_decimal(_("change from nadir (mm)"), 6, 1)
    change_nadir_pct = optional_decimal(_("change from nadir (%)"), 12, derived.PCT_PLACES)
    target_response = models.CharField(_("target response"), max_length=4, blank=True)
    overall_response = models.CharField(_("overall response"), max_length=4, blank=True)
    progression_date = models.DateField(_("first date of progression"), null=True, blank=True)

    # The changes in % as the pages show them: computed from the sums (whole tenths of a mm, so
    # exact), with one decimal, more when one would read as the other side of the threshold
    # the response is decided on (PROTOCOL.md section 5, Thresholds: -29.96 % is not a PR, so it
    # is never shown as -30.0 %; +19.96 % from the nadir is not a PD, never shown as 20.0 %).
    @property
    def change_baseline_pct_shown(self) -> Decimal | None:
        return _pct_shown(self.baseline_sum_mm, self.sum_mm, "<=", calc.PR_DECREASE_PERCENT)

    @property
    def change_nadir_pct_shown(self) -> Decimal | None:
        return _pct_shown(self.nadir_mm, self.sum_mm, ">=", calc.PD_INCREASE_PERCENT)


def _pct_shown(reference: Decimal | None, current: Decimal | None, op: str, limit: int) -> Any:
    if reference is None or current is None or reference <= 0:
        return None
    change = calc.percent_change(float(reference), float(current))
    return shown_against(change, op, limit, 1)


class LesionState(models.TextChoices):
    """What became of a baseline target lesion that is not simply measured or gone (RECIST 1.1
    section 4.3.2, lesions that split or coalesce; section 4.4.2, not evaluable). Blank: the
    lesion as one, measured (present) or gone (not present)."""

    NOT_EVALUABLE = "not_evaluable", _("Not evaluable")
    SPLIT = "split", _("Split (fragments summed)")
    MERGED = "merged", _("Merged into another")


@audited
class TargetMeasurement(models.Model):
    """Today's size of a baseline target lesion, keyed by the baseline lesion's number (T1-T5).

    RECIST 1.1: a lesion that has disappeared is recorded as not present with size 0 (a lymph
    node keeps its short axis, normal below 10 mm); a lesion present has a size above 0. A
    lesion that split is recorded under its own label with the sum of its fragments' longest
    diameters; lesions that coalesced are measured as one under the label `merged_into`, each
    other one recorded as merged into it with size 0; a lesion not evaluable has no size and
    makes the target response NE, unless the others show PD.
    """

    assessment = models.ForeignKey(
        RecistAssessment, on_delete=models.CASCADE, related_name="measurements"
    )
    number = models.PositiveSmallIntegerField(_("lesion number"), default=1)
    present = yes_no(_("lesion present"))
    size_mm = optional_decimal(_("size"), 4, 1)
    state = models.CharField(
        _("lesion state"), max_length=16, choices=LesionState.choices, blank=True
    )
    # The permanent label ("T2") of the lesion a merged one is measured under.
    merged_into = models.CharField(_("merged into"), max_length=4, blank=True)

    class Meta:
        ordering = ["number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "number"], name="target_measurement_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"T{self.number}"

    @property
    def state_shown(self) -> str:
        """The lesion's state in words, for the pages and the PDF: "split", "merged into
        T2", "not evaluable"; blank for a lesion measured or gone."""
        return state_text(self.state, self.merged_into)


def state_text(state: str, merged_into: str) -> str:
    if state == LesionState.MERGED:
        return str(_("merged into %(label)s")) % {"label": merged_into or "?"}
    if state == LesionState.SPLIT:
        return str(_("split"))
    if state == LesionState.NOT_EVALUABLE:
        return str(_("not evaluable"))
    return ""


class EndStatus(models.TextChoices):
    COMPLETED = "completed", _("Completed (M18)")
    WITHDREW_CONSENT = "withdrew_consent", _("Withdrew consent")
    LOST = "lost_to_follow_up", _("Lost to follow-up")
    DEATH = "death", _("Death")
    INVESTIGATOR = "investigator_decision", _("Investigator decision")
    OTHER = "other", _("Other")


@audited
class EndOfStudy(CrfModel):
    status = models.CharField(
        _("end-of-study status"), max_length=24, choices=EndStatus.choices, blank=True
    )
    end_date = models.DateField(_("end-of-study date"), null=True, blank=True)
    death_date = models.DateField(_("date of death"), null=True, blank=True)
    death_cause = models.CharField(_("cause of death"), max_length=200, blank=True)
    details = models.CharField(_("details"), max_length=200, blank=True)
