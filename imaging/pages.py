"""What the imaging pages show: the gate page, the PET forms' side panel, the dosimetry
results and the study view. Each builder runs a fixed number of queries."""

from __future__ import annotations

import math
from typing import Any

from django import forms as django_forms
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from imaging import calculations as calc
from imaging import charts, naming, selectors
from imaging.actions import refusal
from imaging.models import VOLUMES, DosimetryPoint, GateDecision, Organ
from imaging.problems import calculation_problem
from trial import decay, registry
from trial.crf import model_field
from trial.models import FormStatus, Participant

DIFFERENCE_FLAG_PERCENT = 20  # the two TIA methods disagree: look at the curve


def gate_page(participant: Participant, row: FormStatus | None) -> dict[str, Any]:
    """What the gate decision's page shows (imaging/_gate.html): the ratios against the
    threshold, the IAH slots, the decision recorded, and why "proceed" is not possible."""
    summary = selectors.summary(participant)
    slots = selectors.iah_slots(participant)
    given_on = selectors.dose_given_on(participant)
    own = selectors.gate_of(participant)
    signed = selectors.signed_decisions(participant)
    refusals = {
        choice: refusal(choice, summary, slots.held_by_others, given_on) or ""
        for choice in GateDecision.values
    }
    current = signed[-1] if signed else None
    if own is not None and own.decision and current is not None and current.is_valid:
        # Signing the same decision again adds nothing; another one is a correction.
        refusals[own.decision] = refusals[own.decision] or _(
            "This is the decision signed; to change it, choose another and give the reason."
        )
    chart = charts.ratio_chart([(lesion.label, lesion.ratio_max) for lesion in summary.lesions])
    names = naming.lesion_names(participant)
    return {
        "summary": summary,
        # The table names each lesion with its segment (L2 (segment IV)).
        "lesion_rows": [
            (names.get(lesion.number, lesion.label), lesion) for lesion in summary.lesions
        ],
        "missing_text": selectors.missing_text(summary) if summary.missing else "",
        "chart": mark_safe(chart),  # noqa: S308 - built by charts.py, which escapes text
        "iah_slots": slots,
        "gate": own,
        "given_on": given_on,
        # The first decision signed (its date and signer) beside the later ones.
        "first_signed": signed[0] if signed else None,
        "later_signed": signed[1:],
        "refusals": refusals,
    }


def pet_context(participant: Participant, row: FormStatus, form: Any) -> dict:
    context: dict[str, Any] = {}
    instance = getattr(form, "instance", None)
    if instance is not None and instance.pk:
        context["net_injected"] = instance.net_injected_mbq
    if participant.forms.filter(form=selectors.GATE_FORM).exists():
        context["gate_url"] = reverse(
            "crf_edit", args=[participant.code, selectors.GATE_EVENT, selectors.GATE_FORM, 1]
        )
    return context


def _volume_label(name: str, names: dict[str, str]) -> str:
    """A volume as the grid names it: a lesion with its segment, an organ by name."""
    return capfirst(names.get(name) or str(model_field(DosimetryPoint, name).verbose_name))


