"""The imaging charts the casebook PDF shows (trial.registry "pdf_sections"): the same SVG
as the gate and dosimetry pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from imaging import charts, naming, pages, selectors
from imaging.models import Dosimetry
from trial import registry
from trial.pdf import Section


def gate_chart(participant: Any, rows: Any) -> list[Any]:
    summary = selectors.summary(participant)
    if not summary.lesions:
        return []
    chart = charts.ratio_chart([(lesion.label, lesion.ratio_max) for lesion in summary.lesions])
    return [Section(_("Enhancement ratios (IAH / IV SUVmax)"), chart)]


def time_activity_curves(participant: Any, rows: Any) -> list[Any]:
    dosimetry = Dosimetry.objects.filter(form_status__participant=participant).first()
    if dosimetry is None:
        return []
    infusion = registry.IAH_INFUSION.provider
    dose = registry.IAH_NET_ACTIVITY_MBQ.provider
    results = pages.dosimetry_results(
        list(dosimetry.points.all()),
        infusion(participant) if infusion else None,
        dose(participant) if dose else None,
        naming.volume_labels(participant),
    )
    curves = [r["chart"] for r in results.get("results", []) if r.get("chart")]
    if not curves:
        return []
    return [Section(_("Time-activity curves (SPECT/CT)"), "".join(curves))]
