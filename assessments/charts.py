"""Charts of assessments: plain rows from the figures, then Plotly figure dicts.

Two steps, so the page (Plotly in the browser) and the PDF (SVG, later) draw the same numbers in
the same colours: the `*_rows()` functions and `comparison()` read `AssessmentFigures` into plain
rows; the chart functions turn rows into `{"data", "layout", "config"}` dicts that
`static/js/charts.js` hands to `Plotly.newPlot`. Every number a chart shows is formatted by
`scoring.format_figure`, never by Plotly, so the hover text matches the table and the PDF.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from assessments import scoring
from assessments.scoring import Settlement, format_figure, status_rank

# --- Palette: shared with the PDF ------------------------------------------------------------

LEVEL_NAMES = ("Manual", "Substitution", "Augmentation", "Modification", "Redefinition")
# The same colours as --level-0 .. --level-4 in static/css/ladder.css (a test keeps them equal).
LEVEL_COLOURS = {0: "#c9ced6", 1: "#a9c7e3", 2: "#6fa3d0", 3: "#3a78b5", 4: "#1b4f85"}
IT_COLOUR = "#2b6cb0"  # blue and orange stay apart for colour-blind readers too
OT_COLOUR = "#c05621"
GAP_COLOUR = "#b45309"  # the climb still to make: amber
GAP_TINT = "#fbe3b5"
EMPTY_COLOUR = "#eef1f5"
DISPUTED_COLOUR = "#b42318"  # --bad
SETTLED_COLOUR = "#8d99a8"
AGREED_COLOUR = "#1e7a46"  # --ok
BEFORE_COLOUR = "#a9b4c2"
AFTER_COLOUR = "#1f4e79"  # --brand's default
INK = "#1b2430"
MUTED = "#5b6676"
GRID = "#dde3ea"
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'

CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": [
        "zoom2d",
        "pan2d",
        "select2d",
        "lasso2d",
        "zoomIn2d",
        "zoomOut2d",
        "autoScale2d",
        "resetScale2d",
    ],
    "toImageButtonOptions": {"format": "svg"},
}

STATUS_TICKS = ("Not met", "Partially", "Largely", "Fully")  # status_rank 0-3
READINESS_MAX = 4
NA_POSITION = -1  # where the spread chart draws N/A answers, left of the scale


# --- Plain rows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessRow:
    """One process of an assessment: levels, gap and weight, as the charts and tables show it."""

    key: str
    name: str
    business_value: int
    current: int
    target: int | None
    gap: int
    gap_weight: int
    level_names: tuple[str, ...] = LEVEL_NAMES

    @property
    def current_name(self) -> str:
        return self.level_names[self.current]

    @property
    def target_name(self) -> str:
        return scoring.NO_FIGURE if self.target is None else self.level_names[self.target]

    @property
    def current_label(self) -> str:
        return f"{self.current} {self.current_name}"

    @property
    def target_label(self) -> str:
        return scoring.NO_FIGURE if self.target is None else f"{self.target} {self.target_name}"


@dataclass(frozen=True)
class DimensionRow:
    """One readiness dimension: mean answer for IT and for OT (0-4), both, and IT minus OT."""

    key: str
    name: str
    it: float | None
    ot: float | None
    combined: float | None
    gap: float | None
    excluded_reason: str | None = None

    @property
    def in_scope(self) -> bool:
        return self.excluded_reason is None

    def display(self, field: str) -> str:
        return format_figure(getattr(self, field))

    it_display = property(lambda self: self.display("it"))
    ot_display = property(lambda self: self.display("ot"))
    combined_display = property(lambda self: self.display("combined"))
    gap_display = property(lambda self: self.display("gap"))


@dataclass(frozen=True)
class SpreadRow:
    """A criterion or readiness answer the assessors differ on.

    `values` are the non-N/A answers on the row's scale (status rank 0-3 for criteria, 0-4 for
    readiness); `agreed` is the answer that counts once settled, None while disputed or N/A.
    """

    key: str
    label: str
    detail: str
    scale: str  # "criteria" or "readiness"
    values: tuple[int, ...]
    na: int
    agreed: int | None
    disputed: bool

    @property
    def low(self) -> int | None:
        return min(self.values) if self.values else None

    @property
    def high(self) -> int | None:
        return max(self.values) if self.values else None

    @property
    def answers_display(self) -> str:
        """The answers, e.g. "Fully ×2 · Partially ×1 · N/A ×1"."""
        counts = Counter(self.values)
        parts = [
            f"{_scale_label(self.scale, v)} ×{n}" for v, n in sorted(counts.items(), reverse=True)
        ]
        if self.na:
            parts.append(f"N/A ×{self.na}")
        return " · ".join(parts)

    @property
    def agreed_display(self) -> str:
        if self.disputed:
            return "disputed"
        return "N/A" if self.agreed is None else _scale_label(self.scale, self.agreed)


def process_rows(figures) -> list[ProcessRow]:
    """The assessment's processes, in the figures' order (by name)."""
    names = level_names(figures)
    return [
        ProcessRow(
            key=str(p.process.pk),
            name=p.process.name,
            business_value=p.process.business_value,
            current=p.current,
            target=p.target,
            gap=p.gap,
            gap_weight=p.gap_weight,
            level_names=names,
        )
        for p in figures.processes
    ]


def dimension_rows(figures) -> list[DimensionRow]:
    """Every readiness dimension of the framework, in its order; out-of-scope ones say why."""
    return [
        DimensionRow(
            key=d.dimension.key,
            name=d.dimension.name,
            it=d.figures.it,
            ot=d.figures.ot,
            combined=d.figures.combined,
            gap=d.figures.gap,
            excluded_reason=d.excluded_reason,
        )
        for d in figures.dimensions
    ]


def spread_rows(figures) -> list[SpreadRow]:
    """Criteria and readiness answers the assessors differ on: disputed first, widest first."""
    rows = []
    for p in figures.processes:
        for level in sorted(p.levels):
            for index, result in enumerate(p.levels[level], start=1):
                statuses = [a.status for a in result.answers]
                if len(set(statuses)) < 2:
                    continue
                ranks = [status_rank(s) for s in statuses]
                settled = result.settled
                rows.append(
                    SpreadRow(
                        key=f"{p.process.pk}:{result.criterion.key}",
                        label=f"{p.process.name} · L{level}.{index}",
                        detail=result.criterion.text,
                        scale="criteria",
                        values=tuple(r for r in ranks if r is not None),
                        na=ranks.count(None),
                        agreed=status_rank(settled.value) if settled.counts else None,
                        disputed=settled.state == Settlement.DISPUTED,
                    )
                )
    for d in figures.dimensions:
        if d.excluded_reason is not None:
            continue
        for number, q in enumerate(d.questions, start=1):
            for side in ("it", "ot"):
                values = [a.value for a in q.answers.get(side, [])]
                if len(set(values)) < 2:
                    continue
                settled = q.sides[side]
                rows.append(
                    SpreadRow(
                        key=f"{q.question.key}:{side}",
                        label=f"{d.dimension.name} · Q{number} · {side.upper()}",
                        detail=q.question.text,
                        scale="readiness",
                        values=tuple(v for v in values if v is not None),
                        na=values.count(None),
                        agreed=settled.value if settled.counts else None,
                        disputed=settled.state == Settlement.DISPUTED,
                    )
                )
    position = {row.key: i for i, row in enumerate(rows)}
    return sorted(rows, key=lambda r: (not r.disputed, -_width(r), position[r.key]))


def level_names(figures) -> tuple[str, ...]:
    """The SAMR level names of the assessment's framework version, level 0 first."""
    levels = figures.assessment.framework.definition.samr_levels
    return tuple(level.name for level in sorted(levels, key=lambda lv: lv.level))


