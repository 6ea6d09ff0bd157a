"""The DSMB report as a PDF (WeasyPrint): the indicators, endpoints and safety tables of the
oversight page, as of a data cut-off, with the same inline SVG charts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from oversight import report
from trial.languages import shown_date

Progress = Callable[[int, str], None]


def _quiet(percent: int, step: str) -> None:
    return None


def html(scope: report.Scope, cutoff: date) -> str:
    """The report's HTML, data as of the cut-off (included)."""
    context = report.context(scope, cutoff, cutoff=True)
    now = timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE))
    return render_to_string(
        "pdf/dsmb.html",
        {
            **context,
            "trial": settings.TRIAL_NUMBER,
            "cutoff_text": shown_date(cutoff),
            "generated_at": now,
            "LANGUAGE_CODE": translation.get_language() or settings.LANGUAGE_CODE,
        },
    )


def render(scope: report.Scope, cutoff: date, progress: Progress = _quiet) -> tuple[bytes, int]:
    """The PDF's bytes and its page count."""
    progress(10, "data")
    text = html(scope, cutoff)
    progress(50, "layout")
    # WeasyPrint loads Pango and its fonts (about half a second): only where a PDF is made.
    from weasyprint import HTML

    document = HTML(string=text, base_url=str(settings.BASE_DIR)).render()
    progress(90, "pdf")
    return document.write_pdf(), len(document.pages)
