"""Inline SVG charts of the oversight page and the DSMB report (no JavaScript, no CDN, no
inline style: the CSP refuses those; colours are presentation attributes).

Each function takes plain numbers and returns an SVG string the template marks safe; every
text is escaped here and translated like the pages. The same SVG goes into the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from html import escape

from django.utils import formats
from django.utils.translation import gettext as _

from trial.languages import shown_number as _n

STATUS_COLOURS = {"green": "#1a7f37", "amber": "#bf8700", "red": "#cf222e", "none": "#8c959f"}
RESPONSE_COLOURS = {
    "CR": "#1a7f37",
    "PR": "#2f81f7",
    "SD": "#9a6700",
    "PD": "#cf222e",
    "NE": "#6e7781",
}


def _svg(width: int, height: int, title: str, body: list[str], *, css: str = "chart") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        f'font-family="sans-serif" font-size="11" class="{css}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _step(span: float, count: int = 5) -> float:
    raw = max(span, 1e-9) / count
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def sparkline(
    trend: Sequence[tuple[date, float | None]], limits: tuple[float, float], title: str
) -> str:
    """A month-by-month trend, 12 small bars coloured by the limits; a month with nothing
    observed is a grey tick."""
    width, height, gap = 120, 28, 2
    values = [v for _m, v in trend if v is not None]
    top = max([*values, limits[1], 1e-9]) * 1.1
    bar = (width - gap * (len(trend) - 1)) / max(len(trend), 1)
    body = []
    for i, (month, value) in enumerate(trend):
        x = round(i * (bar + gap), 1)
        shown = "—" if value is None else _n(round(value, 2), "g")
        label = f"{formats.date_format(month, 'YEAR_MONTH_FORMAT')}: {shown}"
        if value is None:
            body.append(
                f'<rect x="{x}" y="{height - 1}" width="{round(bar, 1)}" height="1" '
                f'fill="#d0d7de"><title>{escape(label)}</title></rect>'
            )
            continue
        h = max(1.0, round(value / top * (height - 2), 1))
        colour = STATUS_COLOURS[_status(value, limits)]
        body.append(
            f'<rect x="{x}" y="{round(height - h, 1)}" width="{round(bar, 1)}" height="{h}" '
            f'fill="{colour}"><title>{escape(label)}</title></rect>'
        )
    amber_y = round(height - min(limits[0] / top, 1) * (height - 2), 1)
    body.append(
        f'<line x1="0" y1="{amber_y}" x2="{width}" y2="{amber_y}" stroke="#bf8700" '
        'stroke-dasharray="2 2" stroke-width="0.8"/>'
    )
    return _svg(width, height, title, body, css="sparkline")


def _status(value: float, limits: tuple[float, float]) -> str:
    value = round(value, 9)
    return "red" if value > limits[1] else "amber" if value > limits[0] else "green"


def funnel(steps: Sequence[tuple[str, int]]) -> str:
    """Horizontal bars, one per step of the screening funnel, each with its count and its
    share of the first."""
    width, row, left = 640, 26, 170
    height = row * len(steps) + 10
    first = max((count for _l, count in steps[:1]), default=0) or 1
    body = []
    for i, (label, count) in enumerate(steps):
        y = 5 + i * row
        w = round((width - left - 90) * count / first, 1)
        share = _n(round(100 * count / first), "g")
        body.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" fill="#333">'
            f"{escape(label)}</text>"
            f'<rect x="{left}" y="{y + 3}" width="{max(w, 1)}" height="{row - 8}" fill="#2f81f7"/>'
            f'<text x="{left + max(w, 1) + 6}" y="{y + 16}" fill="#333">{count} ({share} %)</text>'
        )
    return _svg(width, height, _("Screening funnel"), body)


def ratio_histogram(values: Sequence[float], threshold: float) -> str:
    """The patient enhancement ratios in bins of 0.5, the gate threshold drawn."""
    width, height, left, bottom, top_m = 640, 220, 40, 34, 12
    high = max(max(values), threshold) + 0.5 if values else threshold + 1.5
    bins = max(1, math.ceil(high / 0.5))
    counts = [0] * bins
    for v in values:
        counts[min(int(v / 0.5), bins - 1)] += 1
    peak = max([*counts, 1])
    plot_w, plot_h = width - left - 10, height - bottom - top_m
    bw = plot_w / bins
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        'stroke="#333"/>'
    ]
    step = max(1, math.ceil(peak / 5))
    for t in range(0, peak + 1, step):
        y = round(height - bottom - t / peak * plot_h, 1)
        body.append(
            f'<line x1="{left}" y1="{y}" x2="{width - 10}" y2="{y}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" fill="#555">{t}</text>'
        )
    for i, count in enumerate(counts):
        x = round(left + i * bw, 1)
        low = i * 0.5
        colour = "#1a7f37" if low >= threshold else "#8c959f"
        h = round(count / peak * plot_h, 1)
        label = f"{_n(low, '.1f')}–{_n(low + 0.5, '.1f')}: {count}"
        body.append(
            f'<rect x="{x + 1}" y="{round(height - bottom - h, 1)}" width="{round(bw - 2, 1)}" '
            f'height="{h}" fill="{colour}"><title>{escape(label)}</title></rect>'
        )
        if i % 2 == 0:
            body.append(
                f'<text x="{x}" y="{height - bottom + 14}" text-anchor="middle" '
                f'fill="#555">{_n(low, "g")}</text>'
            )
    tx = round(left + threshold / 0.5 * bw, 1)
    gate = _("gate %(threshold)s") % {"threshold": _n(threshold, ".1f")}
    axis = _("Patient enhancement ratio (IAH / IV SUVmax)")
    body.append(
        f'<line x1="{tx}" y1="{top_m}" x2="{tx}" y2="{height - bottom}" stroke="#cf222e" '
        f'stroke-width="2" stroke-dasharray="6 3"/>'
        f'<text x="{tx + 4}" y="{top_m + 10}" fill="#cf222e">{escape(gate)}</text>'
        f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle" fill="#333">'
        f"{escape(axis)}</text>"
    )
    return _svg(width, height, _("Distribution of the patient enhancement ratios"), body)


def waterfall(bars: Sequence[tuple[str, float, str]]) -> str:
    """Best % change of the sum of diameters from baseline, one bar per participant, sorted,
    coloured by best overall response; the -30 % and +20 % lines drawn."""
    width, height, left, bottom, top_m = 640, 240, 44, 20, 12
    low = min([-100.0, *[p for _c, p, _r in bars]])
    high = max([40.0, *[p for _c, p, _r in bars]])
    plot_h = height - bottom - top_m

    def y(value: float) -> float:
        return round(top_m + (high - value) / (high - low) * plot_h, 1)

    body = []
    step = _step(high - low)
    tick = math.ceil(low / step) * step
    while tick <= high:
        body.append(
            f'<line x1="{left}" y1="{y(tick)}" x2="{width - 10}" y2="{y(tick)}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4}" text-anchor="end" fill="#555">'
            f"{_n(tick, 'g')}</text>"
        )
        tick += step
    # A bar no wider than 40 units, so that a handful of participants reads as bars.
    bw = min((width - left - 10) / max(len(bars), 1), 40)
    for i, (code, pct, response) in enumerate(bars):
        x = round(left + i * bw, 1)
        top, bottom_y = (y(pct), y(0)) if pct >= 0 else (y(0), y(pct))
        label = f"{code}: {_n(pct, '+.1f')} % ({response})"
        body.append(
            f'<rect x="{x + 0.5}" y="{top}" width="{max(round(bw - 1, 1), 0.5)}" '
            f'height="{max(round(bottom_y - top, 1), 0.5)}" '
            f'fill="{RESPONSE_COLOURS.get(response, "#6e7781")}">'
            f"<title>{escape(label)}</title></rect>"
        )
    for value, colour in ((20, "#cf222e"), (-30, "#2f81f7")):
        body.append(
            f'<line x1="{left}" y1="{y(value)}" x2="{width - 10}" y2="{y(value)}" '
            f'stroke="{colour}" stroke-dasharray="5 3"/>'
            f'<text x="{width - 12}" y="{y(value) - 3}" text-anchor="end" fill="{colour}">'
            f"{_n(value, '+g')} %</text>"
        )
    body.append(f'<line x1="{left}" y1="{y(0)}" x2="{width - 10}" y2="{y(0)}" stroke="#333"/>')
    legend_x = left + 4
    for response, colour in RESPONSE_COLOURS.items():
        body.append(
            f'<rect x="{legend_x}" y="{height - 12}" width="9" height="9" fill="{colour}"/>'
            f'<text x="{legend_x + 12}" y="{height - 4}" fill="#333">{response}</text>'
        )
        legend_x += 44
    return _svg(width, height, _("Waterfall: best change of the sum of diameters (%)"), body)


def kaplan_meier(
    steps: Sequence[tuple[float, float]],
    censored: Sequence[tuple[float, float]],
    median: float | None,
    x_label: str,
) -> str:
    """The survival step curve with its censoring ticks and the median drawn."""
    width, height, left, bottom, top_m, right = 640, 260, 44, 36, 12, 16
    last = max([18.0, *[t for t, _s in steps], *[t for t, _s in censored]])
    plot_w, plot_h = width - left - right, height - bottom - top_m

    def x(t: float) -> float:
        return round(left + t / last * plot_w, 1)

    def y(s: float) -> float:
        return round(top_m + (1 - s) * plot_h, 1)

    body = []
    for s in (0, 0.25, 0.5, 0.75, 1):
        body.append(
            f'<line x1="{left}" y1="{y(s)}" x2="{width - right}" y2="{y(s)}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y(s) + 4}" text-anchor="end" fill="#555">'
            f"{_n(s, 'g')}</text>"
        )
    step = _step(last, 6)
    t = 0.0
    while t <= last + 1e-9:
        body.append(
            f'<text x="{x(t)}" y="{height - bottom + 14}" text-anchor="middle" fill="#555">'
            f"{_n(t, 'g')}</text>"
        )
        t += step
    path = [f"M{x(0)},{y(1)}"]
    for t, s in steps[1:]:
        path.append(f"H{x(t)}V{y(s)}")
    path.append(f"H{x(last)}")
    body.append(f'<path d="{"".join(path)}" fill="none" stroke="#2f81f7" stroke-width="2"/>')
    for t, s in censored:
        body.append(
            f'<line x1="{x(t)}" y1="{y(s) - 5}" x2="{x(t)}" y2="{y(s) + 5}" stroke="#2f81f7"/>'
        )
    body.append(
        f'<line x1="{left}" y1="{y(0.5)}" x2="{width - right}" y2="{y(0.5)}" stroke="#8c959f" '
        'stroke-dasharray="4 3"/>'
    )
    if median is not None:
        body.append(
            f'<line x1="{x(median)}" y1="{y(0.5)}" x2="{x(median)}" y2="{y(0)}" '
            'stroke="#cf222e" stroke-dasharray="4 3"/>'
        )
    body.append(
        f'<line x1="{left}" y1="{y(0)}" x2="{width - right}" y2="{y(0)}" stroke="#333"/>'
        f'<line x1="{left}" y1="{top_m}" x2="{left}" y2="{y(0)}" stroke="#333"/>'
        f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle" fill="#333">'
        f"{escape(x_label)}</text>"
    )
    return _svg(width, height, _("Progression-free survival (Kaplan-Meier)"), body)
