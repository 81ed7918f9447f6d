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
from assessments.charts.svg.draw import Canvas, fit
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
    group_h = bar_h * len(series) + pad
    top = 24 + 14 * ((len(series) + 1) // 2)
    plot_w = width - label_w - 50
    bottom = top + group_h * len(categories)
    height = bottom + 34
    c = Canvas(width, height, axis_title)
    for i, s in enumerate(series):
        x, y = (0 if i % 2 == 0 else width / 2), 12 + 14 * (i // 2)
        c.rect(x + 4, y - 8, 10, 10, s.colour, rx=2, opacity=s.opacity)
        c.text(x + 18, y + 1, fit(s.name, width / 2 - 24, 9), size=9, fill=MUTED)
    for tick in range(axis_max + 1):
        x = label_w + plot_w * tick / (axis_max + 0.25)
        c.line(x, top, x, bottom, GRID)
        text = tick_text[tick] if tick_text else str(tick)
        c.text(
            x,
            bottom + 12,
            fit(text, plot_w / (axis_max + 1), 8.5),
            size=8.5,
            fill=MUTED,
            anchor="middle",
        )
    c.text(label_w + plot_w / 2, bottom + 27, axis_title, size=9, fill=MUTED, anchor="middle")
    for g, category in enumerate(categories):
        y0 = top + group_h * g + pad / 2
        c.text(
            label_w - 8,
            y0 + bar_h * len(series) / 2 + 3.5,
            fit(category, label_w - 12, 10),
            anchor="end",
        )
        for i, s in enumerate(series):
            value = s.values[g]
            y = y0 + bar_h * i
            length = 0 if value is None else plot_w * value / (axis_max + 0.25)
            c.rect(label_w, y + 0.5, length, bar_h - 1, s.colour, opacity=s.opacity)
            c.text(
                label_w + length + 4,
                y + bar_h - 1.5,
                format_figure(value, places),
                size=7.5,
                fill=MUTED,
            )
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