# --- The dashboard's charts ------------------------------------------------------------------


def samr_heatmap(processes: Sequence[ProcessRow], level_names: Sequence[str] = LEVEL_NAMES) -> dict:
    """Processes (rows) by SAMR level (columns): levels reached in their colour, the climb to
    the target in amber; markers for the current and the target level."""
    columns = [f"{level} {name}" for level, name in zip(scoring.LEVELS, level_names, strict=True)]
    rows = [_plain(p.name) for p in processes]
    z, hover = [], []
    for p, row in zip(processes, rows, strict=True):
        z.append([_heat_code(p, level) for level in scoring.LEVELS])
        hover.append([f"{row}<br>{col}: {_heat_state(p, lv)}" for lv, col in enumerate(columns)])
    colours = [*(LEVEL_COLOURS[level] for level in scoring.LEVELS), GAP_TINT, EMPTY_COLOUR]
    targeted = [p for p in processes if p.target is not None]
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
            "hovertemplate": "%{hovertext}<extra></extra>",
            "name": "Levels",
        },
        _legend_swatch("Still to climb", GAP_TINT, GAP_COLOUR),
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Current level",
            "x": [columns[p.current] for p in processes],
            "y": rows,
            "marker": {
                "symbol": "circle",
                "size": 12,
                "color": "#ffffff",
                "line": {"color": INK, "width": 2},
            },
            "hovertext": [
                f"{row}<br>Current level: {p.current_label}"
                for p, row in zip(processes, rows, strict=True)
            ],
            "hovertemplate": "%{hovertext}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Target level",
            "x": [columns[p.target] for p in targeted],
            "y": [_plain(p.name) for p in targeted],
            "marker": {
                "symbol": "circle-open",
                "size": 22,
                "color": GAP_COLOUR,
                "line": {"color": GAP_COLOUR, "width": 3},
            },
            "hovertext": [f"{_plain(p.name)}<br>Target level: {p.target_label}" for p in targeted],
            "hovertemplate": "%{hovertext}<extra></extra>",
        },
    ]
    layout = _layout(
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
        yaxis={
            "type": "category",
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
            "showgrid": False,
            "ticks": "",
            "ticklabelstandoff": 6,
        },
        legend=_legend(y=-0.02, yanchor="top"),
    )
    return _figure(data, layout)


