"""The follow-up chart the casebook PDF shows (trial.registry "pdf_sections"): the sum of
diameters over time, the same SVG as the participant's RECIST page."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from followup import selectors
from followup.views import sum_chart
from trial.pdf import Section


def recist_sums(participant: Any, rows: Any) -> list[Any]:
    chart = sum_chart(selectors.participant_recist(participant))
    return [Section(_("RECIST 1.1: sum of diameters"), chart)] if chart else []
