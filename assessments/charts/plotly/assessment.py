"""One assessment's figures: SAMR heatmap, readiness radar, gap bars, assessors' spread."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from assessments import scoring
from assessments.charts.palette import (
    AGREED_COLOUR,
    DISPUTED_COLOUR,
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
    SETTLED_COLOUR,
    UNVERIFIED_COLOUR,
    UNVERIFIED_TINT,
    rgba,
)
from assessments.charts.plotly.figure import (
    HOVER,
    bars,
    base_layout,
    category_axis,
    figure,
    legend,
    markers,
    value_axis,
)
from assessments.charts.rows import (
    NA_POSITION,
    READINESS_MAX,
    STATUS_TICKS,
    DimensionRow,
    ProcessRow,
    SpreadRow,
    climb_order,
    dimension_rows,
    level_names,
    process_rows,
    scale_label,
    spread_rows,
)
from integration.charts import plain

UNVERIFIED_TEXT = "<br><br>not verified"
UNVERIFIED_LEGEND = "Claimed, not verified"


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard (and later the PDF) draws: rows and their Plotly figures."""

    processes: list[ProcessRow]
    dimensions: list[DimensionRow]
    spread: list[SpreadRow]
    charts: dict[str, dict | None]


def dashboard(figures, verification=None) -> Dashboard:
    """The dashboard's rows and charts from the figures (and the verified levels, when given
    the assessment's verification); None for a chart without rows."""
    processes = process_rows(figures, verification)
    dimensions = dimension_rows(figures)
    spread = spread_rows(figures)
    answered = any(d.it is not None or d.ot is not None for d in dimensions if d.in_scope)
    charts = {
        "heatmap": samr_heatmap(processes, level_names(figures)) if processes else None,
        "radar": readiness_radar(dimensions) if answered else None,
        "gaps": gap_bars(processes) if processes else None,
    }
    for scale in ("criteria", "readiness"):
        used = any(r.scale == scale for r in spread)
        charts[f"spread_{scale}"] = assessor_spread(spread, scale=scale) if used else None
    return Dashboard(processes, dimensions, spread, charts)


def samr_heatmap(processes: Sequence[ProcessRow], level_names: Sequence[str] = LEVEL_NAMES) -> dict:
    """Processes (rows) by SAMR level (columns): levels reached in their colour, the climb to
    the target in amber, levels claimed above the verified level pale red and marked "not
    verified" in words; markers for the current and the target level."""
    columns = [f"{level} {name}" for level, name in zip(scoring.LEVELS, level_names, strict=True)]
    rows = [plain(p.name) for p in processes]
    z, hover, text = [], [], []
    for p, row in zip(processes, rows, strict=True):
        z.append([_heat_code(p, level) for level in scoring.LEVELS])
        hover.append([f"{row}<br>{col}: {_heat_state(p, lv)}" for lv, col in enumerate(columns)])
        # below the current level's marker, which sits in the middle of its cell
        text.append([UNVERIFIED_TEXT if p.claimed_unverified(lv) else "" for lv in scoring.LEVELS])
    colours = [
        *(LEVEL_COLOURS[level] for level in scoring.LEVELS),
        GAP_TINT,
        EMPTY_COLOUR,
        UNVERIFIED_TINT,
    ]
    targeted = [(p, row) for p, row in zip(processes, rows, strict=True) if p.target is not None]
    unverified = any(p.unverified for p in processes)
    data = [
        {
            "type": "heatmap",
            "x": columns,
            "y": rows,
            "z": z,
            "zmin": -0.5,
            "zmax": len(colours) - 0.5,
            "colorscale": _stepped(colours),
            "showscale": False,
            "xgap": 3,
            "ygap": 3,
            "hovertext": hover,
            "hovertemplate": HOVER,
            "text": text,
            "texttemplate": "%{text}",
            "textfont": {"size": 10, "color": UNVERIFIED_COLOUR},
            "name": "Levels",
        },
        _legend_swatch("Still to climb", GAP_TINT, GAP_COLOUR),
        *(
            [_legend_swatch(UNVERIFIED_LEGEND, UNVERIFIED_TINT, UNVERIFIED_COLOUR, "square-x")]
            if unverified
            else []
        ),
        markers(
            "Current level",
            x=[columns[p.current] for p in processes],
            y=rows,
            marker={
                "symbol": "circle",
                "size": 12,
                "color": "#ffffff",
                "line": {"color": INK, "width": 2},
            },
            hovertext=[
                f"{row}<br>Current level: {p.current_label}"
                for p, row in zip(processes, rows, strict=True)
            ],
        ),
        markers(
            "Target level",
            x=[columns[p.target] for p, _ in targeted],
            y=[row for _, row in targeted],
            marker={
                "symbol": "circle-open",
                "size": 22,
                "color": GAP_COLOUR,
                "line": {"color": GAP_COLOUR, "width": 3},
            },
            hovertext=[f"{row}<br>Target level: {p.target_label}" for p, row in targeted],
        ),
    ]
    layout = base_layout(
        height=80 + 40 * max(len(processes), 1),
        margin={"t": 30, "b": 10},
        xaxis={
            "type": "category",
            "side": "top",
            "automargin": True,
            "fixedrange": True,
            "showgrid": False,
            "ticks": "",
        },
        yaxis=category_axis(showgrid=False, ticks="", ticklabelstandoff=6),
        legend=legend(y=-0.02, yanchor="top"),
    )
    return figure(data, layout)