def readiness_radar(dimensions: Sequence[DimensionRow]) -> dict:
    """IT and OT readiness (0-4) as two closed traces over the dimensions in scope."""
    rows = [d for d in dimensions if d.in_scope]
    theta = [_wrap(_plain(d.name)) for d in rows]
    data = []
    for side, colour, label in (("it", IT_COLOUR, "IT"), ("ot", OT_COLOUR, "OT")):
        r = [getattr(d, side) for d in rows]
        hover = [f"{_plain(d.name)}<br>{label} readiness: {d.display(side)}" for d in rows]
        data.append(
            {
                "type": "scatterpolar",
                "name": label,
                "r": r + r[:1],  # repeat the first point to close the shape
                "theta": theta + theta[:1],
                "mode": "lines+markers",
                "fill": "toself",
                "fillcolor": _rgba(colour, 0.14),
                "line": {"color": colour, "width": 2.5},
                "marker": {"color": colour, "size": 7},
                "hovertext": hover + hover[:1],
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    layout = _layout(
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
    return _figure(data, layout)


def gap_bars(processes: Sequence[ProcessRow]) -> dict:
    """Gap weight per process, largest first (ties: higher business value, then name)."""
    rows = sorted(processes, key=lambda p: (-p.gap_weight, -p.business_value, p.name))
    text = [_gap_text(p) for p in rows]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": "Gap weight",
            "y": [_plain(p.name) for p in rows],
            "x": [p.gap_weight for p in rows],
            "text": text,
            "textposition": "outside",
            "textfont": {"color": [INK if p.gap_weight else MUTED for p in rows]},
            "cliponaxis": False,
            "marker": {"color": GAP_COLOUR},
            "hovertext": [
                f"{_plain(p.name)}<br>{t}<br>gap {p.gap}, weight {p.gap_weight}, "
                f"business value {p.business_value}"
                for p, t in zip(rows, text, strict=True)
            ],
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
    ]
    weights = [scoring.gap_weight(current=0, target=g) for g in scoring.LEVELS]
    layout = _layout(
        height=90 + 34 * max(len(rows), 1),
        margin={"t": 10, "r": 110},
        showlegend=False,
        bargap=0.35,
        xaxis={
            "range": [0, weights[-1] + 1],
            "tickvals": weights,
            "title": {"text": "Gap weight (1 + gap)² − 1", "font": {"color": MUTED, "size": 12}},
            "gridcolor": GRID,
            "zeroline": False,
            "fixedrange": True,
        },
        yaxis={
            "type": "category",
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
            "ticklabelstandoff": 8,
        },
    )
    return _figure(data, layout)


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
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "y": [_plain(r.label) for r in group],
                "base": [r.low for r in group],
                "x": [r.high - r.low for r in group],
                "width": 0.45,
                "marker": {"color": _rgba(colour, 0.35), "line": {"color": colour, "width": 1}},
                "hovertext": [_spread_hover(r) for r in group],
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
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
    data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Assessors' answers",
            "y": [_plain(r.label) for r, _, _ in dots],
            "x": [value for _, value, _ in dots],
            "marker": {"color": INK, "size": [7 + 3 * (n - 1) for _, _, n in dots]},
            "hovertext": [
                f"{_plain(r.label)}<br>{n} × {_scale_label(scale, v)}" for r, v, n in dots
            ],
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
    )
    agreed = [r for r in rows if not r.disputed]
    data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Answer that counts",
            "y": [_plain(r.label) for r in agreed],
            "x": [NA_POSITION if r.agreed is None else r.agreed for r in agreed],
            "marker": {
                "symbol": "diamond",
                "size": 13,
                "color": AGREED_COLOUR,
                "line": {"color": "#ffffff", "width": 1.5},
            },
            "hovertext": [f"{_plain(r.label)}<br>Counts as: {r.agreed_display}" for r in agreed],
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
    )
    ticks = [_scale_label(scale, v) for v in range(top + 1)]
    tickvals = list(range(top + 1))
    if with_na:
        ticks, tickvals = ["N/A", *ticks], [NA_POSITION, *tickvals]
    layout = _layout(
        height=90 + 30 * max(len(rows), 1),
        margin={"t": 36, "b": 30},
        barmode="overlay",
        xaxis={
            "range": [tickvals[0] - 0.3, top + 0.3],
            "tickvals": tickvals,
            "ticktext": ticks,
            "gridcolor": GRID,
            "zeroline": False,
            "fixedrange": True,
        },
        yaxis={
            "type": "category",
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
            "ticklabelstandoff": 8,
        },
        legend=_legend(y=1, yanchor="bottom"),
    )
    return _figure(data, layout)


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard (and later the PDF) draws: rows and their Plotly figures."""

    processes: list[ProcessRow]
    dimensions: list[DimensionRow]
    spread: list[SpreadRow]
    charts: dict[str, dict | None]


def dashboard(figures) -> Dashboard:
    """The dashboard's rows and charts from the figures; None for a chart without rows."""
    processes = process_rows(figures)
    dimensions = dimension_rows(figures)
    spread = spread_rows(figures)
    in_scope = [d for d in dimensions if d.in_scope]
    charts = {
        "heatmap": samr_heatmap(processes, level_names(figures)) if processes else None,
        "radar": readiness_radar(dimensions) if any(_answered(d) for d in in_scope) else None,
        "gaps": gap_bars(processes) if processes else None,
        "spread_criteria": (
            assessor_spread(spread, scale="criteria")
            if any(r.scale == "criteria" for r in spread)
            else None
        ),
        "spread_readiness": (
            assessor_spread(spread, scale="readiness")
            if any(r.scale == "readiness" for r in spread)
            else None
        ),
    }
    return Dashboard(processes, dimensions, spread, charts)


