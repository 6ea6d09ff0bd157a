"""Screening CRFs' data (PROTOCOL.md section 3).

Field names are the item keys the eligibility engine reads ("<FORM>.<field>" in rules.py), so the
facts are gathered without a mapping table. Every data field is nullable: a draft saves half-filled
and the form class says what a complete form needs.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from eligibility import rules
from trial.audit import audited
from trial.models import CrfModel, exact_decimal, yes_no


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


@audited
class Demographics(CrfModel):
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    height_cm = models.DecimalField(
        _("height"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    weight_kg = models.DecimalField(
        _("weight"), max_digits=4, decimal_places=1, null=True, blank=True
    )


@audited
class Consent(CrfModel):
    consent_datetime = models.DateTimeField(_("date and time of consent"), null=True, blank=True)
    form_version = models.CharField(_("consent form version"), max_length=20, blank=True)
    copy_given = yes_no(_("copy of the signed form given to the participant"))


class PrimarySite(models.TextChoices):
    SMALL_INTESTINE = "small_intestine", _("Small intestine")
    PANCREAS = "pancreas", _("Pancreas")
    STOMACH = "stomach", _("Stomach")
    DUODENUM = "duodenum", _("Duodenum")
    COLON_RECTUM = "colon_rectum", _("Colon / rectum")
    APPENDIX = "appendix", _("Appendix")
    OTHER_GI = "other_gi", _("Other gastro-intestinal")
    OTHER_NON_GEP = "other_non_gep", _("Other, not gastro-entero-pancreatic")


class WhoGrade(models.TextChoices):
    G1 = "G1", "G1"
    G2 = "G2", "G2"
    G3 = "G3", "G3"


class ColdSsa(models.TextChoices):
    OCTREOTIDE = "octreotide", _("Octreotide LAR")
    LANREOTIDE = "lanreotide", _("Lanreotide")
    OTHER = "other", _("Other")


@audited
class DiseaseHistory(CrfModel):
    diagnosis_date = models.DateField(_("date of diagnosis"), null=True, blank=True)
    well_differentiated = yes_no(_("well-differentiated tumour"))
    primary_site = models.CharField(
        _("primary site"), max_length=20, choices=PrimarySite.choices, blank=True
    )
    who_grade = models.CharField(_("WHO grade"), max_length=2, choices=WhoGrade.choices, blank=True)
    ki67_percent = models.DecimalField(
        _("Ki-67"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    functioning_syndrome = yes_no(_("functioning syndrome"))
    liver_involvement_percent = models.PositiveSmallIntegerField(
        _("liver involvement"), null=True, blank=True
    )
    extrahepatic_sites = models.CharField(
        _("extra-hepatic sites"), max_length=200, blank=True, help_text=_("none if none")
    )
    extrahepatic_dominant_or_threatening = yes_no(
        _("dominant or threatening extra-hepatic metastases")
    )
    cold_ssa_drug = models.CharField(
        _("cold somatostatin analogue"), max_length=20, choices=ColdSsa.choices, blank=True
    )
    cold_ssa_start_date = models.DateField(_("cold SSA start date"), null=True, blank=True)
    ssa_progression_date = models.DateField(
        _("date of RECIST progression under cold SSA"), null=True, blank=True
    )
    hepatic_invasion_over_50 = yes_no(_("hepatic invasion over 50 % at diagnosis"))


@audited
class CardiovascularHistory(CrfModel):
    carcinoid_heart_disease = yes_no(_("carcinoid heart disease"))
    lvef_percent = models.PositiveSmallIntegerField(
        _("left ventricular ejection fraction"), null=True, blank=True
    )
    heart_failure = yes_no(_("heart failure"))
    myocardial_infarction = yes_no(_("myocardial infarction"))
    stroke = yes_no(_("stroke"))
    uncontrolled_hypertension = yes_no(_("uncontrolled hypertension"))
    pulmonary_embolism = yes_no(_("pulmonary embolism"))
    revascularisation = yes_no(_("coronary or peripheral revascularisation"))
    unstable_angina = yes_no(_("unstable angina"))
    uncontrolled_arrhythmia = yes_no(_("uncontrolled arrhythmia"))
    significant_bradycardia = yes_no(_("significant bradycardia"))


class Ascites(models.TextChoices):
    NONE = "none", _("None")
    MILD = "mild", _("Mild")
    MODERATE_SEVERE = "moderate-severe", _("Moderate to severe")


class Encephalopathy(models.TextChoices):
    NONE = "none", _("None")
    GRADE_1_2 = "grade 1-2", _("Grade 1-2")
    GRADE_3_4 = "grade 3-4", _("Grade 3-4")


class BilirubinUnit(models.TextChoices):
    UMOL_L = "umol/L", "µmol/L"
    MG_DL = "mg/dL", "mg/dL"


@audited
class IahContraindications(CrfModel):
    coagulation_disorder = yes_no(_("coagulation disorder"))
    portal_thrombosis = yes_no(_("portal vein thrombosis"))
    biliary_dilatation = yes_no(_("intra-hepatic biliary dilatation"))
    anastomosis_or_fistula = yes_no(_("digestive or biliary anastomosis or fistula"))
    cirrhosis = yes_no(_("cirrhosis"))
    # Bilirubin is stored in µmol/L (what the rules read); the value and unit typed are kept
    # for the record, since a lab may report mg/dL. The µmol/L column keeps the typed places
    # plus the factor's (3 + 1 for 17.1), so it is exact: 1.988 mg/dL is 33.9948, never 34.0
    # (PROTOCOL.md section 5, Thresholds); a fourth decimal typed is refused at the field.
    bilirubin_umol_l = exact_decimal(_("total bilirubin"), 9, 4, 1)
    bilirubin_entered = exact_decimal(_("total bilirubin as typed"), 7, 3, 2)
    bilirubin_unit = models.CharField(
        _("bilirubin unit"),
        max_length=8,
        choices=BilirubinUnit.choices,
        default=BilirubinUnit.UMOL_L,
        blank=True,
    )
    albumin_g_l = models.DecimalField(
        _("albumin"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    inr = models.DecimalField(_("INR"), max_digits=4, decimal_places=2, null=True, blank=True)
    ascites = models.CharField(_("ascites"), max_length=16, choices=Ascites.choices, blank=True)
    encephalopathy = models.CharField(
        _("hepatic encephalopathy"), max_length=16, choices=Encephalopathy.choices, blank=True
    )
    # Computed from the five items on save (eligibility.calculations.child_pugh).
    child_pugh_score = models.PositiveSmallIntegerField(
        _("Child-Pugh score"), null=True, blank=True
    )
    child_pugh_class = models.CharField(_("Child-Pugh class"), max_length=1, blank=True)


class Contraception(models.TextChoices):
    IUD = "iud", _("Intra-uterine device")
    PROGESTIN_PILL = "progestin_pill", _("Progestin-only pill")
    COMBINED_PILL = "combined_pill", _("Combined pill")
    MONTHLY_INJECTABLE = "monthly_injectable", _("Monthly injectable")
    PROGESTIN_INJECTABLE = "progestin_injectable", _("Progestin injectable")
    PATCH = "patch", _("Patch")
    VAGINAL_RING = "vaginal_ring", _("Vaginal ring")
    FEMALE_STERILISATION = "female_sterilisation", _("Female sterilisation")
    VASECTOMY = "vasectomy", _("Vasectomy")
    IMPLANT = "implant", _("Implant")
    NONE = rules.NO_CONTRACEPTION, _("None")


class PregnancyTest(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")
    NOT_DONE = "not_done", _("Not done")


@audited
class ReproductionAdministrative(CrfModel):
    childbearing_potential = yes_no(_("woman of childbearing potential"))
    contraception_method = models.CharField(
        _("contraception method"), max_length=24, choices=Contraception.choices, blank=True
    )
    pregnancy_test_result = models.CharField(
        _("pregnancy test"), max_length=10, choices=PregnancyTest.choices, blank=True
    )
    breast_feeding = yes_no(_("breast-feeding"))
    social_security = yes_no(_("affiliated to social security"))
    legal_protection = yes_no(_("under legal protection (guardianship, curatorship)"))
    able_to_consent = yes_no(_("able to give informed consent"))
    other_interventional_trial = yes_no(_("taking part in another interventional trial"))
    mri_contraindication = yes_no(_("MRI contraindicated"))
    lutathera_contraindication = yes_no(_("LUTATHERA contraindicated"))


@audited
class InclusionImaging(CrfModel):
    ct_date = models.DateField(_("CT chest-abdomen-pelvis date"), null=True, blank=True)
    mri_date = models.DateField(_("liver MRI date"), null=True, blank=True)
    liver_dominant_or_exclusive = yes_no(_("liver disease dominant or exclusive"))
    resectable = yes_no(_("resectable"))
    complete_response = yes_no(_("complete response"))
    # Counted from the target lesions below on every save; not typed.
    measurable_target_lesions = models.PositiveSmallIntegerField(
        _("measurable target lesions"), null=True, blank=True
    )


class LesionOrgan(models.TextChoices):
    LIVER = "liver", _("Liver")
    LYMPH_NODE = "lymph_node", _("Lymph node")
    LUNG = "lung", _("Lung")
    BONE = "bone", _("Bone")
    PERITONEUM = "peritoneum", _("Peritoneum")
    PANCREAS = "pancreas", _("Pancreas")
    BOWEL = "bowel", _("Bowel / mesentery")
    OTHER = "other", _("Other")


@audited
class TargetLesion(models.Model):
    """A RECIST 1.1 baseline target lesion (T1-T5); follow-up measures the same lesions."""

    imaging = models.ForeignKey(
        InclusionImaging, on_delete=models.CASCADE, related_name="target_lesions"
    )
    number = models.PositiveSmallIntegerField(_("number"), default=1)
    organ = models.CharField(_("organ"), max_length=16, choices=LesionOrgan.choices)
    location = models.CharField(_("location"), max_length=100, blank=True)
    # Longest diameter; short axis for a lymph node (RECIST 1.1).
    diameter_mm = models.DecimalField(_("diameter"), max_digits=4, decimal_places=1)

    class Meta:
        ordering = ["number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["imaging", "number"], name="target_lesion_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"T{self.number}"


@audited
class NonTargetLesion(models.Model):
    imaging = models.ForeignKey(
        InclusionImaging, on_delete=models.CASCADE, related_name="non_target_lesions"
    )
    # The repeat key (NT1, NT2, ...), like the target lesions' number.
    number = models.PositiveSmallIntegerField(_("number"), default=1)
    organ = models.CharField(_("organ"), max_length=16, choices=LesionOrgan.choices)
    location = models.CharField(_("location"), max_length=100, blank=True)

    class Meta:
        ordering = ["number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["imaging", "number"], name="non_target_lesion_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organ} {self.location}".strip()


class Ecog(models.IntegerChoices):
    FULLY_ACTIVE = 0, _("0 · fully active")
    RESTRICTED = 1, _("1 · restricted in strenuous activity")
    AMBULATORY = 2, _("2 · ambulatory, self-care, no work")
    LIMITED_SELF_CARE = 3, _("3 · limited self-care")
    DISABLED = 4, _("4 · completely disabled")
    DEAD = 5, _("5 · dead")


@audited
class VitalSigns(CrfModel):
    assessment_date = models.DateField(_("assessment date"), null=True, blank=True)
    systolic_bp = models.PositiveSmallIntegerField(_("systolic BP"), null=True, blank=True)
    diastolic_bp = models.PositiveSmallIntegerField(_("diastolic BP"), null=True, blank=True)
    on_antihypertensive = yes_no(_("on antihypertensive treatment"))
    heart_rate = models.PositiveSmallIntegerField(_("heart rate"), null=True, blank=True)
    weight_kg = models.DecimalField(
        _("weight"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    ecog = models.PositiveSmallIntegerField(
        _("ECOG performance status"), choices=Ecog.choices, null=True, blank=True
    )


class Decision(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    SCREEN_FAILURE = "screen_failure", _("Screen failure")


@audited
class EligibilitySignoff(CrfModel):
    """The investigator's decision; the signature itself lives in the audit app (trial).

    `signoff_date` is the date the criteria were evaluated for (the lab window counts back from
    it); the signature payload is recomputed with it, so time passing alone breaks nothing.
    """

    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, blank=True)
    signoff_date = models.DateField(_("sign-off date"), null=True, blank=True)
    failed_criteria = models.CharField(_("failed criteria"), max_length=200, blank=True)
