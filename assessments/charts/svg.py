"""Vector charts for the PDF: the page's rows and palette drawn as inline SVG, without a browser.

Hand-built markup rather than matplotlib: a chart here is a few dozen shapes, written in well
under a millisecond, where matplotlib's SVG backend takes ~40 ms per chart and adds a large
dependency (bench/report.py measures ours; docs/BENCHMARKS.md has the numbers). Every chart
takes the same plain rows as the Plotly figures (`assessments.charts.rows`) and returns a
`SafeString`; every text in it is escaped. Sizes are CSS pixels; the PDF scales them to fit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.safestring import SafeString, mark_safe

from assessments import scoring
from assessments.charts.palette import (
    AFTER_COLOUR,
    BEFORE_COLOUR,
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
from assessments.charts.rows import READINESS_MAX, Comparison, DimensionRow, ProcessRow
from assessments.scoring import format_figure

# The PDF's font: DejaVu Sans is on every Debian machine WeasyPrint runs on; the rest are
# fallbacks. Charts measure text with DejaVu's average advance (~0.55 em).
FONT = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"
CHAR_WIDTH = 0.55
STATUS_COLOURS = {
    "planned": "#a9b4c2",
    "in_progress": IT_COLOUR,
    "blocked": "#b42318",
    "done": "#1e7a46",
}
STATUS_NAMES = {
    "planned": "Planned",
    "in_progress": "In progress",
    "blocked": "Blocked",
    "done": "Done",
}


def _esc(text) -> str:
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _n(x: float) -> str:
    """A coordinate with at most one decimal: small files, no float noise."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def fit(text: str, width: float, size: float) -> str:
    """`text` cut with an ellipsis so it fits `width` pixels at font size `size`."""
    limit = max(int(width / (size * CHAR_WIDTH)), 4)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class Canvas:
    """An SVG document being written: shapes in, markup out."""

    def __init__(self, width: float, height: float, label: str):
        self.width, self.height, self.label = width, height, label
        self.parts: list[str] = []

    def rect(self, x, y, w, h, fill, *, stroke=None, rx=0, opacity=None) -> None:
        extra = f' stroke="{stroke}"' if stroke else ""
        extra += f' rx="{_n(rx)}"' if rx else ""
        extra += f' fill-opacity="{opacity}"' if opacity is not None else ""
        self.parts.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(max(h, 0))}"'
            f' fill="{fill}"{extra}/>'
        )

    def line(self, x1, y1, x2, y2, stroke, *, width=1, dash=None) -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}"'
            f' stroke-width="{_n(width)}"{extra}/>'
        )

    def circle(self, cx, cy, r, fill, *, stroke=None, width=1) -> None:
        extra = f' stroke="{stroke}" stroke-width="{_n(width)}"' if stroke else ""
        self.parts.append(f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" fill="{fill}"{extra}/>')

    def polygon(self, points, fill, *, stroke, width=1, opacity=1.0) -> None:
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(
            f'<polygon points="{coords}" fill="{fill}" fill-opacity="{opacity}"'
            f' stroke="{stroke}" stroke-width="{_n(width)}" stroke-linejoin="round"/>'
        )

    def polyline(self, points, stroke, *, width=1) -> None:
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{stroke}"'
            f' stroke-width="{_n(width)}" stroke-linejoin="round" stroke-linecap="round"/>'
        )

    def text(self, x, y, text, *, size=10, fill=INK, anchor="start", weight=None) -> None:
        extra = f' font-weight="{weight}"' if weight else ""
        extra += f' text-anchor="{anchor}"' if anchor != "start" else ""
        self.parts.append(
            f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" fill="{fill}"{extra}>'
            f"{_esc(text)}</text>"
        )

    def svg(self) -> SafeString:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(self.width)}"'
            f' height="{_n(self.height)}" viewBox="0 0 {_n(self.width)} {_n(self.height)}"'
            f' role="img" aria-label="{_esc(self.label)}" font-family="{FONT}">'
        )
        return mark_safe(head + "".join(self.parts) + "</svg>")  # every text escaped above


def _legend(canvas: Canvas, x: float, y: float, items: Sequence[tuple[str, str]]) -> None:
    """A row of colour swatches with names, from (x, y)."""
    for name, colour in items:
        canvas.rect(x, y - 8, 10, 10, colour, rx=2)
        canvas.text(x + 14, y + 1, name, size=9, fill=MUTED)
        x += 26 + len(name) * 9 * CHAR_WIDTH


# --- One assessment ---------------------------------------------------------------------------


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
    _legend(c, label_w, y, [("Reached", LEVEL_COLOURS[2]), ("Still to climb", GAP_TINT)])
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
    _legend(c, 8, 16, [("IT", IT_COLOUR), ("OT", OT_COLOUR)])
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


