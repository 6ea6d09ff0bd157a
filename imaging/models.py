"""Imaging CRFs' data (PROTOCOL.md section 3): the PET index lesions, the two 68Ga PETs, the
enhancement-ratio gate and the SPECT/CT dosimetry.

Every data field is nullable (drafts); the form classes say what a complete form needs. The
repeating items (lesions, organs, time points) are item groups: child rows keyed by a number.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from trial.audit import audited
from trial.models import CrfModel, yes_no

INDEX_LESIONS = 5


class Couinaud(models.IntegerChoices):
    I = 1, "I"  # noqa: E741 - the segment's name
    II = 2, "II"
    III = 3, "III"
    IV = 4, "IV"
    V = 5, "V"
    VI = 6, "VI"
    VII = 7, "VII"
    VIII = 8, "VIII"


class Radiopharmaceutical(models.TextChoices):
    DOTATOC = "DOTATOC", "68Ga-DOTATOC"
    DOTATATE = "DOTATATE", "68Ga-DOTATATE"
    DOTANOC = "DOTANOC", "68Ga-DOTANOC"


class CatheterPosition(models.TextChoices):
    PROPER_HEPATIC = "proper_hepatic", _("Proper hepatic artery")
    RIGHT_HEPATIC = "right_hepatic", _("Right hepatic artery")
    LEFT_HEPATIC = "left_hepatic", _("Left hepatic artery")
    OTHER = "other", _("Other")


class Organ(models.IntegerChoices):
    """The dose-limiting organs, numbered: the repeat key of the organ SUV group."""

    KIDNEY_LEFT = 1, _("Left kidney")
    KIDNEY_RIGHT = 2, _("Right kidney")
    SPLEEN = 3, _("Spleen")
    LIVER = 4, _("Healthy liver")
    MARROW = 5, _("Bone marrow")


@audited
class PetIndexLesions(CrfModel):
    """The 5 liver metastases chosen on MRI for the uptake comparison (not the RECIST targets)."""

    mri_date = models.DateField(_("MRI date"), null=True, blank=True)


@audited
class IndexLesion(models.Model):
    index = models.ForeignKey(
        PetIndexLesions, on_delete=models.CASCADE, related_name="index_lesions"
    )
    number = models.PositiveSmallIntegerField(_("lesion"), default=1)
    segment = models.PositiveSmallIntegerField(
        _("Couinaud segment"), choices=Couinaud.choices, null=True, blank=True
    )
    diameter_mm = models.DecimalField(
        _("longest diameter"), max_digits=4, decimal_places=1, null=True, blank=True
    )

    class Meta:
        ordering = ["number", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["index", "number"], name="index_lesion_unique_number")
        ]

    def __str__(self) -> str:
        return f"L{self.number}"


@audited
class PetScan(CrfModel):
    """A 68Ga PET: the same form after IAH injection (PET_IAH) and after IV injection (PET_IV)."""

    radiopharmaceutical = models.CharField(
        _("radiopharmaceutical"), max_length=10, choices=Radiopharmaceutical.choices, blank=True
    )
    measured_activity_mbq = models.DecimalField(
        _("measured activity"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    measured_at = models.DateTimeField(_("activity measured at"), null=True, blank=True)
    residual_activity_mbq = models.DecimalField(
        _("residual activity"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    residual_at = models.DateTimeField(_("residual measured at"), null=True, blank=True)
    injection_at = models.DateTimeField(_("injection time"), null=True, blank=True)
    scan_start_at = models.DateTimeField(_("scan start time"), null=True, blank=True)
    weight_kg = models.DecimalField(
        _("weight"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    # Derived on save: measured and residual decayed to the injection time (68Ga).
    net_injected_mbq = models.DecimalField(
        _("net injected activity"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    # The scan's day in the site's time zone: the event's date on the timeline.
    scan_date = models.DateField(_("scan date"), null=True, blank=True)
    # PET-IAH only.
    catheter_position = models.CharField(
        _("catheter position"), max_length=16, choices=CatheterPosition.choices, blank=True
    )
    angiography_complications = yes_no(_("angiography complications"))
    complications_detail = models.CharField(_("complications, details"), max_length=200, blank=True)


@audited
class LesionSuv(models.Model):
    pet = models.ForeignKey(PetScan, on_delete=models.CASCADE, related_name="lesion_suvs")
    number = models.PositiveSmallIntegerField(_("lesion"), default=1)
    suv_max = models.DecimalField(
        _("SUVmax"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    suv_mean = models.DecimalField(
        _("SUVmean"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["number", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pet", "number"], name="lesion_suv_unique_number")
        ]

    def __str__(self) -> str:
        return f"L{self.number}"


@audited
class OrganSuv(models.Model):
    pet = models.ForeignKey(PetScan, on_delete=models.CASCADE, related_name="organ_suvs")
    organ = models.PositiveSmallIntegerField(_("organ"), choices=Organ.choices, default=1)
    suv_mean = models.DecimalField(
        _("SUVmean"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["organ", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pet", "organ"], name="organ_suv_unique_organ")
        ]

    def __str__(self) -> str:
        return f"{self.get_organ_display()}"


@audited
class ExtraHepaticLesion(models.Model):
    pet = models.ForeignKey(PetScan, on_delete=models.CASCADE, related_name="extrahepatic")
    number = models.PositiveSmallIntegerField(_("number"), default=1)
    location = models.CharField(_("location"), max_length=100, blank=True)
    suv_max = models.DecimalField(
        _("SUVmax"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["number", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pet", "number"], name="extrahepatic_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.location}"


class GateDecision(models.TextChoices):
    PROCEED = "proceed", _("Proceed to the IAH dose")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    DECLINED = "declined", _("Declined")


@audited
class Gate(CrfModel):
    """The investigator's gate decision, written by imaging.actions.sign_gate only; the ratio
    is stored as it was decided on when signing: exact, at 9 significant digits (PROTOCOL.md
    section 5, Thresholds), never a display rounding that could read as the other side."""

    decision = models.CharField(
        _("decision"), max_length=16, choices=GateDecision.choices, blank=True
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    patient_ratio = models.DecimalField(
        _("patient enhancement ratio"), max_digits=15, decimal_places=9, null=True, blank=True
    )
    gate_met = yes_no(_("gate met"))
    decided_on = models.DateField(_("decision date"), null=True, blank=True)


# Planned SPECT/CT time points (hours after the infusion) and their windows (± hours).
TIME_POINTS = {1: (4, 2), 2: (24, 4), 3: (72, 24), 4: (168, 24)}


@audited
class Dosimetry(CrfModel):
    """SPECT/CT dosimetry after the IAH dose; the time points are an item group."""

    comments = models.CharField(_("comments"), max_length=200, blank=True)


@audited
class DosimetryPoint(models.Model):
    """One SPECT/CT acquisition: its time and the activity (MBq) in each volume."""

    dosimetry = models.ForeignKey(Dosimetry, on_delete=models.CASCADE, related_name="points")
    number = models.PositiveSmallIntegerField(_("time point"), default=1)
    acquired_at = models.DateTimeField(_("acquisition time"), null=True, blank=True)
    act_l1 = models.DecimalField("L1", max_digits=8, decimal_places=2, null=True, blank=True)
    act_l2 = models.DecimalField("L2", max_digits=8, decimal_places=2, null=True, blank=True)
    act_l3 = models.DecimalField("L3", max_digits=8, decimal_places=2, null=True, blank=True)
    act_l4 = models.DecimalField("L4", max_digits=8, decimal_places=2, null=True, blank=True)
    act_l5 = models.DecimalField("L5", max_digits=8, decimal_places=2, null=True, blank=True)
    act_liver = models.DecimalField(
        _("healthy liver"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    act_kidney_l = models.DecimalField(
        _("left kidney"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    act_kidney_r = models.DecimalField(
        _("right kidney"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    act_spleen = models.DecimalField(
        _("spleen"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    act_marrow = models.DecimalField(
        _("bone marrow"), max_digits=8, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dosimetry", "number"], name="dosimetry_point_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"T{self.number}"


VOLUMES = (
    "act_l1",
    "act_l2",
    "act_l3",
    "act_l4",
    "act_l5",
    "act_liver",
    "act_kidney_l",
    "act_kidney_r",
    "act_spleen",
    "act_marrow",
)

# The VOI volumes' rows, keyed 1-10 in the order of VOLUMES (the activity columns).
REGION_KEYS = {name: number for number, name in enumerate(VOLUMES, start=1)}


@audited
class VoiVolume(models.Model):
    """The CT volume of one volume of interest (an index lesion or an organ), for its mass:
    the density is the soft tissue's 1.06 g/mL unless entered (null: not entered)."""

    dosimetry = models.ForeignKey(Dosimetry, on_delete=models.CASCADE, related_name="volumes")
    region = models.PositiveSmallIntegerField(_("volume of interest"), default=1)
    volume_ml = models.DecimalField(
        _("VOI volume"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    density_g_ml = models.DecimalField(
        _("density"), max_digits=4, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["region", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["dosimetry", "region"], name="voi_volume_unique_region")
        ]

    def __str__(self) -> str:
        return f"VOI {self.region}"
