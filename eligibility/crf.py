"""The screening forms registered with the CRF registry (trial/crf.py), and the signature kind."""

from django.utils.translation import gettext_lazy as _

from eligibility import actions, forms, pages
from eligibility import calculations as calc
from eligibility import models as m
from eligibility.actions import SIGNERS
from eligibility.facts import ELIGIBILITY_EVENT
from eligibility.selectors import (
    SIGNATURE_KIND,
    SIGNOFF_FORM,
    recorded_decision,
    signature_covers,
    signature_payload,
)
from trial.crf import COMPLETE, Crf, Derivation, ItemGroup, numbered, register
from trial.decision_pages import slot_context
from trial.decisions import Choice, Decision, register_decision

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
            prefix="T",
        ),
        ItemGroup(
            "non_target_lesions",
            m.NonTargetLesion,
            parent_field="imaging",
            repeat_key="number",
            max_rows=forms.MAX_NON_TARGET_LESIONS,
            label=_("Non-target lesions"),
            names=numbered("NT", forms.MAX_NON_TARGET_LESIONS),
            prefix="NT",
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

# The ELIGSIGN slot opens the sign-off decision's signing page (trial/sign.html); the signing
# is never saved through the generic form view.
register(
    Crf(
        "ELIGSIGN",
        m.EligibilitySignoff,
        forms.EligibilitySignoffForm,
        template="trial/sign.html",
        context=slot_context(SIGNATURE_KIND),
    )
)


# The eligibility sign-off: only investigators sign; what they sign is every criterion's
# status and every value used, so a change of any form the rules read breaks it. Eligible
# enrols the participant, screen failure closes the journey.
register_decision(
    Decision(
        kind=SIGNATURE_KIND,
        label=_("Eligibility sign-off"),
        payload=signature_payload,
        roles=frozenset(SIGNERS),
        covers=signature_covers,
        slot=(ELIGIBILITY_EVENT, SIGNOFF_FORM),
        journey_fields=frozenset({f"date:{ELIGIBILITY_EVENT}", "status", "enrolment_date"}),
        decide=actions.decide,
        choices=(
            Choice(m.Decision.ELIGIBLE, _("Sign: I confirm this participant is eligible")),
            Choice(
                m.Decision.SCREEN_FAILURE,
                _("Sign: I confirm this participant is a screen failure"),
                "danger",
            ),
        ),
        buttons=True,
        recorded=recorded_decision,
        command="sign_eligibility",
        page=pages.signoff_page,
        template="eligibility/_signoff.html",
        missing_slot=_("This participant has no eligibility form."),
        role_refusal=_("Only an investigator may sign eligibility."),
        signers=_("Only an investigator signs eligibility."),
        done=_("Eligibility signed for %(code)s."),
    )
)
