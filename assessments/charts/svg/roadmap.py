"""Telemetry and roadmap as SVG: an integration's sparkline and the roadmap timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.safestring import SafeString

from assessments.charts.palette import GRID, INK, IT_COLOUR, MUTED
from assessments.charts.svg.draw import Canvas, block_height, legend, wrap

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
    label_w, head_h, size = 220, 38, 8.5
    labels = [wrap(r.label, label_w - 10, size) for r in rows]
    heights = [max(17, block_height(len(lines), size) + 5) for lines in labels]
    start = min([p.start for p in phases] + [r.start for r in rows])
    end = max([p.end for p in phases] + [r.end for r in rows])
    days = max((end - start).days + 1, 1)
    plot_w = width - label_w - 10
    bottom = head_h + sum(heights) + 4
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
    y = head_h
    for r, lines, row_h in zip(rows, labels, heights, strict=True):
        mid = y + row_h / 2
        c.lines(
            label_w - 6, mid, lines, size=size, anchor="end", fill="#b42318" if r.overdue else INK
        )
        x0 = x_of(r.start)
        c.rect(
            x0,
            mid - 5.5,
            max(x_of(r.end) + plot_w / days - x0, 3),
            11,
            STATUS_COLOURS.get(r.status, GRID),
            rx=2,
        )
        y += row_h
    legend(c, label_w, height - 4, [(STATUS_NAMES[s], STATUS_COLOURS[s]) for s in STATUS_NAMES])
    return c.svg()
