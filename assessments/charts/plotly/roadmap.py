"""Roadmap charts: plain rows in, Plotly figure dicts out (drawn by static/js/charts.js).

The colours, font and config are the assessment charts' (`assessments.charts`), so a roadmap
looks like the rest of the product.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from assessments import scoring
from assessments.charts.palette import (
    AFTER_COLOUR,
    AGREED_COLOUR,
    BEFORE_COLOUR,
    DISPUTED_COLOUR,
    GAP_COLOUR,
    GRID,
    INK,
    IT_COLOUR,
    MUTED,
)
from assessments.charts.plotly.figure import HOVER, base_layout, figure
from assessments.roadmaps.rules.phasing import PHASE_NAMES, PhaseWindow
from assessments.roadmaps.rules.projection import Burnup
from integration.charts import plain

# The board's column colours (static/css/ladder.css .board-*): grey, blue, --bad, --ok.
STATUS_COLOURS = {
    "planned": BEFORE_COLOUR,
    "in_progress": IT_COLOUR,
    "blocked": DISPUTED_COLOUR,
    "done": AGREED_COLOUR,
}
STATUS_NAMES = {
    "planned": "Planned",
    "in_progress": "In progress",
    "blocked": "Blocked",
    "done": "Done",
}
DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class GanttRow:
    label: str
    start: date
    end: date  # last day
    status: str
    phase: str
    overdue: bool = False


def gantt_figure(rows: Sequence[GanttRow], windows: Sequence[PhaseWindow], today: date) -> dict:
    """A Gantt chart: one horizontal bar per milestone from its start to its due date."""
    data = []
    for status, name in STATUS_NAMES.items():
        mine = [r for r in rows if r.status == status]
        if not mine:
            continue
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "y": [_lines(r.label) for r in mine],
                "base": [r.start.isoformat() for r in mine],
                "x": [((r.end - r.start).days + 1) * DAY_MS for r in mine],
                "marker": {
                    "color": STATUS_COLOURS[status],
                    "line": {
                        "color": [
                            STATUS_COLOURS["blocked"] if r.overdue else "#ffffff" for r in mine
                        ],
                        "width": [3 if r.overdue else 1 for r in mine],
                    },
                },
                "hovertext": [
                    f"{plain(r.label)}<br>{PHASE_NAMES[r.phase]} · {name}"
                    f"{' · overdue' if r.overdue else ''}<br>"
                    f"{r.start:%d %b %Y} – {r.end:%d %b %Y}"
                    for r in mine
                ],
                "hovertemplate": HOVER,
            }
        )
    shapes = [_vline(today, INK, "dot")] + [_vline(w.start, GRID, "solid") for w in windows[1:]]
    # Phase names just above the plot, "today" a line higher: they never collide.
    annotations = [{**_label(today, "today", INK), "yshift": 16}] + [
        _label(w.start, w.name, MUTED) for w in windows
    ]
    layout = base_layout(
        height=170 + len(rows) * _row_height(rows),
        barmode="overlay",
        showlegend=True,
        legend={"orientation": "h", "x": 0, "y": -0.06, "yanchor": "top"},
        margin={"t": 50, "b": 70},
        xaxis={"type": "date", "gridcolor": GRID, "fixedrange": True},
        yaxis={
            "type": "category",
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
            "categoryorder": "array",
            "categoryarray": [_lines(r.label) for r in rows],
        },
        shapes=shapes,
        annotations=annotations,
    )
    return figure(data, layout)


def burnup_figure(b: Burnup) -> dict:
    """Done milestones over time, the total, and the projected finish."""
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "line": {"shape": "hv", "color": STATUS_COLOURS["done"], "width": 3},
            "name": "Done",
            "x": [d.isoformat() for d, _ in b.points],
            "y": [n for _, n in b.points],
            "hovertemplate": "%{x|%d %b %Y}: %{y} done<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "line": {"color": MUTED, "dash": "dash"},
            "name": "Total",
            "x": [b.start.isoformat(), (b.projected_finish or b.today).isoformat()],
            "y": [b.total, b.total],
            "hovertemplate": "%{y} milestones in the plan<extra></extra>",
        },
    ]
    if b.projected_finish and b.done < b.total:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "line": {"color": STATUS_COLOURS["in_progress"], "dash": "dot"},
                "name": f"Projected finish {b.projected_finish:%d %b %Y}",
                "x": [b.today.isoformat(), b.projected_finish.isoformat()],
                "y": [b.done, b.total],
                "hovertemplate": "%{x|%d %b %Y}: %{y}<extra></extra>",
            }
        )
    layout = base_layout(
        height=320,
        showlegend=True,
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        margin={"t": 40},
        xaxis={"type": "date", "gridcolor": GRID, "fixedrange": True},
        yaxis={
            "rangemode": "tozero",
            "gridcolor": GRID,
            "fixedrange": True,
            "automargin": True,
            "title": {"text": "Milestones", "font": {"color": MUTED, "size": 12}},
        },
    )
    return figure(data, layout)


def projection_figure(
    points: Sequence[tuple[str, date, float | None]], target: float | None
) -> dict:
    """The SAMR index the plan promises: today, then after each phase."""
    shown = [(label, day, value) for label, day, value in points if value is not None]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers+text",
            "name": "Projected SAMR index",
            "x": [day.isoformat() for _, day, _ in shown],
            "y": [value for _, _, value in shown],
            "text": [scoring.format_figure(v) for _, _, v in shown],
            "textposition": "top center",
            "hovertext": [f"{label}: {scoring.format_figure(v)}" for label, _, v in shown],
            "hovertemplate": HOVER,
            "line": {"color": AFTER_COLOUR, "width": 3},
        }
    ]
    shapes, annotations = [], []
    if target is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": target,
                "y1": target,
                "line": {"color": GAP_COLOUR, "dash": "dash", "width": 1.5},
            }
        )
        annotations.append(
            {
                "xref": "paper",
                "x": 0,
                "y": target,
                "text": f"target {scoring.format_figure(target)}",
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "bottom",
                "font": {"color": GAP_COLOUR, "size": 12},
            }
        )
    layout = base_layout(
        height=240,
        showlegend=False,
        margin={"t": 20},
        xaxis={"type": "date", "gridcolor": GRID, "fixedrange": True},
        yaxis={"range": [0, 4.3], "dtick": 1, "gridcolor": GRID, "fixedrange": True},
        shapes=shapes,
        annotations=annotations,
    )
    return figure(data, layout)


def _vline(day: date, colour: str, dash: str) -> dict:
    return {
        "type": "line",
        "yref": "paper",
        "x0": day.isoformat(),
        "x1": day.isoformat(),
        "y0": 0,
        "y1": 1,
        "line": {"color": colour, "dash": dash, "width": 1.5},
    }


def _label(day: date, text: str, colour: str) -> dict:
    return {
        "x": day.isoformat(),
        "yref": "paper",
        "y": 1,
        "yanchor": "bottom",
        "xanchor": "left",
        "text": text,
        "showarrow": False,
        "font": {"color": colour, "size": 12},
    }


def _row_height(rows: Sequence[GanttRow]) -> int:
    """Plotly spaces categories evenly, so every row is as tall as the tallest label needs."""
    lines = max((_lines(r.label).count("<br>") + 1 for r in rows), default=1)
    return max(26, 15 * lines + 10)


def _lines(text: str, width: int = 48) -> str:
    """A label on lines of at most `width` characters, never cut: a milestone's title names
    its process, and the bar's label must read whole."""
    return "<br>".join(plain(line) for line in textwrap.wrap(text, width) or [""])
