"""Two assessments compared as SVG: grouped bars of SAMR levels and of IT and OT readiness."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString

from assessments.charts.palette import GRID, MUTED
from assessments.charts.rows import (
    READINESS_MAX,
    ChangeSeries,
    Comparison,
    dimension_series,
    level_ticks,
    process_series,
)
from assessments.charts.svg.draw import Canvas, block_height, wrap
from assessments.scoring import format_figure

# A bar series: a name, one value per category, a colour and its opacity.
Series = ChangeSeries


def grouped_bars(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    places: int = 2,
    axis_title: str,
    axis_max: int = READINESS_MAX,
    tick_text: Sequence[str] | None = None,
    width=680,
) -> SafeString:
    """Horizontal bars, one group per category, one bar per series; each bar says its value,
    so a 0 reads as 0 and a missing value (no bar) as a dash."""
    label_w, bar_h, pad = 200, 9, 8
    names = [wrap(s.name, width / 2 - 24, 9) for s in series]
    legend_rows = [max(len(n) for n in names[i : i + 2]) for i in range(0, len(names), 2)]
    top = 24 + sum(block_height(n, 9) + 3 for n in legend_rows)
    plot_w = width - label_w - 50
    labels = [wrap(category, label_w - 12, 10) for category in categories]
    heights = [max(bar_h * len(series), block_height(len(lines), 10)) + pad for lines in labels]
    bottom = top + sum(heights)
    ticks = [tick_text[t] if tick_text else str(t) for t in range(axis_max + 1)]
    tick_lines = [wrap(text, plot_w / (axis_max + 1), 8.5) for text in ticks]
    tick_h = block_height(max(len(t) for t in tick_lines), 8.5)
    height = bottom + tick_h + 26
    c = Canvas(width, height, axis_title)
    y = 6
    for row, n in enumerate(legend_rows):
        for i in (2 * row, 2 * row + 1):
            if i < len(series):
                x = 0 if i % 2 == 0 else width / 2
                c.rect(x + 4, y + 1, 10, 10, series[i].colour, rx=2, opacity=series[i].opacity)
                c.lines(x + 18, y, names[i], size=9, fill=MUTED, valign="top")
        y += block_height(n, 9) + 3
    for tick, lines in enumerate(tick_lines):
        x = label_w + plot_w * tick / (axis_max + 0.25)
        c.line(x, top, x, bottom, GRID)
        c.lines(x, bottom + 3, lines, size=8.5, fill=MUTED, anchor="middle", valign="top")
    c.text(
        label_w + plot_w / 2, bottom + tick_h + 17, axis_title, size=9, fill=MUTED, anchor="middle"
    )
    y0 = top
    for g, (lines, group_h) in enumerate(zip(labels, heights, strict=True)):
        c.lines(label_w - 8, y0 + group_h / 2, lines, anchor="end")
        bars_top = y0 + (group_h - bar_h * len(series)) / 2
        for i, s in enumerate(series):
            value = s.values[g]
            y = bars_top + bar_h * i
            length = 0 if value is None else plot_w * value / (axis_max + 0.25)
            c.rect(label_w, y + 0.5, length, bar_h - 1, s.colour, opacity=s.opacity)
            c.text(
                label_w + length + 4,
                y + bar_h - 1.5,
                format_figure(value, places),
                size=7.5,
                fill=MUTED,
            )
        y0 += group_h
    return c.svg()


def process_comparison(result: Comparison) -> SafeString:
    """SAMR level per process, before and after."""
    return grouped_bars(
        [r.name for r in result.processes],
        process_series(result),
        places=0,
        axis_title="SAMR level",
        tick_text=level_ticks(result),
    )


def dimension_comparison(result: Comparison) -> SafeString:
    """IT and OT readiness per dimension, before (pale) and after."""
    return grouped_bars(
        [d.name for d in result.dimensions],
        dimension_series(result),
        places=2,
        axis_title="Readiness (0 to 4)",
    )
