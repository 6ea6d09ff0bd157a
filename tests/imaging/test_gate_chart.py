"""Issue 21: the gate chart is legible: its threshold label stands in the right margin, clear of
the bars and of the edge, whatever the ratios, and the chart scales to its card."""

from __future__ import annotations

import re

import pytest

from imaging import charts


def _label(svg: str) -> tuple[float, float, str]:
    found = re.search(r'<text x="([\d.]+)" y="([\d.]+)"[^>]*data-threshold-label="3">([^<]*)<', svg)
    assert found, svg
    return float(found.group(1)), float(found.group(2)), found.group(3)


@pytest.mark.parametrize(
    "ratios",
    [
        [("L1", 4.0), ("L2", 3.5), ("L3", 4.02), ("L4", 4.57), ("L5", 4.25)],
        [("L1", 3.0), ("L2", 2.99), ("L3", 3.01), ("L4", 2.5), ("L5", None)],
        [("L1", 25.0), ("L2", 0.5), ("L3", 3.0), ("L4", 1.0), ("L5", 12.0)],
    ],
)
def test_the_threshold_label_stands_in_the_right_margin(ratios):
    svg = charts.ratio_chart(ratios)
    x, y, text = _label(svg)
    plot_right = charts.GATE_WIDTH - charts.GATE_RIGHT
    bars = [
        float(a) + float(w)
        for a, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    ]
    assert all(right < plot_right for right in bars)
    assert plot_right < x and x + 8 * len(text) < charts.GATE_WIDTH  # "threshold 3" fits
    assert charts.GATE_TOP <= y <= charts.GATE_HEIGHT - charts.GATE_BOTTOM + 4
    assert text == "threshold 3"
    assert 'class="chart-wide"' in svg and 'font-size="13"' in svg
    assert 'viewBox="0 0 640 300"' in svg
