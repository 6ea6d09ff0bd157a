"""The screening forms registered with the CRF registry (trial/crf.py), and the signature kind."""

from django.utils.translation import gettext_lazy as _

from eligibility import calculations as calc
from eligibility import forms, pages
from eligibility import models as m
from eligibility.actions import SIGNERS
from eligibility.selectors import SIGNATURE_KIND, signature_covers, signature_payload
from trial.crf import COMPLETE, Crf, Derivation, ItemGroup, numbered, register
from trial.signatures import register_signable

CRF_TEMPLATE = "eligibility/crf_form.html"

DERIVATIONS = {
    # Bilirubin in the unit the rules read, then the score from the values as stored.
    "IAHCI": (
        Derivation(
            ("bilirubin_umol_l",), calc.bilirubin_umol_l, ("bilirubin_entered", "bilirubin_unit")
        ),
        Derivation(
            ("child_pugh_score", "child_pugh_class"),
            lambda *items: calc.child_pugh_of(*items) or (None, ""),
            ("bilirubin_umol_l", "albumin_g_l", "inr", "ascites", "encephalopathy"),
        ),
    ),
    # Inclusion 4 reads the number of measurable lesions, counted from the rows, never typed.
    "IMAGING": (
        Derivation(("measurable_target_lesions",), calc.counted, ("target_lesions", COMPLETE)),
    ),
}
# Units of the derived values (the entered items' are their form's).
UNITS = {"IAHCI": {"bilirubin_umol_l": "µmol/L", "child_pugh_score": _("points")}}
GROUPS = {
    "IMAGING": (
        ItemGroup(
            "target_lesions",
            m.TargetLesion,
            parent_field="imaging",
            repeat_key="number",
            max_rows=forms.MAX_TARGET_LESIONS,
            label=_("Target lesions"),
            names=numbered("T", forms.MAX_TARGET_LESIONS),
            units={"diameter_mm": "mm"},
        ),
        ItemGroup(
            "non_target_lesions",
            m.NonTargetLesion,
            parent_field="imaging",
            repeat_key="number",
            max_rows=forms.MAX_NON_TARGET_LESIONS,
            label=_("Non-target lesions"),
            names=numbered("N", forms.MAX_NON_TARGET_LESIONS),
        ),
    ),
}

for code, model, form_class in (
    ("CONSENT", m.Consent, forms.ConsentForm),
    ("DEMOG", m.Demographics, forms.DemographicsForm),
    ("DISEASE", m.DiseaseHistory, forms.DiseaseHistoryForm),
    ("CARDIO", m.CardiovascularHistory, forms.CardiovascularHistoryForm),
    ("IAHCI", m.IahContraindications, forms.IahContraindicationsForm),
    ("REPRO", m.ReproductionAdministrative, forms.ReproductionForm),
    ("IMAGING", m.InclusionImaging, forms.InclusionImagingForm),
    ("VITALS", m.VitalSigns, forms.VitalSignsForm),
):
    register(
        Crf(
            code,
            model,
            form_class,
            template=CRF_TEMPLATE,
            context=pages.crf_context,
            groups=GROUPS.get(code, ()),
            derivations=DERIVATIONS.get(code, ()),
            units=UNITS.get(code, {}),
        )
    )

# The ELIGSIGN slot opens the sign-off page itself (criteria, result, signature); the signing
# is posted to eligibility:signoff, never saved through the generic form view.
register(
    Crf(
        "ELIGSIGN",
        m.EligibilitySignoff,
        forms.EligibilitySignoffForm,
        template="eligibility/signoff.html",
        context=pages.signoff_slot_context,
    )
)


# Only investigators sign; what they sign is every criterion's status and every value used.
register_signable(
    SIGNATURE_KIND,
    signature_payload,
    roles=SIGNERS,
    label=_("Eligibility sign-off"),
    covers=signature_covers,
)