# --- Comparing two assessments ---------------------------------------------------------------


@dataclass(frozen=True)
class ChangeRow:
    """One figure before and after; `places` is how it is shown (0 for SAMR levels)."""

    key: str
    name: str
    measure: str
    before: float | None
    after: float | None
    delta: float | None
    places: int = 2
    lower_is_better: bool = False

    @property
    def before_display(self) -> str:
        return format_figure(self.before, self.places)

    @property
    def after_display(self) -> str:
        return format_figure(self.after, self.places)

    @property
    def delta_display(self) -> str:
        """ "+1", "−0.25" (a true minus), "0" or an en dash when either side is missing."""
        if self.delta is None:
            return scoring.NO_FIGURE
        shown = format_figure(abs(self.delta), self.places)
        if float(shown) == 0:
            return shown
        return ("+" if self.delta > 0 else "−") + shown

    @property
    def trend(self) -> str:
        """ "better", "worse" or "same" (also when a side is missing), for styling the delta."""
        if self.delta is None or float(format_figure(abs(self.delta), self.places)) == 0:
            return "same"
        return "better" if (self.delta > 0) != self.lower_is_better else "worse"


@dataclass(frozen=True)
class DimensionChange:
    key: str
    name: str
    it: ChangeRow
    ot: ChangeRow


