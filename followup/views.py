"""RECIST pages: one participant's assessments with the sum-of-diameters chart, and the
study's spider plot and waterfall. Each runs a fixed number of queries (tests pin them)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from followup import charts, selectors
from followup.models import response_text
from trial import selectors as trial_selectors


def sum_chart(recist: selectors.ParticipantRecist) -> str | None:
    if recist.baseline_sum is None or recist.nadir is None:
        return None
    points = [
        (float(a.day), float(a.data.sum_mm), a.event, a.data.overall_response or "NE")
        for a in recist.assessments
        if a.day is not None and a.data.sum_mm is not None
    ]
    return charts.sum_of_diameters_chart(points, recist.baseline_sum, recist.nadir)


@require_GET
def participant_recist(request, code: str) -> HttpResponse:
    participant = trial_selectors.participant_or_404(request.user, code)
    timezone.activate(participant.site.time_zone)
    recist = selectors.with_lesion_states(selectors.participant_recist(participant))
    chart = sum_chart(recist)
    return render(
        request,
        "followup/participant_recist.html",
        {
            "participant": participant,
            "recist": recist,
            "chart": mark_safe(chart) if chart else None,  # noqa: S308 - built and escaped in charts
        },
    )


def _study(request) -> tuple[list[selectors.StudyRow], str]:
    rows = selectors.study_rows(trial_selectors.participants_for(request.user))
    # One reverse for every row's link.
    link = reverse("followup:participant_recist", args=["CODE"])
    return rows, link


def _study_page(request, title: str, svg: str, rows: list, link: str) -> HttpResponse:
    # Hundreds of rows: joined here (escaped) rather than by the template engine, 10x faster.
    table = format_html_join(
        "\n",
        '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{} %</td><td>{}</td></tr>',
        (
            (
                link.replace("CODE", row.code),
                row.code,
                row.assessments,
                row.best_pct_text,
                response_text(row.best),
            )
            for row in rows
        ),
    )
    return render(
        request,
        "followup/study_chart.html",
        {"title": title, "chart": mark_safe(svg), "rows": table},  # noqa: S308 - escaped in charts
    )


@require_GET
def spider(request) -> HttpResponse:
    rows, link = _study(request)
    svg = charts.spider_plot([(row.code, row.best, row.points) for row in rows])
    return _study_page(request, "spider", svg, rows, link)


@require_GET
def waterfall(request) -> HttpResponse:
    rows, link = _study(request)
    bars = [(row.code, row.best_pct, row.best) for row in rows if row.best_pct is not None]
    return _study_page(request, "waterfall", charts.waterfall(bars), rows, link)
