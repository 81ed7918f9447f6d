"""One assessment as SVG: the SAMR heatmap, the readiness radar and the gap bars."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.safestring import SafeString

from assessments import scoring
from assessments.charts.palette import (
    EMPTY_COLOUR,
    GAP_COLOUR,
    GAP_TINT,
    GRID,
    INK,
    IT_COLOUR,
    LEVEL_COLOURS,
    LEVEL_NAMES,
    MUTED,
    OT_COLOUR,
)
from assessments.charts.rows import READINESS_MAX, DimensionRow, ProcessRow, climb_order
from assessments.charts.svg.draw import Canvas, block_height, legend, wrap


def samr_heatmap(
    processes: Sequence[ProcessRow], level_names: Sequence[str] = LEVEL_NAMES, *, width=680
) -> SafeString:
    """Processes (rows) by SAMR level (columns): levels reached in their colour, the climb to
    the target in amber; a dot on the current level and a ring on the target. Long names
    wrap, and their row grows to hold them."""
    label_w = 210
    cell_w = (width - label_w) / len(scoring.LEVELS)
    heads = [
        wrap(f"{level} {name}", cell_w - 4, 9.5)
        for level, name in zip(scoring.LEVELS, level_names, strict=True)
    ]
    head_h = max(30, block_height(max(len(h) for h in heads), 9.5) + 10)
    labels = [wrap(p.name, label_w - 12, 10) for p in processes]
    heights = [max(26, block_height(len(lines), 10) + 8) for lines in labels]
    height = head_h + sum(heights) + 34
    c = Canvas(width, height, "SAMR level of each process, current and target")
    for level, lines in zip(scoring.LEVELS, heads, strict=True):
        x = label_w + cell_w * level + cell_w / 2
        c.lines(x, head_h / 2, lines, size=9.5, anchor="middle")
    y = head_h
    for p, lines, row_h in zip(processes, labels, heights, strict=True):
        c.lines(label_w - 8, y + row_h / 2, lines, anchor="end")
        for level in scoring.LEVELS:
            x = label_w + cell_w * level
            if level <= p.current:
                fill = LEVEL_COLOURS[level]
            elif p.target is not None and level <= p.target:
                fill = GAP_TINT
            else:
                fill = EMPTY_COLOUR
            c.rect(x + 1.5, y + 1.5, cell_w - 3, row_h - 3, fill, rx=3)
        cy = y + row_h / 2
        if p.target is not None:
            c.circle(
                label_w + cell_w * (p.target + 0.5), cy, 8.5, "none", stroke=GAP_COLOUR, width=2
            )
        c.circle(label_w + cell_w * (p.current + 0.5), cy, 5, "#ffffff", stroke=INK, width=2)
        y += row_h
    y = height - 12
    legend(c, label_w, y, [("Reached", LEVEL_COLOURS[2]), ("Still to climb", GAP_TINT)])
    x = label_w + 190
    c.circle(x + 5, y - 3, 5, "#ffffff", stroke=INK, width=2)
    c.text(x + 14, y + 1, "Current level", size=9, fill=MUTED)
    c.circle(x + 105, y - 3, 6.5, "none", stroke=GAP_COLOUR, width=2)
    c.text(x + 116, y + 1, "Target level", size=9, fill=MUTED)
    return c.svg()


def readiness_radar(dimensions: Sequence[DimensionRow], *, size=420) -> SafeString:
    """IT and OT readiness (0-4) over the dimensions in scope, one closed shape per side."""
    rows = [d for d in dimensions if d.in_scope]
    width, height = size + 160, size
    cx, cy, radius = width / 2, height / 2 + 8, size / 2 - 46
    c = Canvas(width, height, "IT and OT readiness per dimension, 0 to 4")
    n = max(len(rows), 1)

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n  # clockwise from the top, like the page
        r = radius * value / READINESS_MAX
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    for ring in range(1, READINESS_MAX + 1):
        c.polygon([point(i, ring) for i in range(n)], "none", stroke=GRID, width=1)
    for i, d in enumerate(rows):
        c.line(cx, cy, *point(i, READINESS_MAX), GRID)
        lx, ly = point(i, READINESS_MAX + 0.35)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        # wrapped, and growing away from the chart at its top and bottom
        valign = "middle" if abs(ly - cy) < radius * 0.5 else ("top" if ly > cy else "bottom")
        c.lines(lx, ly, wrap(d.name, 150, 9.5), size=9.5, anchor=anchor, valign=valign)
    for ring in range(READINESS_MAX + 1):
        # the scale between the first two spokes, so it never sits on a data point
        x, y = point(0.5, ring)
        c.text(x + 3, y + 3, str(ring), size=8, fill=MUTED)
    for side, colour in (("it", IT_COLOUR), ("ot", OT_COLOUR)):
        points = [
            point(i, getattr(d, side)) for i, d in enumerate(rows) if getattr(d, side) is not None
        ]
        if len(points) >= 3:
            c.polygon(points, colour, stroke=colour, width=2, opacity=0.14)
        elif len(points) == 2:
            c.polyline(points, colour, width=2)
        for x, y in points:
            c.circle(x, y, 3, colour)
    legend(c, 8, 16, [("IT", IT_COLOUR), ("OT", OT_COLOUR)])
    return c.svg()


def gap_bars(processes: Sequence[ProcessRow], *, width=680) -> SafeString:
    """Levels each process still has to climb to its target (0 to 4), the most valuable
    process first; a bar's thickness is the process's business value (1 to 5)."""
    rows = climb_order(processes)
    label_w, top, size = 210, 8, 10
    plot_w = width - label_w - 130
    labels = [wrap(p.name, label_w - 12, size) for p in rows]
    heights = [max(24, block_height(len(lines), size) + 8) for lines in labels]
    bottom = top + sum(heights)
    height = bottom + 34
    c = Canvas(width, height, "Levels to climb to the target per process, by business value")
    top_level = scoring.LEVELS[-1]
    for level in scoring.LEVELS:
        x = label_w + plot_w * level / top_level
        c.line(x, top, x, bottom, GRID)
        c.text(x, bottom + 12, str(level), size=8.5, fill=MUTED, anchor="middle")
    c.text(
        label_w + plot_w / 2,
        bottom + 26,
        "Levels to climb to the target",
        size=9,
        fill=MUTED,
        anchor="middle",
    )
    y = top
    for p, lines, row_h in zip(rows, labels, heights, strict=True):
        mid = y + row_h / 2
        c.lines(label_w - 8, mid, lines, size=size, anchor="end")
        bar, thickness = plot_w * p.gap / top_level, 4 + 3 * min(max(p.business_value, 1), 5)
        c.rect(label_w, mid - thickness / 2, bar, thickness, GAP_COLOUR, rx=2)
        note = f"{p.climb_text} · value {p.business_value}"
        c.text(label_w + bar + 5, mid + 3.5, note, size=9, fill=INK if p.gap else MUTED)
        y += row_h
    return c.svg()