@dataclass(frozen=True)
class Comparison:
    """Two assessments of one organisation: headline, per process, per dimension, rankings."""

    before_label: str
    after_label: str
    level_names: tuple[str, ...]
    headline: list[ChangeRow]
    processes: list[ChangeRow]
    dimensions: list[DimensionChange]
    improved: list[ChangeRow]
    concerning: list[ChangeRow]


def comparison(before, after, *, n: int = 5) -> Comparison:
    """What changed from `before` to `after`: processes matched by process id, dimensions by
    key; the `n` largest rises and falls over SAMR levels and IT and OT readiness together."""
    processes = _process_changes(before, after)
    dimensions = _dimension_changes(before, after)
    ranked = processes + [c for d in dimensions for c in (d.it, d.ot)]
    by_key = {c.key: c for c in ranked}
    changes = [scoring.Change(c.key, c.before, c.after, c.delta) for c in ranked]
    return Comparison(
        before_label=_assessment_label(before.assessment),
        after_label=_assessment_label(after.assessment),
        level_names=level_names(after),
        headline=_headline_changes(before, after),
        processes=processes,
        dimensions=dimensions,
        improved=[by_key[c.key] for c in scoring.most_improved(changes, n)],
        concerning=[by_key[c.key] for c in scoring.most_concerning(changes, n)],
    )


def process_comparison(result: Comparison) -> dict:
    """SAMR level per process, before and after, as grouped horizontal bars."""
    rows = result.processes
    return grouped_bars(
        [_plain(r.name) for r in rows],
        [
            Series(result.before_label, [r.before for r in rows], BEFORE_COLOUR),
            Series(result.after_label, [r.after for r in rows], AFTER_COLOUR),
        ],
        places=0,
        axis_title="SAMR level",
        tick_text=[f"{lv} {name}" for lv, name in enumerate(result.level_names)],
    )


def dimension_comparison(result: Comparison) -> dict:
    """IT and OT readiness per dimension, before (pale) and after, as grouped horizontal bars."""
    rows = result.dimensions
    series = []
    for side, colour in (("it", IT_COLOUR), ("ot", OT_COLOUR)):
        changes = [getattr(d, side) for d in rows]
        series += [
            Series(
                f"{side.upper()} · {result.before_label}",
                [c.before for c in changes],
                _rgba(colour, 0.35),
            ),
            Series(f"{side.upper()} · {result.after_label}", [c.after for c in changes], colour),
        ]
    return grouped_bars([_plain(d.name) for d in rows], series, places=2, axis_title="Readiness")


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
        {
            "type": "bar",
            "orientation": "h",
            "name": _plain(s.name),
            "y": list(categories),
            "x": list(s.values),
            "text": ["" if v is None else format_figure(v, places) for v in s.values],
            "textposition": "outside",
            "textfont": {"size": 11, "color": MUTED},
            "cliponaxis": False,
            "marker": {"color": s.colour},
            "hovertext": [
                f"{c}<br>{_plain(s.name)}: {format_figure(v, places)}"
                for c, v in zip(categories, s.values, strict=True)
            ],
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
        for s in series
    ]
    xaxis = {
        "range": [0, axis_max + 0.25],
        "tickvals": list(range(axis_max + 1)),
        "title": {"text": axis_title, "font": {"color": MUTED, "size": 12}},
        "gridcolor": GRID,
        "zeroline": False,
        "fixedrange": True,
    }
    if tick_text:
        xaxis["ticktext"] = list(tick_text)
    layout = _layout(
        height=110 + (14 * len(series) + 14) * max(len(categories), 1),
        margin={"t": 10},
        barmode="group",
        bargap=0.25,
        bargroupgap=0.05,
        xaxis=xaxis,
        yaxis={
            "type": "category",
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
            "ticklabelstandoff": 8,
        },
        legend=_legend(y=1.02, yanchor="bottom"),
    )
    layout["margin"]["t"] = 40
    return _figure(data, layout)


