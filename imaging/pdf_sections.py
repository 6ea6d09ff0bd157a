"""The imaging charts the casebook PDF shows (trial.registry "pdf_sections"): the same SVG
as the gate and dosimetry pages."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from imaging import charts, naming, pages, selectors
from trial.pdf import Section


def gate_chart(participant: Any, rows: Any) -> list[Any]:
    summary = selectors.summary(participant)
    if not summary.lesions:
        return []
    chart = charts.ratio_chart([(lesion.label, lesion.ratio_max) for lesion in summary.lesions])
    return [Section(_("Enhancement ratios (IAH / IV SUVmax)"), chart)]


def time_activity_curves(participant: Any, rows: Any) -> list[Any]:
    """The dosimetry's results table (three methods, doses, flags) and its curves."""
    data = selectors.dosimetry_data(participant)
    if data.row is None:
        return []
    results = pages.dosimetry_results(data, naming.volume_labels(participant))
    if not results.get("results"):
        return []
    # The PDF has no links: the review's signature is in the casebook's signatures.
    table = render_to_string("imaging/_dosimetry_table.html", {**results, "review_url": ""})
    curves = "".join(r["chart"] for r in results["results"] if r.get("chart"))
    return [
        Section(_("Dosimetry: time-integrated activity and absorbed dose"), table),
        Section(_("Time-activity curves (SPECT/CT)"), curves),
    ]
