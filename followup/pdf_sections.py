"""The follow-up sections the casebook PDF shows (trial.registry "pdf_sections"): the sum of
diameters over time, the same SVG as the participant's RECIST page, and the target lesions
marked split, merged or not evaluable at each assessment (what the sum is made of)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from followup import selectors
from followup.views import sum_chart
from trial.pdf import Section


def recist_sums(participant: Any, rows: Any) -> list[Any]:
    recist = selectors.with_lesion_states(selectors.participant_recist(participant))
    sections = []
    chart = sum_chart(recist)
    if chart:
        sections.append(Section(_("RECIST 1.1: sum of diameters"), chart))
    marked = [a for a in recist.assessments if a.lesions]
    if marked:
        table = render_to_string("followup/_lesion_states.html", {"assessments": marked})
        sections.append(Section(_("RECIST 1.1: lesions split, merged or not evaluable"), table))
    return sections