def readiness_radar(dimensions: Sequence[DimensionRow]) -> dict:
    """IT and OT readiness (0-4) as two closed traces over the dimensions in scope."""
    rows = [d for d in dimensions if d.in_scope]
    theta = [_wrap(plain(d.name)) for d in rows]
    data = []
    for side, colour, label in (("it", IT_COLOUR, "IT"), ("ot", OT_COLOUR, "OT")):
        r = [getattr(d, side) for d in rows]
        hover = [f"{plain(d.name)}<br>{label} readiness: {d.display(side)}" for d in rows]
        data.append(
            {
                "type": "scatterpolar",
                "name": label,
                "r": r + r[:1],  # repeat the first point to close the shape
                "theta": theta + theta[:1],
                "mode": "lines+markers",
                "fill": "toself",
                "fillcolor": rgba(colour, 0.14),
                "line": {"color": colour, "width": 2.5},
                "marker": {"color": colour, "size": 7},
                "hovertext": hover + hover[:1],
                "hovertemplate": HOVER,
            }
        )
    layout = base_layout(
        height=440,
        margin={"t": 40, "b": 40, "l": 90, "r": 90},
        polar={
            "bgcolor": "#ffffff",
            "radialaxis": {
                "range": [0, READINESS_MAX],
                "tickvals": list(range(READINESS_MAX + 1)),
                # between the first two spokes, so the scale never sits on a data point
                "angle": 90 - 180 / max(len(rows), 1),
                "tickangle": 0,
                "gridcolor": GRID,
                "linecolor": GRID,
                "tickfont": {"color": MUTED, "size": 10},
            },
            "angularaxis": {
                "direction": "clockwise",
                "rotation": 90,
                "gridcolor": GRID,
                "linecolor": GRID,
            },
        },
        legend={"orientation": "v", "x": 0, "xanchor": "left", "y": 1, "yanchor": "top"},
    )
    return figure(data, layout)


def gap_bars(processes: Sequence[ProcessRow]) -> dict:
    """Levels each process still has to climb to its target (0 to 4), the most valuable
    process first; a bar's thickness is the process's business value (1 to 5)."""
    rows = climb_order(processes)
    text = [p.climb_text for p in rows]  # the business value is in the hover: a card is narrow
    data = [
        bars(
            "Levels to climb",
            y=[_wrap(plain(p.name), 22) for p in rows],  # a phone's card is narrow
            x=[p.gap for p in rows],
            width=[0.2 + 0.14 * min(max(p.business_value, 1), 5) for p in rows],
            text=text,
            textposition="outside",
            textfont={"color": [INK if p.gap else MUTED for p in rows]},
            cliponaxis=False,
            marker={"color": GAP_COLOUR},
            hovertext=[
                f"{plain(p.name)}<br>{p.climb_text}<br>business value {p.business_value}"
                for p in rows
            ],
        )
    ]
    layout = base_layout(
        height=90 + 34 * max(len(rows), 1),
        margin={"t": 10, "r": 120},
        showlegend=False,
        xaxis=value_axis([0, scoring.LEVELS[-1] + 0.1], scoring.LEVELS, title="Levels to climb"),
        yaxis=category_axis(),
    )
    return figure(data, layout)


