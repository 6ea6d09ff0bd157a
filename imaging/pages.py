"""What the imaging pages show: the gate page, the PET forms' side panel, the dosimetry
results and the study view. Each builder runs a fixed number of queries."""

from __future__ import annotations

import html
from typing import Any

from django import forms as django_forms
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from imaging import calculations as calc
from imaging import charts, dosimetry, naming, selectors
from imaging.actions import refusal
from imaging.models import DosimetryPoint, GateDecision, Organ
from imaging.problems import calculation_problem
from trial import registry
from trial.calculations import meets
from trial.crf import model_field
from trial.languages import decimal_separator, shown_number
from trial.models import FormStatus, Participant


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


def _shown(value: float | None, spec: str) -> str:
    return "" if value is None else shown_number(value, spec)


def _against(value: float | None, threshold: float, decimals: int) -> str:
    """A value compared with a threshold, with the decimals that agree with the decision."""
    if value is None:
        return ""
    return shown_number(value, f".{dosimetry.decimals_against(value, threshold, decimals)}f")


def _signed_against(value: float | None, threshold: float, decimals: int) -> str:
    """A difference whose size is compared with a threshold, with its sign."""
    if value is None:
        return ""
    size = _against(abs(value), threshold, decimals)
    return f"-{size}" if value < 0 else f"+{size}"


def _method_row(region: dosimetry.RegionDosimetry, key: str) -> dict[str, Any]:
    method = region.methods[key]
    limit = selectors.kidney_limit_gy()
    row: dict[str, Any] = {
        "key": key,
        "tia": _shown(method.tia, ".2f"),
        "tia_value": method.tia,
        "problem": calculation_problem(method.problem) if method.problem else "",
        "dose": _against(method.dose_gy, limit, 2)
        if region.kidney
        else _shown(method.dose_gy, ".2f"),
        "dose_value": method.dose_gy,
        "per_gbq": _shown(method.gy_per_gbq, ".3f"),
        "above_limit": method.above_kidney_limit,
        "difference": _signed_against(method.difference, dosimetry.METHODS_DIFFER_PERCENT, 1),
        "differs": method.difference is not None
        and meets(abs(method.difference), ">", dosimetry.METHODS_DIFFER_PERCENT),
    }
    return row


def region_rows(
    regions: list[dosimetry.RegionDosimetry], names: dict[str, str]
) -> list[dict[str, Any]]:
    """What the dosimetry table shows per volume of interest: the numbers in the reader's
    format, the flags, and the time-activity curve with the fit and its ±1 SD band."""
    rows = []
    for region in regions:
        label = _volume_label(region.name, names)
        fit = region.fit
        row: dict[str, Any] = {
            "name": region.name,
            "label": label,
            "region": region,
            "methods": [_method_row(region, key) for key in dosimetry.METHODS],
            "residence": _shown(region.residence_h, ".6f"),
            "uncertainty": _against(
                None if region.uncertainty is None else region.uncertainty * 100,
                dosimetry.UNCERTAINTY_FLAG * 100,
                1,
            ),
            "single_time": _shown(region.single_time_h, ".0f"),
            "volume": _shown(region.volume_ml, "g"),
            "density": _shown(region.density_g_ml, ".2f"),
            "density_entered": region.density_entered,
            "dose_problem": calculation_problem(region.dose_problem) if region.dose_problem else "",
            "flags": {
                "uncertainty": region.uncertainty_flag,
                "methods": region.methods_flag,
                "kidney": region.kidney_flag,
            },
            "flagged": region.flagged,
        }
        if region.times_h:
            band = None
            if fit is not None and not fit.fixed and fit.var_b0 is not None:
                assert fit.var_b1 is not None and fit.cov_b0_b1 is not None  # set together
                band = (fit.var_b0, fit.var_b1, fit.cov_b0_b1)
            row["chart"] = mark_safe(  # noqa: S308 - built by charts.py, which escapes text
                charts.time_activity_chart(
                    region.times_h,
                    region.activities,
                    tail_lambda=region.tail_lambda,
                    mono=None if fit is None else (fit.a0, fit.decay_per_h),
                    title=str(label),
                    band=band,
                )
            )
        rows.append(row)
    return rows


