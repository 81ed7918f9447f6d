"""The SAMR index over the final assessments: a small line chart for the home page."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from assessments.charts.palette import AFTER_COLOUR, GRID, LEVEL_NAMES, MUTED
from assessments.charts.plotly.figure import HOVER, base_layout, figure
from assessments.scoring import format_figure
from integration.charts import plain


@dataclass(frozen=True)
class IndexPoint:
    """One final assessment's SAMR index (None: not scored)."""

    title: str
    assessed_on: date
    samr_index: float | None

    @property
    def index_display(self) -> str:
        return format_figure(self.samr_index)


def samr_trend(points: Sequence[IndexPoint]) -> dict:
    """The index by assessment date, oldest first; unscored assessments are left out."""
    scored = [p for p in points if p.samr_index is not None]
    line = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": "SAMR index",
        "x": [p.assessed_on.isoformat() for p in scored],
        "y": [p.samr_index for p in scored],
        "line": {"color": AFTER_COLOUR, "width": 3},
        "marker": {"color": AFTER_COLOUR, "size": 9},
        "hovertext": [
            f"{plain(p.title)}<br>{p.assessed_on:%-d %b %Y}: {p.index_display}" for p in scored
        ],
        "hovertemplate": HOVER,
    }
    layout = base_layout(
        height=240,
        showlegend=False,
        margin={"l": 10, "r": 20, "t": 10, "b": 40},
        xaxis={
            "type": "date",
            "fixedrange": True,
            "automargin": True,
            "range": _padded(scored),
            "tickvals": line["x"],  # one tick per assessment, not per month
            "ticktext": [f"{p.assessed_on:%b %Y}" for p in scored],
            "gridcolor": GRID,
        },
        yaxis={
            "range": [-0.3, 4.3],
            "tickvals": list(range(5)),
            "ticktext": [f"{level} {name}" for level, name in enumerate(LEVEL_NAMES)],
            "gridcolor": GRID,
            "zeroline": False,
            "fixedrange": True,
            "automargin": True,
            "tickfont": {"color": MUTED, "size": 11},
        },
    )
    return figure([line], layout)


def _padded(points: Sequence[IndexPoint]) -> list[str] | None:
    """The dates with room on both sides, so the first and last points clear the axes."""
    if not points:
        return None
    first, last = points[0].assessed_on, points[-1].assessed_on
    pad = max((last - first) / 12, timedelta(days=7))
    return [(first - pad).isoformat(), (last + pad).isoformat()]
