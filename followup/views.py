"""RECIST pages: one participant's assessments with the sum-of-diameters chart, and the
study's spider plot and waterfall. Each runs a fixed number of queries (tests pin them)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from followup import charts, selectors
from trial import selectors as trial_selectors


def _sum_chart(recist: selectors.ParticipantRecist) -> str | None:
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
    recist = selectors.participant_recist(participant)
    chart = _sum_chart(recist)
    return render(
        request,
        "followup/participant_recist.html",
        {
            "participant": participant,
            "recist": recist,
            "chart": mark_safe(chart) if chart else None,  # noqa: S308 - built and escaped in charts
        },
    )


def _study(request) -> list[selectors.ParticipantRecist]:
    participants = list(trial_selectors.participants_for(request.user).order_by("code"))
    return selectors.study_recist(participants)


@require_GET
def spider(request) -> HttpResponse:
    found = _study(request)
    series = [
        (
            r.participant.code,
            r.best.response,
            [
                (float(a.day), float(a.data.change_baseline_pct))
                for a in r.assessments
                if a.day is not None and a.data.change_baseline_pct is not None
            ],
        )
        for r in found
    ]
    svg = charts.spider_plot(series)
    return render(
        request,
        "followup/study_chart.html",
        {"title": "spider", "chart": mark_safe(svg), "rows": found},  # noqa: S308
    )


@require_GET
def waterfall(request) -> HttpResponse:
    found = _study(request)
    bars = [
        (r.participant.code, r.best_pct, r.best.response) for r in found if r.best_pct is not None
    ]
    svg = charts.waterfall(bars)
    return render(
        request,
        "followup/study_chart.html",
        {"title": "waterfall", "chart": mark_safe(svg), "rows": found},  # noqa: S308
    )
