"""Server-rendered SVG figures: the same markup goes into the pages and the PDFs.

Pure functions of numbers and labels returning an SVG string; text is escaped. The default
titles are translated into the active language.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from html import escape

from django.utils.translation import gettext as _

from trial.calculations import meets, shown_against
from trial.languages import decimal_separator
from trial.languages import shown_number as _n

WIDTH, HEIGHT = 480, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 20, 36
BLUE, ORANGE, GREY, RED = "#0d6efd", "#fd7e14", "#6c757d", "#dc3545"


def _svg(
    body: list[str],
    title: str,
    width: int = WIDTH,
    height: int = HEIGHT,
    font_size: int = 11,
    css: str = "",
) -> str:
    css_class = f' class="{css}"' if css else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg"{css_class} viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        f'font-family="sans-serif" font-size="{font_size}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * step:
            return factor * step
    return 10 * step


def _y_axis(top: float, scale, ticks: int = 5) -> list[str]:
    out = [f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>']
    for i in range(ticks + 1):
        value = top * i / ticks
        y = scale(value)
        out.append(f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{LEFT}" y2="{y:.1f}" stroke="#333"/>')
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_n(value, "g")}</text>'
        )
    return out


# The gate chart: wider margins, so that the threshold's label stands in the right margin,
# never on a bar or at the edge; the page scales it to its card (static/edc.css .chart-wide).
GATE_WIDTH, GATE_HEIGHT = 640, 300
GATE_LEFT, GATE_RIGHT, GATE_TOP, GATE_BOTTOM = 44, 96, 24, 40


def ratio_chart(
    ratios: Sequence[tuple[str, float | None]],
    threshold: float = 3.0,
    title: str | None = None,
) -> str:
    """Bars of each lesion's SUVmax ratio (IAH / IV) against a dashed threshold line; a missing
    ratio is drawn as an empty slot marked "?". The title defaults to the translated
    "Enhancement ratio per index lesion"."""
    title = title or _("Enhancement ratio per index lesion")
    width, height = GATE_WIDTH, GATE_HEIGHT
    left, right, top_margin, bottom = GATE_LEFT, GATE_RIGHT, GATE_TOP, GATE_BOTTOM
    known = [r for _label, r in ratios if r is not None]
    top = _nice_top(max([threshold * 1.2, *known]))
    plot_h = height - top_margin - bottom

    def y(value: float) -> float:
        return height - bottom - plot_h * min(value, top) / top

    axis = height - bottom
    body = [f'<line x1="{left}" y1="{top_margin}" x2="{left}" y2="{axis}" stroke="#333"/>']
    for i in range(6):
        value = top * i / 5
        ty = y(value)
        body.append(
            f'<line x1="{left - 4}" y1="{ty:.1f}" x2="{left}" y2="{ty:.1f}" stroke="#333"/>'
        )
        body.append(
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end">{_n(value, "g")}</text>'
        )
    body.append(
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" '
        f'y2="{height - bottom}" stroke="#333"/>'
    )
    slot = (width - left - right) / max(len(ratios), 1)
    for index, (label, ratio) in enumerate(ratios):
        x = left + slot * index + slot * 0.2
        w = slot * 0.6
        cx = x + w / 2
        if ratio is None:
            body.append(
                f'<text x="{cx:.1f}" y="{height - bottom - 6}" text-anchor="middle" '
                f'fill="{RED}" data-missing="{escape(label)}">?</text>'
            )
        else:
            colour = BLUE if meets(ratio, ">=", threshold) else GREY
            shown = shown_against(ratio, ">=", threshold, 2)
            body.append(
                f'<rect x="{x:.1f}" y="{y(ratio):.1f}" width="{w:.1f}" '
                f'height="{height - bottom - y(ratio):.1f}" fill="{colour}" '
                f'data-lesion="{escape(label)}" data-ratio="{shown}"/>'
            )
            body.append(
                f'<text x="{cx:.1f}" y="{max(y(ratio) - 5, top_margin - 8):.1f}" '
                f'text-anchor="middle" font-weight="bold">{_n(shown)}</text>'
            )
        body.append(
            f'<text x="{cx:.1f}" y="{height - bottom + 18}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    ty = y(threshold)
    body.append(
        f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="{RED}" '
        f'stroke-dasharray="6 4" stroke-width="2" data-threshold="{threshold:g}"/>'
    )
    # In the right margin, level with the line: nothing else is drawn there.
    label = _("threshold %(value)s") % {"value": _n(threshold, "g")}
    body.append(
        f'<text x="{width - right + 6}" y="{ty + 4:.1f}" fill="{RED}" font-weight="bold" '
        f'data-threshold-label="{threshold:g}">{escape(label)}</text>'
    )
    return _svg(body, title, width, height, font_size=13, css="chart-wide")


def dot_plot(
    points: Sequence[tuple[str, float]],
    lines: Sequence[tuple[float, str, str]] = ((3.0, RED, "3"), (3.75, GREY, "3.75")),
    title: str | None = None,
) -> str:
    """One dot per participant along a vertical ratio axis, with dashed reference lines."""
    title = title or _("Patient enhancement ratio")
    values = [v for _label, v in points]
    top = _nice_top(max([line[0] * 1.2 for line in lines] + values))
    width = max(WIDTH, LEFT + RIGHT + 14 * len(points))
    plot_h = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return HEIGHT - BOTTOM - plot_h * min(value, top) / top

    body = _y_axis(top, y)
    slot = (width - LEFT - RIGHT) / max(len(points), 1)
    gate = lines[0][0] if lines else 3.0
    separator = decimal_separator()  # read once for the hundreds of dots
    for index, (label, value) in enumerate(points):
        cx = LEFT + slot * (index + 0.5)
        # Read against the gate's line: never a rounding that crosses it (2.997, not 3.00).
        shown_value = shown_against(value, ">=", gate, 2)
        body.append(
            f'<circle cx="{cx:.1f}" cy="{y(value):.1f}" r="4" fill="{BLUE}" '
            f'data-participant="{escape(label)}" data-ratio="{shown_value}">'
            f"<title>{escape(label)}: {_n(shown_value, separator=separator)}</title></circle>"
        )
    for value, colour, text in lines:
        ly = y(value)
        # A line labelled with its own value reads it in the reader's language (3,75).
        shown = _n(value, "g") if text == f"{value:g}" else text
        body.append(
            f'<line x1="{LEFT}" y1="{ly:.1f}" x2="{width - RIGHT}" y2="{ly:.1f}" '
            f'stroke="{colour}" stroke-dasharray="6 4"/>'
        )
        body.append(
            f'<text x="{width - RIGHT}" y="{ly - 4:.1f}" text-anchor="end" '
            f'fill="{colour}">{escape(shown)}</text>'
        )
    return _svg(body, title, width=width)


def time_activity_chart(
    times_h: Sequence[float],
    activities: Sequence[float],
    tail_lambda: float | None = None,
    mono: tuple[float, float] | None = None,
    title: str | None = None,
    band: tuple[float, float, float] | None = None,
) -> str:
    """Points, the trapezoids from A(0) = 0, the exponential tail after the last point, and
    the fitted mono-exponential A0·e^(-λt) (dashed) with its ±1 SD band: `band` is the fit's
    (var b0, var b1, cov b0 b1), ln A(t) having the variance var b0 + t² var b1 + 2t cov.

    A pure function of its numbers: the dosimetry page draws the same curves each time it is
    shown, so the drawings are kept (keyed by every argument)."""
    return _time_activity_chart(
        tuple(times_h),
        tuple(activities),
        tail_lambda,
        None if mono is None else tuple(mono),
        title or _("Time-activity curve"),
        # The texts are arguments, so a drawing kept in one language is not shown in another.
        _("no data"),
        None if band is None else tuple(band),
    )


@functools.lru_cache(maxsize=512)
def _time_activity_chart(
    times_h: tuple[float, ...],
    activities: tuple[float, ...],
    tail_lambda: float | None,
    mono: tuple[float, ...] | None,
    title: str,
    empty_text: str = "no data",
    band: tuple[float, ...] | None = None,
) -> str:
    if not times_h:
        return _svg([f'<text x="20" y="30">{escape(empty_text)}</text>'], title)
    t_end = max(times_h) * 1.5
    top = _nice_top(max([*activities, mono[0] if mono else 0]) * 1.1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + plot_w * t / t_end

    def y(a: float) -> float:
        return HEIGHT - BOTTOM - plot_h * min(a, top) / top

    body = _y_axis(top, y)
    body.append(
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#333"/>'
    )
    for t in range(0, int(t_end) + 1, 24 if t_end > 48 else 4):
        body.append(
            f'<text x="{x(t):.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{t}</text>'
        )
    body.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 4}" text-anchor="end">h</text>')
    polygon = [(0.0, 0.0), *zip(times_h, activities, strict=True), (times_h[-1], 0.0)]
    pts = " ".join(f"{x(t):.1f},{y(a):.1f}" for t, a in polygon)
    body.append(
        f'<polygon points="{pts}" fill="{BLUE}" fill-opacity="0.15" '
        f'stroke="{BLUE}" data-part="trapezoids"/>'
    )
    if tail_lambda:
        t0, a0 = times_h[-1], activities[-1]
        steps = [t0 + (t_end - t0) * i / 20 for i in range(21)]
        tail = " ".join(
            f"{x(t):.1f},{y(a0 * math.exp(-tail_lambda * (t - t0))):.1f}" for t in steps
        )
        body.append(
            f'<polyline points="{tail}" fill="none" stroke="{BLUE}" '
            f'stroke-dasharray="2 3" data-part="tail"/>'
        )
    if mono and band:
        a0, lam = mono
        var_b0, var_b1, cov = band
        steps = [t_end * i / 40 for i in range(41)]

        def spread(t: float) -> float:
            return math.sqrt(max(var_b0 + t * t * var_b1 + 2 * t * cov, 0.0))

        upper = [f"{x(t):.1f},{y(a0 * math.exp(-lam * t + spread(t))):.1f}" for t in steps]
        lower = [f"{x(t):.1f},{y(a0 * math.exp(-lam * t - spread(t))):.1f}" for t in steps]
        body.append(
            f'<polygon points="{" ".join(upper + lower[::-1])}" fill="{ORANGE}" '
            f'fill-opacity="0.2" stroke="none" data-part="band"/>'
        )
    if mono:
        a0, lam = mono
        steps = [t_end * i / 40 for i in range(41)]
        curve = " ".join(f"{x(t):.1f},{y(a0 * math.exp(-lam * t)):.1f}" for t in steps)
        body.append(
            f'<polyline points="{curve}" fill="none" stroke="{ORANGE}" '
            f'stroke-dasharray="6 4" data-part="mono"/>'
        )
    for time_h, activity in zip(times_h, activities, strict=True):
        body.append(f'<circle cx="{x(time_h):.1f}" cy="{y(activity):.1f}" r="3.5" fill="{BLUE}"/>')
    return _svg(body, title)