# --- Two assessments compared ----------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    colour: str
    opacity: float = 1.0


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
    rows = result.processes
    return grouped_bars(
        [r.name for r in rows],
        [
            Series(result.before_label, [r.before for r in rows], BEFORE_COLOUR),
            Series(result.after_label, [r.after for r in rows], AFTER_COLOUR),
        ],
        places=0,
        axis_title="SAMR level",
        tick_text=[f"{lv} {name}" for lv, name in enumerate(result.level_names)],
    )


def dimension_comparison(result: Comparison) -> SafeString:
    """IT and OT readiness per dimension, before (pale) and after."""
    rows = result.dimensions
    series = []
    for side, colour in (("it", IT_COLOUR), ("ot", OT_COLOUR)):
        changes = [getattr(d, side) for d in rows]
        series += [
            Series(
                f"{side.upper()} · {result.before_label}",
                [x.before for x in changes],
                colour,
                opacity=0.35,
            ),
            Series(f"{side.upper()} · {result.after_label}", [x.after for x in changes], colour),
        ]
    return grouped_bars([d.name for d in rows], series, places=2, axis_title="Readiness (0 to 4)")


# --- Telemetry and roadmap -------------------------------------------------------------------


def sparkline(
    values: Sequence[float | None], *, width=150, height=30, colour=IT_COLOUR
) -> SafeString:
    """A small line of `values` scaled to their own range; None breaks the line (an outage)."""
    c = Canvas(width, height, "Recent values")
    known = [v for v in values if v is not None]
    if not known:
        c.line(2, height / 2, width - 2, height / 2, GRID, dash="3 3")
        return c.svg()
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = (width - 6) / max(len(values) - 1, 1)
    runs, run = [], []
    for i, v in enumerate(values):
        if v is None:
            if run:
                runs.append(run)
            run = []
            continue
        run.append((3 + step * i, height - 3 - (height - 6) * (v - low) / span))
    if run:
        runs.append(run)
    for points in runs:
        if len(points) == 1:
            c.circle(*points[0], 1.2, colour)
        else:
            c.polyline(points, colour, width=1.3)
    c.circle(*runs[-1][-1], 2.2, colour)
    return c.svg()


@dataclass(frozen=True)
class TimelineRow:
    label: str
    start: date
    end: date
    status: str
    overdue: bool = False


@dataclass(frozen=True)
class TimelinePhase:
    name: str
    start: date
    end: date
    projected: str  # the projected SAMR index once the phase is done, as shown


def timeline(
    rows: Sequence[TimelineRow], phases: Sequence[TimelinePhase], today: date, *, width=680
) -> SafeString:
    """The roadmap over time: one band per phase with its projected SAMR index, one bar per
    milestone from its phase's start to its due date, coloured by status."""
    label_w, row_h, head_h = 220, 17, 38
    start = min([p.start for p in phases] + [r.start for r in rows])
    end = max([p.end for p in phases] + [r.end for r in rows])
    days = max((end - start).days + 1, 1)
    plot_w = width - label_w - 10
    bottom = head_h + row_h * len(rows) + 4
    height = bottom + 40

    def x_of(day: date) -> float:
        return label_w + plot_w * (day - start).days / days

    c = Canvas(width, height, "Roadmap timeline with the projected SAMR index per phase")
    for i, phase in enumerate(phases):
        x0, x1 = x_of(phase.start), x_of(phase.end) + plot_w / days
        c.rect(x0, 0, x1 - x0, bottom, "#f4f6f9" if i % 2 == 0 else "#ffffff")
        c.text(x0 + 4, 12, phase.name, size=9.5, weight="bold")
        c.text(x0 + 4, 25, f"index → {phase.projected}", size=8.5, fill=MUTED)
        c.text(x0 + 4, bottom + 12, phase.start.strftime("%d %b %Y"), size=8, fill=MUTED)
    if start <= today <= end:
        x = x_of(today)
        c.line(x, head_h - 6, x, bottom, "#b42318", dash="3 2")
        c.text(x, bottom + 24, "today", size=8, fill="#b42318", anchor="middle")
    for i, r in enumerate(rows):
        y = head_h + row_h * i
        c.text(
            label_w - 6,
            y + row_h / 2 + 3,
            fit(r.label, label_w - 10, 8.5),
            size=8.5,
            anchor="end",
            fill="#b42318" if r.overdue else INK,
        )
        x0 = x_of(r.start)
        c.rect(
            x0,
            y + 3,
            max(x_of(r.end) + plot_w / days - x0, 3),
            row_h - 6,
            STATUS_COLOURS.get(r.status, GRID),
            rx=2,
        )
    _legend(c, label_w, height - 4, [(STATUS_NAMES[s], STATUS_COLOURS[s]) for s in STATUS_NAMES])
    return c.svg()
