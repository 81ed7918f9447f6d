"""Two assessments side by side: grouped bars of SAMR levels and of IT and OT readiness."""

from collections.abc import Sequence
from dataclasses import dataclass

from assessments.charts.palette import MUTED, rgba
from assessments.charts.plotly.figure import (
    bars,
    base_layout,
    category_axis,
    figure,
    legend,
    value_axis,
)
from assessments.charts.rows import (
    READINESS_MAX,
    ChangeSeries,
    Comparison,
    dimension_series,
    level_ticks,
    process_series,
)
from assessments.scoring import format_figure
from integration.charts import plain


def process_comparison(result: Comparison) -> dict:
    """SAMR level per process, before and after, as grouped horizontal bars."""
    return grouped_bars(
        [plain(r.name) for r in result.processes],
        _plotly_series(process_series(result)),
        places=0,
        axis_title="SAMR level",
        tick_text=level_ticks(result),
    )


def dimension_comparison(result: Comparison) -> dict:
    """IT and OT readiness per dimension, before (pale) and after, as grouped horizontal bars."""
    return grouped_bars(
        [plain(d.name) for d in result.dimensions],
        _plotly_series(dimension_series(result)),
        places=2,
        axis_title="Readiness",
    )


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    colour: str


def grouped_bars(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    places: int = 2,
    axis_title: str,
    axis_max: int = READINESS_MAX,
    tick_text: Sequence[str] | None = None,
) -> dict:
    """Horizontal bars, one group per category (top to bottom), one bar per series.

    Each bar carries its value as a label, so a 0 reads as 0 and a missing value (None, no bar)
    as missing."""
    data = [
        bars(
            plain(s.name),
            y=list(categories),
            x=list(s.values),
            text=["" if v is None else format_figure(v, places) for v in s.values],
            textposition="outside",
            textfont={"size": 11, "color": MUTED},
            cliponaxis=False,
            marker={"color": s.colour},
            hovertext=[
                f"{c}<br>{plain(s.name)}: {format_figure(v, places)}"
                for c, v in zip(categories, s.values, strict=True)
            ],
        )
        for s in series
    ]
    layout = base_layout(
        height=110 + (14 * len(series) + 14) * max(len(categories), 1),
        margin={"t": 40},
        barmode="group",
        bargap=0.25,
        bargroupgap=0.05,
        xaxis=value_axis(
            [0, axis_max + 0.25], range(axis_max + 1), title=axis_title, ticktext=tick_text
        ),
        yaxis=category_axis(),
        legend=legend(y=1.02, yanchor="bottom"),
    )
    return figure(data, layout)


def _plotly_series(series: Sequence[ChangeSeries]) -> list[Series]:
    """Plotly takes a pale colour as rgba(), not as an opacity per bar."""
    return [
        Series(s.name, s.values, s.colour if s.opacity == 1.0 else rgba(s.colour, s.opacity))
        for s in series
    ]
