"""The follow-up forms registered with the CRF registry (trial/crf.py): the visit (FU, M1-M18),
the RECIST 1.1 assessment (RECIST, M3-M18) with its target measurements as an item group keyed
by the baseline lesion's number, and the end of study (EOS). The lab panel of a follow-up
visit is dosing's LAB form, already in the schedule."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from followup import actions, derived, forms, selectors
from followup import models as m
from trial.changes import Inputs
from trial.crf import Crf, Derivation, ItemGroup, numbered, register
from trial.registry import Refresh, RowDependants, register_refresh, register_row_dependants


def recist_context(participant: Any, row: Any, form: forms.RecistForm) -> dict[str, Any]:
    unconfirmed = False
    if form.instance.pk and form.instance.overall_response:
        recist = selectors.participant_recist(participant)
        unconfirmed = any(
            a.unconfirmed for a in recist.assessments if a.data.pk == form.instance.pk
        )
    return {
        "baseline": form.baseline,
        "recist_url": reverse("followup:participant_recist", args=[participant.code]),
        # This assessment's CR or PR is not confirmed by a later one (yet).
        "unconfirmed": unconfirmed,
    }


register(
    Crf(
        "FU",
        m.FollowUpVisit,
        forms.FollowUpVisitForm,
        event_date_field="visit_date",
        on_save=actions.visit_saved,
    )
)
register(
    Crf(
        "RECIST",
        m.RecistAssessment,
        forms.RecistForm,
        template="followup/recist_form.html",
        context=recist_context,
        groups=(
            ItemGroup(
                "measurements",
                m.TargetMeasurement,
                parent_field="assessment",
                repeat_key="number",
                max_rows=5,
                label=_("Target lesion measurements"),
                names=numbered("T", 5),
                units={"size_mm": "mm"},
                prefix="T",
            ),
        ),
        derivations=(Derivation(derived.OUTPUTS, derived.assess, derived.INPUTS),),
        lookups=(("recist_context", actions.recist_context),),
        units={
            "sum_mm": "mm",
            "baseline_sum_mm": "mm",
            "nadir_mm": "mm",
            "change_baseline_mm": "mm",
            "change_baseline_pct": "%",
            "change_nadir_mm": "mm",
            "change_nadir_pct": "%",
        },
    )
)
register(
    Crf(
        "EOS",
        m.EndOfStudy,
        forms.EndOfStudyForm,
        event_date_field="end_date",
        on_save=actions.study_ended,
    )
)

# Every assessment reads the baseline (the inclusion imaging's lesions) and the assessments
# dated before it: a change of any of them recomputes them all.
register_refresh(
    Refresh(
        "followup.recist_responses",
        Inputs.of(
            forms=[selectors.RECIST_FORM, selectors.BASELINE_FORM],
            groups=[(selectors.RECIST_FORM, "measurements")],
        ),
        actions.refresh_recist,
    )
)

# A baseline target lesion measured at follow-up is part of every response computed since:
# it cannot be removed from the inclusion imaging; RECIST 1.1 records it as not evaluable.
register_row_dependants(
    RowDependants(
        selectors.BASELINE_FORM,
        "target_lesions",
        selectors.measured_lesions,
        _(
            "RECIST 1.1 keeps a baseline target lesion for the whole study: at those visits, "
            "mark it not evaluable, split or merged into another lesion instead."
        ),
    )
)
