"""Server-rendered SVG charts of RECIST 1.1 follow-up (no JavaScript, no CDN).

Each function takes plain numbers and returns an SVG string; the views mark it safe. Every text
is escaped here, and translated (gettext) like the pages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from django.utils.translation import gettext as _

from followup.models import response_text
from trial.languages import shown_number as _n

WIDTH, HEIGHT = 720, 340
# The right margin holds the reference lines' labels, clear of the data.
LEFT, RIGHT, TOP, BOTTOM = 56, 128, 30, 40
RESPONSE_COLOURS = {
    "CR": "#1a7f37",
    "PR": "#2f81f7",
    "SD": "#9a6700",
    "PD": "#cf222e",
    "NE": "#6e7781",
}
PD_LINE_PCT = 20  # +20 % (progression, from the nadir)
PR_LINE_PCT = -30  # -30 % (partial response, from baseline)
# Assessment markers on the spider lines while they stay readable (and the page light).
SPIDER_MARKERS_UP_TO = 40


class _Scale:
    def __init__(self, low: float, high: float, out_low: float, out_high: float) -> None:
        if high <= low:
            high = low + 1
        self.low, self.high, self.out_low, self.out_high = low, high, out_low, out_high

    def __call__(self, value: float) -> float:
        ratio = (value - self.low) / (self.high - self.low)
        return round(self.out_low + ratio * (self.out_high - self.out_low), 1)


def _step(span: float, count: int = 5) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `count` ticks."""
    raw = max(span, 1e-9) / count
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = _step(high - low, count)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + 1e-9:
        ticks.append(round(value, 6))
        value += step
    return ticks


def _nice_high(high: float) -> float:
    step = _step(high)
    return math.ceil(high / step) * step


def _frame(title: str, body: list[str], x_label: str, y_label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-label="{escape(title)}" font-family="sans-serif" '
        f'font-size="12"><title>{escape(title)}</title>'
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>'
        + "".join(body)
        + f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle" '
        f'fill="#333">{escape(x_label)}</text>'
        f'<text x="14" y="{(TOP + HEIGHT - BOTTOM) / 2}" text-anchor="middle" fill="#333" '
        f'transform="rotate(-90 14 {(TOP + HEIGHT - BOTTOM) / 2})">{escape(y_label)}</text>'
        "</svg>"
    )


def _axes(xs: _Scale, ys: _Scale, x_ticks: list[float], y_ticks: list[float]) -> list[str]:
    parts = [
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
    ]
    for t in y_ticks:
        y = ys(t)
        parts.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#eee"/>'
            f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" fill="#555">{_n(t, "g")}</text>'
        )
    for t in x_ticks:
        x = xs(t)
        parts.append(
            f'<text x="{x}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'fill="#555">{_n(t, "g")}</text>'
        )
    return parts


def _hline(
    xs: _Scale,
    y: float,
    colour: str,
    label: str,
    dash: str = "6 4",
    detail: str = "",
    label_y: float | None = None,
) -> str:
    """A reference line across the plot, labelled in the right margin (two lines at most);
    label_y moves the label off a neighbour's."""
    text = f'<tspan x="{WIDTH - RIGHT + 6}" dy="0">{escape(label)}</tspan>'
    if detail:
        text += f'<tspan x="{WIDTH - RIGHT + 6}" dy="14">{escape(detail)}</tspan>'
    at = y if label_y is None else label_y
    return (
        f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="{colour}" '
        f'stroke-dasharray="{dash}" stroke-width="1.5"/>'
        f'<text y="{at + (-2 if detail else 4)}" fill="{colour}">{text}</text>'
    )


LABEL_GAP = 34  # px between two-line labels in the margin


