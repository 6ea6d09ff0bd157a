"""The imaging forms registered with the CRF registry (trial/crf.py), and the gate signature."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from imaging import forms, naming, pages, selectors
from imaging import models as m
from trial import roles
from trial.crf import Crf, Derivation, ItemGroup, register
from trial.signatures import register_signable

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

# The GATE slot opens the gate page itself; the decision is posted to imaging:gate_sign.
register(
    Crf(
        "GATE",
        m.Gate,
        forms.GateForm,
        template="imaging/gate.html",
        context=pages.gate_slot_context,
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
        ),
        context=pages.dosimetry_context,
    )
)

register_signable(
    selectors.SIGNATURE_KIND,
    selectors.signature_payload,
    roles={roles.INVESTIGATOR},
    label=_("Enhancement-ratio gate decision"),
    covers=selectors.signature_covers,
    requires=("eligibility",),
)
