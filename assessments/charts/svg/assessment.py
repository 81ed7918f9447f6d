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
from assessments.charts.rows import READINESS_MAX, DimensionRow, ProcessRow
from assessments.charts.svg.draw import Canvas, fit, legend


def samr_heatmap(
    processes: Sequence[ProcessRow], level_names: Sequence[str] = LEVEL_NAMES, *, width=680
) -> SafeString:
    """Processes (rows) by SAMR level (columns): levels reached in their colour, the climb to
    the target in amber; a dot on the current level and a ring on the target."""
    label_w, row_h, head_h = 210, 26, 30
    cell_w = (width - label_w) / len(scoring.LEVELS)
    height = head_h + row_h * len(processes) + 34
    c = Canvas(width, height, "SAMR level of each process, current and target")
    for level, name in zip(scoring.LEVELS, level_names, strict=True):
        x = label_w + cell_w * level + cell_w / 2
        c.text(x, 18, fit(f"{level} {name}", cell_w - 4, 9.5), size=9.5, anchor="middle")
    for i, p in enumerate(processes):
        y = head_h + row_h * i
        c.text(label_w - 8, y + row_h / 2 + 3.5, fit(p.name, label_w - 12, 10), anchor="end")
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
        c.text(lx, ly + 3.5, fit(d.name, 150, 9.5), size=9.5, anchor=anchor)
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
    """Gap weight per process, largest first (ties: higher business value, then name)."""
    rows = sorted(processes, key=lambda p: (-p.gap_weight, -p.business_value, p.name))
    label_w, row_h, top = 210, 22, 8
    weights = [scoring.gap_weight(current=0, target=g) for g in scoring.LEVELS]
    top_weight = weights[-1] + 1
    plot_w = width - label_w - 80
    height = top + row_h * len(rows) + 34
    c = Canvas(width, height, "Gap weight per process")
    bottom = top + row_h * len(rows)
    for w in weights:
        x = label_w + plot_w * w / top_weight
        c.line(x, top, x, bottom, GRID)
        c.text(x, bottom + 12, str(w), size=8.5, fill=MUTED, anchor="middle")
    c.text(
        label_w + plot_w / 2,
        bottom + 26,
        "Gap weight (1 + gap)² − 1",
        size=9,
        fill=MUTED,
        anchor="middle",
    )
    for i, p in enumerate(rows):
        y = top + row_h * i
        c.text(label_w - 8, y + row_h / 2 + 3.5, fit(p.name, label_w - 12, 10), anchor="end")
        bar = plot_w * p.gap_weight / top_weight
        c.rect(label_w, y + 4, bar, row_h - 8, GAP_COLOUR, rx=2)
        if p.target is None:
            note = "no target"
        elif p.gap == 0:
            note = "on target"
        else:
            note = f"{p.current} → {p.target}"
        c.text(
            label_w + bar + 5,
            y + row_h / 2 + 3.5,
            note,
            size=9,
            fill=INK if p.gap_weight else MUTED,
        )
    return c.svg()
