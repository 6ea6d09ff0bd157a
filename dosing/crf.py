"""The dosing forms registered with the CRF registry (trial/crf.py), with their side panels."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dosing import actions, ctcae, labs, selectors
from dosing.advice import ADVISED_EVENTS, advice_for
from dosing.forms import (
    IAH_NET_INPUTS,
    AeForm,
    CmForm,
    CycleForm,
    IahDoseForm,
    LabForm,
    iah_net_gbq,
)
from dosing.labimport.queue import pending_counts
from dosing.models import (
    AdverseEvent,
    ConcomitantMedication,
    CycleAdministration,
    IahDose,
    LabPanel,
)
from trial import roles, schedule
from trial.crf import Crf, Derivation, model_field, register
from trial.decisions import Decision, register_decision
from trial.readable import with_official_english


def cycle_context(participant: Any, row: Any, form: CycleForm) -> dict[str, Any]:
    planned = next((p for p in participant.plan() if p.code == row.event), None)
    advice = advice_for(participant, row.event) if row.event in ADVISED_EVENTS else None
    return {"planned": planned, "advice": advice}


def lab_context(participant: Any, row: Any, form: LabForm) -> dict[str, Any]:
    rows = form.lab_rows()
    return {
        "lab_rows": rows,
        "graded_rows": [r for r in rows if r["grade"] and r["grade"].grade],
        "findings": form.findings(),
        # Read only where the page shows it (a callable: not on each live-grade request).
        "lab_imports_waiting": lambda: pending_counts([participant.pk]).get(participant.pk, 0),
    }


def ae_context(participant: Any, row: Any, form: AeForm) -> dict[str, Any]:
    causality = (
        reverse("signature_sign", args=[participant.code, selectors.CAUSALITY_KIND])
        + f"?repeat={row.repeat}"
        if row.pk is not None
        else ""
    )
    return {
        "deadline": form.instance.reporting_deadline,
        "now": timezone.now(),
        "causality_url": causality,
        "causality_roles": [roles.INVESTIGATOR],
    }


register(
    Crf(
        "CYCLE",
        CycleAdministration,
        CycleForm,
        event_date_field="administration_date",
        template="dosing/cycle_form.html",
        context=cycle_context,
    )
)
# Values typed in a choice of units are stored in the canonical unit the rules and the
# advice read; an adverse event's term is stored with its MedDRA code and SOC.
LAB_DERIVATIONS = tuple(Derivation(*spec) for spec in labs.derivations())
# The canonical values derived from a typed value and its unit, in their canonical unit.
LAB_UNITS = {
    name: item.unit
    for item in labs.LAB_ITEMS
    if item.switchable
    for name in (item.field, item.limit)
    if name
}
AE_DERIVATIONS = (Derivation(("meddra_code", "soc"), ctcae.coded, ("term",)),)

register(
    Crf(
        "LAB",
        LabPanel,
        LabForm,
        template="dosing/lab_form.html",
        context=lab_context,
        derivations=LAB_DERIVATIONS,
        units=LAB_UNITS,
    )
)
register(
    Crf(
        "AE",
        AdverseEvent,
        AeForm,
        template="dosing/ae_form.html",
        context=ae_context,
        derivations=AE_DERIVATIONS,
    )
)
register(Crf("CM", ConcomitantMedication, CmForm))


def iah_context(participant: Any, row: Any, form: Any) -> dict[str, Any]:
    # The label's advice comes first: the nurse reads it before entering the dose. The time
    # since the last dose runs to the infusion date (as typed, else as saved), else to today.
    return {"advice": advice_for(participant, "IAH", dose_date=_infusion_date(form))}


def _infusion_date(form: Any) -> Any:
    """The infusion date as typed (even on a save refused for another reason, or outside its
    window), else as saved."""
    typed = None
    if form.is_bound and "infusion_date" in form.fields:
        try:
            typed = form.fields["infusion_date"].to_python(form["infusion_date"].data)
        except ValidationError:
            typed = None
    return typed or getattr(form.instance, "infusion_date", None)


register(
    Crf(
        "IAHDOSE",
        IahDose,
        IahDoseForm,
        event_date_field="infusion_date",
        template="dosing/iah_form.html",
        context=iah_context,
        derivations=(Derivation(("net_administered_gbq",), iah_net_gbq, IAH_NET_INPUTS),),
        units={"net_administered_gbq": "GBq"},
    )
)


def causality_page(participant: Any, row: Any) -> dict[str, Any]:
    """What the causality page shows: the event as recorded, its relationships (those not due
    yet marked so), and the sentence the investigator signs."""
    event = AdverseEvent.objects.filter(form_status=row).first()
    due = selectors.causality_due(participant.dates)
    fields = [model_field(AdverseEvent, name) for name in selectors.CAUSALITY_ITEMS]
    return {
        "title": _("Causality of adverse event #%(number)s") % {"number": row.repeat},
        "event": event,
        "relationships": [
            {
                "name": field.name,
                "label": field.verbose_name,
                "value": getattr(event, f"get_{field.name}_display")() if event else "",
                "due": field.name in due,
            }
            for field in fields
        ],
        "meaning": with_official_english(actions.causality_meaning(event, row.repeat), event.term)
        if event
        else "",
    }


# An adverse event's causality: the investigator signs the relationships of one event (one
# signature per entry); a change of its term, onset or relationships breaks it.
register_decision(
    Decision(
        kind=selectors.CAUSALITY_KIND,
        label=_("Adverse event causality"),
        payload=selectors.causality_payload,
        roles=frozenset({roles.INVESTIGATOR}),
        covers=selectors.causality_covers,
        slot=(schedule.LOG_EVENT, "AE"),
        per_row=True,
        decide=actions.decide_causality,
        page=causality_page,
        template="dosing/_causality.html",
        command="sign_ae_causality",
        role_refusal=_("Only an investigator signs the causality of an adverse event."),
        signers=_("Only an investigator signs the causality of an adverse event."),
    )
)