def dosimetry_results(
    data: selectors.DosimetryData, names: dict[str, str] | None = None
) -> dict[str, Any]:
    """The dosimetry results of the page and the PDF. `names`: the volumes' names for the
    participant (imaging.naming.volume_labels)."""
    names = names or {}
    if data.infusion is None:
        return {"results": [], "dosi_note": _("The IAH infusion start is not entered yet.")}
    administered = data.administered
    return {
        "results": region_rows(data.regions, names),
        "administered": administered,
        "administered_gbq": None
        if administered is None
        else shown_number(float(administered) / 1000, ".4f"),
        "kidney_limit": shown_number(selectors.kidney_limit_gy(), "g"),
        "uncertainty_limit": shown_number(dosimetry.UNCERTAINTY_FLAG * 100, "g"),
        "methods_limit": shown_number(dosimetry.METHODS_DIFFER_PERCENT, "g"),
        "review_url": reverse(
            "signature_sign", args=[data.participant_code, selectors.DOSIMETRY_KIND]
        )
        if data.participant_code
        else "",
    }


def dosimetry_context(participant: Participant, row: FormStatus, form: Any) -> dict:
    instance = getattr(form, "instance", None)
    stored = getattr(form, "stored_rows", {})
    saved = instance if instance is not None and instance.pk else None
    points = stored.get("time_points")
    if points is None:  # read by the form already, else here
        points = list(saved.points.all()) if saved is not None else []
    volumes = stored.get("volumes")
    if volumes is None:
        volumes = list(saved.volumes.all()) if saved is not None else []
    dose = registry.IAH_DOSE.provider
    infusion, administered = dose(participant) if dose else (None, None)
    names = getattr(form, "volume_names", None)  # read by the form already
    if names is None:
        names = naming.volume_labels(participant)
    data = selectors.DosimetryData(
        row,
        selectors.point_values(points),
        selectors.volume_values(volumes),
        infusion,
        administered,
        participant.code,
    )
    return dosimetry_results(data, names)


def is_form(value: Any) -> bool:
    return isinstance(value, django_forms.BaseForm)


def study_page(participants: Any) -> dict[str, Any]:
    """Two queries whatever the number of participants (`participants`: the user's queryset).
    The table is built here in one pass, since a template loop over hundreds of rows costs
    more than the queries."""
    detail = reverse("participant_detail", args=["CODE"])
    cannot = f'<span class="text-muted small">{escape(_("cannot be computed"))}</span>'
    met_tone, unmet_tone = "text-success", "text-danger"
    separator = decimal_separator()  # the reader's number format, read once for the page

    def text(value: float) -> str:
        return selectors.ratio_text(value, separator)

    lines, points = [], []
    for code, row in selectors.study_rows(participants):
        if row.patient_ratio is None:
            ratio = cannot
        else:
            points.append((code, row.patient_ratio))
            tone = met_tone if row.met else unmet_tone
            ratio = f'<span class="{tone} fw-semibold">{text(row.patient_ratio)}</span>'
        organs = "".join(f"<td>{'—' if r is None else text(r)}</td>" for r in row.organ_ratios)
        # The standard library's escape: Django's wraps it for lazy text, at a cost per call
        # that counts over hundreds of rows.
        safe = html.escape(code)
        url = html.escape(detail.replace("CODE", code))
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


def dosimetry_review_page(participant: Participant, row: FormStatus | None) -> dict[str, Any]:
    """What the physicist's review page shows (imaging/_dosimetry_review.html): the results
    table and curves as on the dosimetry page, and why it cannot be signed yet."""
    data = selectors.dosimetry_data(participant)
    results = dosimetry_results(data, naming.volume_labels(participant))
    refused = selectors.dosimetry_refusal(data)
    flagged = sum(1 for r in results.get("results", []) if r["flagged"])
    return {
        **results,
        "review_url": "",
        "flagged_count": flagged,
        "refused": refused or "",
        "meaning": "" if refused else selectors.dosimetry_meaning(data),
        "form_url": reverse(
            "crf_edit",
            args=[participant.code, selectors.DOSIMETRY_EVENT, selectors.DOSIMETRY_FORM, 1],
        ),
    }
