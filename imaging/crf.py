"""The imaging forms registered with the CRF registry (trial/crf.py), and the gate signature."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from imaging import actions, forms, naming, pages, selectors
from imaging import models as m
from trial import roles
from trial.changes import Inputs
from trial.crf import Crf, Derivation, ItemGroup, register
from trial.decision_pages import slot_context
from trial.decisions import Choice, Decision, register_decision
from trial.registry import Refresh, RowDependants, register_refresh, register_row_dependants

PET_TEMPLATE = "imaging/crf_form.html"


def net_injected(measured, measured_at, residual, residual_at, injection_at) -> Any:
    value = forms.net_injected(
        {
            "measured_activity_mbq": measured,
            "measured_at": measured_at,
            "residual_activity_mbq": residual,
            "residual_at": residual_at,
            "injection_at": injection_at,
        }
    )
    return None if value is None or value <= 0 else value


def local_day(value: datetime | None) -> Any:
    return timezone.localtime(value).date() if value else None


PET_GROUPS = (
    ItemGroup(
        "lesion_suvs",
        m.LesionSuv,
        parent_field="pet",
        repeat_key="number",
        max_rows=m.INDEX_LESIONS,
        label=_("Index lesion SUVs"),
        names=naming.lesion_names,
        prefix="L",
    ),
    ItemGroup(
        "organ_suvs",
        m.OrganSuv,
        parent_field="pet",
        repeat_key="organ",
        max_rows=len(m.Organ),
        label=_("Organ SUVmean"),
        names=naming.organ_names,
    ),
    ItemGroup(
        "extrahepatic",
        m.ExtraHepaticLesion,
        parent_field="pet",
        repeat_key="number",
        max_rows=naming.MAX_EXTRA_HEPATIC,
        label=_("Extra-hepatic lesions"),
        names=naming.extrahepatic_names,
        prefix="E",
    ),
)
PET_DERIVATIONS = (
    Derivation(
        ("net_injected_mbq",),
        net_injected,
        (
            "measured_activity_mbq",
            "measured_at",
            "residual_activity_mbq",
            "residual_at",
            "injection_at",
        ),
    ),
    Derivation(("scan_date",), local_day, ("scan_start_at",)),
)

register(
    Crf(
        "PETLES",
        m.PetIndexLesions,
        forms.PetIndexLesionsForm,
        template=PET_TEMPLATE,
        groups=(
            ItemGroup(
                "index_lesions",
                m.IndexLesion,
                parent_field="index",
                repeat_key="number",
                max_rows=m.INDEX_LESIONS,
                label=_("Index lesions"),
                names=naming.lesion_names,
                prefix="L",
                units={"diameter_mm": "mm"},
            ),
        ),
    )
)
for code in selectors.PETS:
    register(
        Crf(
            code,
            m.PetScan,
            forms.PetScanForm,
            template=PET_TEMPLATE,
            groups=PET_GROUPS,
            derivations=PET_DERIVATIONS,
            event_date_field="scan_date",
            context=pages.pet_context,
            units={"net_injected_mbq": "MBq"},
        )
    )

# The GATE slot opens the gate decision's signing page (trial/sign.html).
register(
    Crf(
        "GATE",
        m.Gate,
        forms.GateForm,
        template="trial/sign.html",
        context=slot_context(selectors.SIGNATURE_KIND),
    )
)
register(
    Crf(
        "DOSI",
        m.Dosimetry,
        forms.DosimetryForm,
        template=PET_TEMPLATE,
        groups=(
            ItemGroup(
                "time_points",
                m.DosimetryPoint,
                parent_field="dosimetry",
                repeat_key="number",
                max_rows=len(m.TIME_POINTS),
                label=_("Time points"),
                names=naming.time_point_names,
                item_labels=naming.volume_labels,
                units=dict.fromkeys(m.VOLUMES, "MBq"),
            ),
            ItemGroup(
                "volumes",
                m.VoiVolume,
                parent_field="dosimetry",
                repeat_key="region",
                max_rows=len(m.REGION_KEYS),
                label=_("VOI volumes"),
                names=naming.region_names,
                units={"volume_ml": "mL", "density_g_ml": "g/mL"},
            ),
        ),
        context=pages.dosimetry_context,
    )
)

# The gate decision: signed by an investigator once eligibility stands, on the ratios of
# both PETs (a changed SUV breaks it); it opens the IAH dose or leads to follow-up.
register_decision(
    Decision(
        kind=selectors.SIGNATURE_KIND,
        label=_("Enhancement-ratio gate decision"),
        payload=selectors.signature_payload,
        roles=frozenset({roles.INVESTIGATOR}),
        covers=selectors.signature_covers,
        requires=("eligibility",),
        slot=(selectors.GATE_EVENT, selectors.GATE_FORM),
        journey_fields=frozenset({f"date:{selectors.GATE_EVENT}", "gate_decision"}),
        decide=actions.decide,
        choices=tuple(
            Choice(value, label, "success" if value == m.GateDecision.PROCEED else "secondary")
            for value, label in m.GateDecision.choices
        ),
        reason_label=_("Reason"),
        reason_required_for=frozenset({m.GateDecision.DECLINED}),
        reason_missing=_("Give the reason the participant declined."),
        serialize=actions.IAH_SLOT_LOCK,
        # A signed decision may be corrected, with its reason (a "proceed" withdrawn before
        # the dose frees its slot); once the dose is given, `decide` refuses any change.
        recorded=selectors.recorded_decision,
        correctable=True,
        command="sign_gate",
        page=pages.gate_page,
        template="imaging/_gate.html",
        missing_slot=_("This participant has no gate form yet (both PETs come first)."),
        role_refusal=_("Only an investigator signs the gate decision."),
        signers=_("Only an investigator signs the gate decision."),
        done=_("Gate decision signed for %(code)s."),
    )
)

# The physicist's (investigator's) review of the dosimetry: signed on the doses as computed
# from the SPECT/CT form and the IAH dose; a change to either breaks it.
register_decision(
    Decision(
        kind=selectors.DOSIMETRY_KIND,
        label=_("Dosimetry review"),
        payload=selectors.dosimetry_payload,
        roles=frozenset({roles.INVESTIGATOR}),
        covers=selectors.dosimetry_covers,
        slot=(selectors.DOSIMETRY_EVENT, selectors.DOSIMETRY_FORM),
        decide=actions.decide_dosimetry,
        command="sign_dosimetry_review",
        page=pages.dosimetry_review_page,
        template="imaging/_dosimetry_review.html",
        missing_slot=_("This participant has no dosimetry form (no IAH dose decided)."),
        role_refusal=_("Only an investigator signs the dosimetry review."),
        signers=_("Only an investigator (the physicist's review) signs the dosimetry."),
        done=_("Dosimetry review signed for %(code)s."),
    )
)

# The Gate row stores the patient ratio and "gate met" beside the decision: a change of any
# SUV of either PET computes them again (and so breaks the gate signature).
register_refresh(
    Refresh(
        "imaging.gate_ratio",
        Inputs.of(forms=selectors.PETS, groups=[(pet, "lesion_suvs") for pet in selectors.PETS]),
        actions.refresh_gate_ratio,
    )
)

# An index lesion whose SUVs are entered on a PET is part of the ratios and the gate: it is
# not removed from the index lesions (its SUVs are cleared first, with a reason).
register_row_dependants(
    RowDependants(
        "PETLES",
        "index_lesions",
        selectors.index_lesion_dependants,
        _("Clear its SUVs on those PETs first."),
    )
)