def assessor_spread(rows: Sequence[SpreadRow], *, scale: str) -> dict:
    """Where assessors differ: the min-max range of their answers, each answer as a dot, and
    the agreed answer once the facilitator settled it. One scale per chart."""
    if scale not in ("criteria", "readiness"):
        raise ValueError(f"scale must be 'criteria' or 'readiness', got {scale!r}")
    rows = [r for r in rows if r.scale == scale]
    top = len(STATUS_TICKS) - 1 if scale == "criteria" else READINESS_MAX
    data = []
    for disputed, name, colour in (
        (True, "Still disputed", DISPUTED_COLOUR),
        (False, "Settled by the facilitator", SETTLED_COLOUR),
    ):
        group = [r for r in rows if r.disputed == disputed and r.values]
        data.append(
            bars(
                name,
                y=[plain(r.label) for r in group],
                x=[r.high - r.low for r in group],
                base=[r.low for r in group],
                width=0.45,
                marker={"color": rgba(colour, 0.35), "line": {"color": colour, "width": 1}},
                hovertext=[_spread_hover(r) for r in group],
            )
        )
    # N/A is no point on the scale: it gets a column of its own, left of the scale, when used.
    with_na = any(r.na or (not r.disputed and r.agreed is None) for r in rows)
    dots = [
        (r, value, n)
        for r in rows
        for value, n in [
            *([(NA_POSITION, r.na)] if r.na else []),
            *sorted(Counter(r.values).items()),
        ]
    ]
    agreed = [r for r in rows if not r.disputed]
    data += [
        markers(
            "Assessors' answers",
            x=[value for _, value, _ in dots],
            y=[plain(r.label) for r, _, _ in dots],
            marker={"color": INK, "size": [7 + 3 * (n - 1) for _, _, n in dots]},
            hovertext=[f"{plain(r.label)}<br>{n} × {scale_label(scale, v)}" for r, v, n in dots],
        ),
        markers(
            "Answer that counts",
            x=[NA_POSITION if r.agreed is None else r.agreed for r in agreed],
            y=[plain(r.label) for r in agreed],
            marker={
                "symbol": "diamond",
                "size": 13,
                "color": AGREED_COLOUR,
                "line": {"color": "#ffffff", "width": 1.5},
            },
            hovertext=[f"{plain(r.label)}<br>Counts as: {r.agreed_display}" for r in agreed],
        ),
    ]
    tickvals = [*([NA_POSITION] if with_na else []), *range(top + 1)]
    layout = base_layout(
        height=90 + 30 * max(len(rows), 1),
        margin={"t": 36, "b": 30},
        barmode="overlay",
        xaxis=value_axis(
            [tickvals[0] - 0.3, top + 0.3],
            tickvals,
            ticktext=[scale_label(scale, v) for v in tickvals],
        ),
        yaxis=category_axis(),
        legend=legend(y=1, yanchor="bottom"),
    )
    return figure(data, layout)


def _legend_swatch(name: str, fill: str, line: str, symbol: str = "square") -> dict:
    """A legend entry with nothing plotted, for a colour the heatmap uses."""
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": [None],
        "y": [None],
        "marker": {
            "symbol": symbol,
            "size": 14,
            "color": fill,
            "line": {"color": line, "width": 1},
        },
        "hoverinfo": "skip",
    }


def _stepped(colours: Sequence[str]) -> list[list]:
    """A colorscale with one flat band per colour, for integer codes 0..len-1."""
    n = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def _heat_code(p: ProcessRow, level: int) -> int:
    if p.claimed_unverified(level):
        return 7  # claimed, not verified
    if level <= p.current:
        return level  # reached: the level's own colour
    if p.target is not None and level <= p.target:
        return 5  # still to climb
    return 6


def _heat_state(p: ProcessRow, level: int) -> str:
    if p.claimed_unverified(level):
        state = f"claimed, not verified (verified level {p.verified})"
        if level == p.current:
            state = f"current level {state}"
    elif level == p.current:
        state = "current level"
    elif level < p.current:
        state = "reached"
    elif p.target is not None and level <= p.target:
        state = "still to climb"
    else:
        state = "not targeted"
    return f"{state}, target" if level == p.target else state


def _spread_hover(r: SpreadRow) -> str:
    return f"{plain(r.label)}<br>{plain(_shorten(r.detail, 90))}<br>{r.answers_display}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _wrap(text: str, width: int = 16) -> str:
    """Break a long label once, near the middle, so radar labels stay inside the chart."""
    if len(text) <= width or " " not in text:
        return text
    middle = len(text) // 2
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return text[:cut] + "<br>" + text[cut + 1 :]