def _spread(ys: list[float]) -> list[float]:
    """Label positions near `ys` (in the given order) at least LABEL_GAP apart, top down."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = list(ys)
    for previous, current in zip(order, order[1:], strict=False):
        placed[current] = max(placed[current], placed[previous] + LABEL_GAP)
    return placed


def sum_of_diameters_chart(
    points: Sequence[tuple[float, float, str, str]],
    baseline_mm: float,
    nadir_mm: float,
) -> str:
    """Sum of diameters (mm) over days since the follow-up anchor: one point per assessment
    (day, sum, label, overall response), the baseline at day 0, with the baseline, the nadir
    and the progression threshold (nadir + 20 %, at least + 5 mm) drawn."""
    threshold = max(nadir_mm * 1.2, nadir_mm + 5)
    days = [p[0] for p in points]
    high = _nice_high(max([baseline_mm, threshold, *(p[1] for p in points)]) * 1.15)
    right = _nice_high(max([30.0, *days]) * 1.08)
    xs = _Scale(0, right, LEFT, WIDTH - RIGHT)
    ys = _Scale(0, high, HEIGHT - BOTTOM, TOP)
    body = _axes(xs, ys, _ticks(0, right), _ticks(0, high))
    lines = [
        (baseline_mm, "#2f81f7", _("baseline"), "6 4", f"{_n(baseline_mm, 'g')} mm"),
        (threshold, "#cf222e", _("PD threshold"), "8 3", f"{_n(threshold, '.1f')} mm (+20 %)"),
        (nadir_mm, "#1a7f37", _("nadir"), "2 3", f"{_n(nadir_mm, 'g')} mm"),
    ]
    label_ys = _spread([ys(value) for value, *_rest in lines])
    for (value, colour, label, dash, detail), label_y in zip(lines, label_ys, strict=True):
        body.append(_hline(xs, ys(value), colour, label, dash, detail=detail, label_y=label_y))
    coords = [(xs(0), ys(baseline_mm))] + [(xs(d), ys(s)) for d, s, _l, _r in points]
    path = " ".join(f"{x},{y}" for x, y in coords)
    body.append(f'<polyline points="{path}" fill="none" stroke="#24292f" stroke-width="2"/>')
    body.append(f'<circle cx="{xs(0)}" cy="{ys(baseline_mm)}" r="4" fill="#2f81f7"/>')
    for day, total, label, response in points:
        colour = RESPONSE_COLOURS.get(response, "#24292f")
        body.append(
            f'<circle cx="{xs(day)}" cy="{ys(total)}" r="5" fill="{colour}" '
            f'data-point="{escape(label)}"/>'
            f'<text x="{xs(day)}" y="{ys(total) - 9}" text-anchor="middle" fill="{colour}" '
            f'font-weight="bold">{escape(label)} {_n(total, "g")} · '
            f"{escape(response_text(response))}</text>"
        )
    return _frame(
        _("Sum of target lesion diameters"), body, _("days since follow-up anchor"), _("sum (mm)")
    )


def spider_plot(series: Sequence[tuple[str, str, Sequence[tuple[float, float]]]]) -> str:
    """% change of the sum from baseline over days since the anchor: one line per participant
    (label, best overall response, [(day, % change)]), each starting at (0, 0)."""
    values = [pct for _l, _r, pts in series for _d, pct in pts]
    days = [d for _l, _r, pts in series for d, _p in pts]
    low = min([-100.0, *values])
    high = _nice_high(max([40.0, *values]) + 10)
    right = _nice_high(max([90.0, *days]) * 1.05)
    xs = _Scale(0, right, LEFT, WIDTH - RIGHT)
    ys = _Scale(low, high, HEIGHT - BOTTOM, TOP)
    body = _axes(xs, ys, _ticks(0, right), _ticks(low, high))
    body.append(_hline(xs, ys(0), "#333", "0 %", "1 0"))
    body.append(_hline(xs, ys(PD_LINE_PCT), "#cf222e", "+20 %"))
    body.append(_hline(xs, ys(PR_LINE_PCT), "#2f81f7", "-30 %"))
    for label, response, pts in series:
        colour = RESPONSE_COLOURS.get(response, "#6e7781")
        coords = " ".join(f"{xs(d)},{ys(p)}" for d, p in [(0.0, 0.0), *pts])
        body.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.5" '
            f'opacity="0.8" data-participant="{escape(label)}"><title>{escape(label)} '
            f"({escape(response_text(response))})</title></polyline>"
        )
        if len(series) <= SPIDER_MARKERS_UP_TO:
            body.extend(
                f'<circle cx="{xs(d)}" cy="{ys(p)}" r="2.5" fill="{colour}"/>' for d, p in pts
            )
    body.append(_legend())
    return _frame(
        _("Spider plot: change of the sum of diameters from baseline"),
        body,
        _("days since follow-up anchor"),
        _("change from baseline (%)"),
    )


def waterfall(bars: Sequence[tuple[str, float, str]]) -> str:
    """Best % change of the sum from baseline, one bar per participant (label, % change, best
    overall response), largest increase on the left."""
    ordered = sorted(bars, key=lambda bar: -bar[1])
    values = [b[1] for b in ordered]
    low = min([-100.0, *values])
    high = _nice_high(max([40.0, *values]) + 10)
    ys = _Scale(low, high, HEIGHT - BOTTOM, TOP)
    xs = _Scale(0, max(len(ordered), 1), LEFT, WIDTH - RIGHT)
    body = _axes(xs, ys, [], _ticks(low, high))
    width = max((WIDTH - LEFT - RIGHT) / max(len(ordered), 1) - 1, 0.5)
    zero = ys(0)
    for index, (label, pct, response) in enumerate(ordered):
        y = ys(pct)
        top, height = (y, zero - y) if pct >= 0 else (zero, y - zero)
        colour = RESPONSE_COLOURS.get(response, "#6e7781")
        body.append(
            f'<rect x="{xs(index)}" y="{top}" width="{width:.1f}" height="{max(height, 0.5):.1f}" '
            f'fill="{colour}" data-participant="{escape(label)}"><title>{escape(label)}: '
            f"{_n(pct, '+.1f')} % ({escape(response_text(response))})</title></rect>"
        )
    body.append(_hline(xs, ys(PD_LINE_PCT), "#cf222e", "+20 %"))
    body.append(_hline(xs, ys(PR_LINE_PCT), "#2f81f7", "-30 %"))
    body.append(_hline(xs, zero, "#333", "", "1 0"))
    body.append(_legend())
    return _frame(
        _("Waterfall: best change of the sum of diameters from baseline"),
        body,
        _("participants"),
        _("best change from baseline (%)"),
    )


def _legend() -> str:
    parts = []
    for index, (response, colour) in enumerate(RESPONSE_COLOURS.items()):
        x = LEFT + 10 + index * 52
        parts.append(
            f'<rect x="{x}" y="{TOP - 22}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{TOP - 13}" fill="#333">'
            f"{escape(response_text(response))}</text>"
        )
    return "".join(parts)