def _process_changes(before, after) -> list[ChangeRow]:
    # The later assessment's name wins when a process was renamed in between.
    names = {str(p.process.pk): p.process.name for p in [*before.processes, *after.processes]}
    old = {str(p.process.pk): p.current for p in before.processes}
    new = {str(p.process.pk): p.current for p in after.processes}
    return [
        ChangeRow(f"process:{c.key}", names[c.key], "SAMR level", c.before, c.after, c.delta, 0)
        for c in scoring.compare(old, new)
    ]


def _dimension_changes(before, after) -> list[DimensionChange]:
    names = {d.dimension.key: d.dimension.name for d in [*before.dimensions, *after.dimensions]}
    sides = {}
    for side in ("it", "ot"):
        old = {d.dimension.key: getattr(d.figures, side) for d in before.dimensions}
        new = {d.dimension.key: getattr(d.figures, side) for d in after.dimensions}
        sides[side] = {
            c.key: ChangeRow(
                f"{side}:{c.key}",
                names[c.key],
                f"{side.upper()} readiness",
                c.before,
                c.after,
                c.delta,
            )
            for c in scoring.compare(old, new)
        }
    return [
        DimensionChange(key, names[key], sides["it"][key], sides["ot"][key]) for key in sides["it"]
    ]


def _headline_changes(before, after) -> list[ChangeRow]:
    rows = []
    for attribute, name, lower_is_better in (
        ("samr_index", "SAMR index", False),
        ("target_index", "Target index", False),
        ("overall_readiness", "Overall readiness", False),
        ("convergence_gap", "IT/OT convergence gap", True),
    ):
        (change,) = scoring.compare(
            {attribute: getattr(before, attribute)}, {attribute: getattr(after, attribute)}
        )
        rows.append(
            ChangeRow(
                attribute,
                name,
                name,
                change.before,
                change.after,
                change.delta,
                lower_is_better=lower_is_better,
            )
        )
    return rows


def _assessment_label(assessment) -> str:
    return f"{assessment.title} ({assessment.assessed_on:%d %b %Y})"


# --- Shared pieces ---------------------------------------------------------------------------


def _figure(data: list[dict], layout: dict) -> dict:
    return {"data": data, "layout": layout, "config": dict(CONFIG)}


def _layout(**overrides) -> dict:
    margin = {"l": 10, "r": 20, "t": 30, "b": 40, **overrides.pop("margin", {})}
    layout = {
        "font": {"family": FONT_FAMILY, "size": 13, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 13}, "bgcolor": "#ffffff"},
        "margin": margin,
        "autosize": True,
    }
    layout.update(overrides)
    return layout


def _legend(*, y: float, yanchor: str) -> dict:
    return {"orientation": "h", "x": 0, "xanchor": "left", "y": y, "yanchor": yanchor}


def _legend_swatch(name: str, fill: str, line: str) -> dict:
    """A legend entry with nothing plotted, for a colour the heatmap uses."""
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": [None],
        "y": [None],
        "marker": {
            "symbol": "square",
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
    if level <= p.current:
        return level  # reached: the level's own colour
    if p.target is not None and level <= p.target:
        return 5  # still to climb
    return 6


def _heat_state(p: ProcessRow, level: int) -> str:
    if level == p.current:
        state = "current level"
    elif level < p.current:
        state = "reached"
    elif p.target is not None and level <= p.target:
        state = "still to climb"
    else:
        state = "not targeted"
    return f"{state}, target" if level == p.target else state


def _gap_text(p: ProcessRow) -> str:
    if p.target is None:
        return "no target"
    if p.gap == 0:
        return "on target"
    return f"{p.current} → {p.target}"


def _spread_hover(r: SpreadRow) -> str:
    return f"{_plain(r.label)}<br>{_plain(_shorten(r.detail, 90))}<br>{r.answers_display}"


def _scale_label(scale: str, value: int) -> str:
    if value == NA_POSITION:
        return "N/A"
    return STATUS_TICKS[value] if scale == "criteria" else str(value)


def _answered(d: DimensionRow) -> bool:
    return d.it is not None or d.ot is not None


def _width(r: SpreadRow) -> int:
    return (r.high - r.low) if r.values else 0


def _plain(text: str) -> str:
    """Text for Plotly, which reads a few HTML-like tags: user text must not become markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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


def _rgba(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"