def dosimetry_results(
    points: list[DosimetryPoint], infusion, administered, names: dict[str, str] | None = None
) -> dict[str, Any]:
    """Per volume: TIA by trapezoids + tail, residence time, the mono-exponential cross-check
    and the difference in %, with the curve drawn. `names`: the volumes' names for the
    participant (imaging.naming.volume_labels)."""
    names = names or {}
    results = []
    if infusion is None:
        return {"results": [], "dosi_note": _("The IAH infusion start is not entered yet.")}
    timed = [p for p in points if p.acquired_at is not None]
    for name in VOLUMES:
        pairs = [
            ((p.acquired_at - infusion).total_seconds() / 3600, float(getattr(p, name)))
            for p in timed
            if getattr(p, name) is not None
        ]
        result: dict[str, Any] = {"name": name, "label": _volume_label(name, names)}
        times = [t for t, _a in pairs]
        activities = [a for _t, a in pairs]
        try:
            tia = calc.time_integrated_activity(times, activities)
            result["tia"] = tia
            if administered:
                result["residence"] = calc.residence_time(times, activities, float(administered))
        except ValueError as error:
            result["error"] = calculation_problem(error)
            results.append(result)
            continue
        lambda_phys = decay.decay_constant(decay.LU177_HALF_LIFE_H)
        lam = lambda_phys
        if activities[-1] > 0 and activities[-2] > activities[-1]:
            lam = max(
                math.log(activities[-2] / activities[-1]) / (times[-1] - times[-2]), lambda_phys
            )
        mono = None
        try:
            mono = calc.fit_mono_exponential(times, activities)
            result["mono_tia"] = calc.mono_exponential_tia(times, activities)
            result["difference"] = calc.percent_difference(tia, result["mono_tia"])
            result["flag"] = abs(result["difference"]) > DIFFERENCE_FLAG_PERCENT
        except ValueError as error:
            result["mono_error"] = calculation_problem(error)
        result["chart"] = mark_safe(  # noqa: S308 - built by charts.py, which escapes text
            charts.time_activity_chart(
                times, activities, tail_lambda=lam, mono=mono, title=str(result["label"])
            )
        )
        results.append(result)
    return {"results": results, "administered": administered}


def dosimetry_context(participant: Participant, row: FormStatus, form: Any) -> dict:
    instance = getattr(form, "instance", None)
    stored = getattr(form, "stored_rows", {}).get("time_points")
    if stored is not None:  # read by the form already
        points = stored
    else:
        points = list(instance.points.all()) if instance is not None and instance.pk else []
    dose = registry.IAH_DOSE.provider
    infusion, administered = dose(participant) if dose else (None, None)
    names = getattr(form, "volume_names", None)  # read by the form already
    if names is None:
        names = naming.volume_labels(participant)
    return dosimetry_results(points, infusion, administered, names)


def is_form(value: Any) -> bool:
    return isinstance(value, django_forms.BaseForm)


def study_page(participants: Any) -> dict[str, Any]:
    """Two queries whatever the number of participants (`participants`: the user's queryset).
    The table is built here in one pass, since a template loop over hundreds of rows costs
    more than the queries."""
    detail = reverse("participant_detail", args=["CODE"])
    cannot = f'<span class="text-muted small">{escape(_("cannot be computed"))}</span>'
    met_tone, unmet_tone = "text-success", "text-danger"
    text = selectors.ratio_text  # the reader's number format
    lines, points = [], []
    for code, row in selectors.study_rows(participants):
        if row.patient_ratio is None:
            ratio = cannot
        else:
            points.append((code, row.patient_ratio))
            tone = met_tone if row.met else unmet_tone
            ratio = f'<span class="{tone} fw-semibold">{text(row.patient_ratio)}</span>'
        organs = "".join(f"<td>{'—' if r is None else text(r)}</td>" for r in row.organ_ratios)
        safe = escape(code)
        url = escape(detail.replace("CODE", code))
        lines.append(
            f'<tr data-participant="{safe}"><th scope="row"><a href="{url}">{safe}</a></th>'
            f"<td>{ratio}</td>{organs}</tr>"
        )
    return {
        "table_rows": mark_safe("\n".join(lines)),  # noqa: S308 - text escaped, numbers formatted
        "organ_labels": [str(label) for label in Organ.labels],
        "chart": mark_safe(  # noqa: S308 - built by charts.py, which escapes text
            charts.dot_plot(points)
        ),
        "ratios": len(points),
        "iah_slots": selectors.iah_slots(),
        "threshold": calc.ENHANCEMENT_GATE_THRESHOLD,
        "expected": selectors.EXPECTED_RATIO,
    }
