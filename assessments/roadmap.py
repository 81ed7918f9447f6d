"""Roadmap arithmetic: milestones from gaps, priority, order, phases, projections. No database.

The published rules (the page shows them, the tests spell each one out):

- **Milestones.** Every process with a gap gets one milestone per level step, current → current+1
  … → target, from the framework's recommended actions for its area and that step: the first
  action gives the title and description, the others are listed in the description.
- **Priority of a step** = gap weight max((1 + target − current)² − 1, 0) × business value ×
  telemetry health. Every step of a process carries its process's priority.
  `ProcessInput.health` is the telemetry-health factor: 1.0 (no adjustment) until the evidence
  module feeds it; above 1.0 moves a process's steps up, below 1.0 moves them down.
- **Readiness gates.** A readiness dimension in scope whose IT or OT side is below
  `READINESS_MINIMUM` (2) is too weak for live data, so it gates every step to level
  `GATED_FROM_LEVEL` (2, Augmentation) or above. It gets one readiness milestone (the dimension's
  first readiness action), placed before every step it gates, with the highest priority among
  them. Security readiness also comes before connectivity and integration-architecture work:
  segment the OT network before connecting anything new. A weak dimension that gates no step
  adds no milestone.
- **Order.** A step comes after the step below it; a gated step after the readiness milestones.
- **Phases.** now, next and later, each `phase_days` long from the start date (later is open
  ended). Milestones fill the phases in priority order as soon as everything they wait for is
  placed: now and next take at most `capacity` open milestones each, later takes the rest.
- **Projection.** After each phase, every process is at the highest level whose steps are all
  done or planned in that phase or an earlier one; the SAMR index of those levels is
  `scoring.samr_index`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from assessments import scoring
from assessments.framework import Framework

PHASES = ("now", "next", "later")
PHASE_NAMES = {"now": "Now", "next": "Next", "later": "Later"}
READINESS_MINIMUM = 2
GATED_FROM_LEVEL = 2
# A readiness milestone waits for the readiness milestones named here (when there are any).
READINESS_PREREQUISITES = {
    "connectivity": ("security",),
    "integration-architecture": ("security",),
}
STEP = "step"
READINESS = "readiness"
CUSTOM = "custom"


# --- Inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessInput:
    """A process as the assessment scored it; `health` is the telemetry-health factor."""

    key: str
    name: str
    area: str
    business_value: int
    current: int
    target: int | None
    health: float = 1.0

    @property
    def gap_weight(self) -> int:
        return scoring.gap_weight(current=self.current, target=self.target)

    @property
    def priority(self) -> float:
        return _clean(self.gap_weight * self.business_value * self.health)

    @property
    def explanation(self) -> str:
        text = (
            f"gap weight {self.gap_weight} (current {self.current} → target {self.target}) "
            f"× business value {self.business_value}"
        )
        if self.health != 1.0:
            text += f" × telemetry health {format_priority(self.health)}"
        return f"{text} = {format_priority(self.priority)}"

    def figures(self, level: int | None = None) -> scoring.ProcessFigures:
        current = self.current if level is None else level
        return scoring.ProcessFigures(
            key=self.key,
            name=self.name,
            business_value=self.business_value,
            current=current,
            target=self.target,
        )


@dataclass(frozen=True)
class DimensionInput:
    """A readiness dimension's mean answer per side (None when nothing counts yet)."""

    key: str
    name: str
    it: float | None
    ot: float | None
    in_scope: bool = True

    @property
    def weak_sides(self) -> list[tuple[str, float]]:
        """("IT", 1.5) for each side below the minimum that live data needs."""
        if not self.in_scope:
            return []
        sides = (("IT", self.it), ("OT", self.ot))
        return [(s, v) for s, v in sides if v is not None and v < READINESS_MINIMUM]


# --- Milestones --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """A milestone the plan proposes; `key` names it across regenerations."""

    key: Hashable
    kind: str
    title: str
    description: str = ""
    action_key: str = ""
    responsibility: str = ""
    benefit: str = ""
    priority: float = 0.0
    explanation: str = ""
    process_key: str | None = None
    process_name: str = ""
    from_level: int | None = None
    to_level: int | None = None
    dimension_key: str = ""
    phase: str = ""
    done: bool = False


@dataclass(frozen=True)
class Slot:
    """A milestone already on a roadmap, as far as ordering and projection need it."""

    key: Hashable
    kind: str
    phase: str
    position: int = 0
    process_key: str | None = None
    to_level: int | None = None
    dimension_key: str = ""
    done: bool = False
    title: str = ""


def step_key(process_key: str, to_level: int) -> str:
    return f"step:{process_key}:{to_level}"


def readiness_key(dimension_key: str) -> str:
    return f"readiness:{dimension_key}"


def milestones_for(
    framework: Framework,
    processes: Sequence[ProcessInput],
    dimensions: Sequence[DimensionInput],
) -> list[Planned]:
    """Every milestone the assessment calls for, unscheduled: steps, then readiness."""
    steps = []
    for p in processes:
        if p.target is None:
            continue
        for to_level in range(p.current + 1, p.target + 1):
            steps.append(_step(framework, p, to_level))
    gated = [s for s in steps if s.to_level >= GATED_FROM_LEVEL]
    readiness = [_readiness(framework, d, gated) for d in dimensions if d.weak_sides and gated]
    return steps + readiness


def _step(framework: Framework, p: ProcessInput, to_level: int) -> Planned:
    actions = framework.transition_actions(p.area, to_level)
    from_level = to_level - 1
    if actions:
        first, others = actions[0], actions[1:]
        title, description = first.title, first.description
        action_key, responsibility, benefit = first.key, first.responsibility, first.benefit
    else:  # a framework always has actions; this keeps a hand-made one usable
        others = ()
        title = f"Raise {p.name} to level {to_level}"
        description, action_key, responsibility, benefit = "", "", "", ""
    if others:
        description += "\n\nAlso recommended for this step:\n" + "\n".join(
            f"- {a.title}" for a in others
        )
    return Planned(
        key=step_key(p.key, to_level),
        kind=STEP,
        title=title,
        description=description,
        action_key=action_key,
        responsibility=responsibility,
        benefit=benefit,
        priority=p.priority,
        explanation=p.explanation,
        process_key=p.key,
        process_name=p.name,
        from_level=from_level,
        to_level=to_level,
    )


def _readiness(framework: Framework, d: DimensionInput, gated: Sequence[Planned]) -> Planned:
    actions = framework.readiness_actions(d.key)
    first, others = actions[0], actions[1:]
    sides = " and ".join(f"{side} {scoring.format_figure(value)}" for side, value in d.weak_sides)
    why = (
        f"Why: {d.name} readiness is {sides} of 4, below the {READINESS_MINIMUM} that live data "
        f"needs, so every step to level {GATED_FROM_LEVEL} or above waits for this."
    )
    description = f"{first.description}\n\n{why}"
    if others:
        description += "\n\nAlso recommended:\n" + "\n".join(f"- {a.title}" for a in others)
    # The first of the highest-priority steps it gates names the number.
    top = max(gated, key=lambda s: s.priority)  # the first, on a tie
    priority = top.priority
    named = f"{top.process_name} {top.from_level} → {top.to_level}"
    if len(gated) == 1:
        explanation = f"{format_priority(priority)}, the priority of the step it gates: {named}"
    else:
        explanation = (
            f"{format_priority(priority)}, the highest priority of the {len(gated)} steps it "
            f"gates: {named}"
        )
    return Planned(
        key=readiness_key(d.key),
        kind=READINESS,
        title=first.title,
        description=description,
        action_key=first.key,
        responsibility=first.responsibility,
        benefit=first.benefit,
        priority=priority,
        explanation=explanation,
        dimension_key=d.key,
    )


# --- Order -------------------------------------------------------------------------------------


def prerequisites(items: Iterable) -> dict[Hashable, set[Hashable]]:
    """For each item's key, the keys of the items it must come after (derived from its kind).

    Items need `key`, `kind`, `process_key`, `to_level` and `dimension_key` (Planned or Slot).
    """
    items = list(items)
    steps = {(i.process_key, i.to_level): i.key for i in items if i.kind == STEP}
    readiness = {i.dimension_key: i.key for i in items if i.kind == READINESS}
    result = {}
    for i in items:
        before = set()
        if i.kind == STEP:
            below = steps.get((i.process_key, i.to_level - 1))
            if below is not None:
                before.add(below)
            if i.to_level >= GATED_FROM_LEVEL:
                before |= set(readiness.values())
        elif i.kind == READINESS:
            before |= {
                readiness[k]
                for k in READINESS_PREREQUISITES.get(i.dimension_key, ())
                if k in readiness
            }
        result[i.key] = before
    return result


def phase_rank(phase: str) -> int:
    return PHASES.index(phase)


def arrange(
    pinned: Sequence[Slot], free: Sequence[Planned], *, capacity: int
) -> list[tuple[Hashable, str]]:
    """The roadmap's order: (key, phase) for every item, first to last.

    `pinned` items keep their phase and relative order (people placed them, or they are under
    way); `free` items are placed in priority order, each in the first phase with room that
    is not before anything it waits for. Open pinned items use up their phase's capacity.
    """
    if capacity < 1:
        raise ValueError(f"capacity must be at least 1, got {capacity!r}")
    before = prerequisites([*pinned, *free])
    after = defaultdict(set)
    for key, keys in before.items():
        for b in keys:
            after[b].add(key)
    # Done work constrains nothing: it may sit anywhere.
    placed = {s.key: 0 if s.done else phase_rank(s.phase) for s in pinned}
    used = Counter(phase_rank(s.phase) for s in pinned if not s.done)
    order = [(s.key, phase_rank(s.phase)) for s in sorted(pinned, key=_slot_order)]
    remaining = list(free)
    while remaining:
        ready = [i for i in remaining if before[i.key] <= placed.keys()] or remaining
        item = min(ready, key=_priority_order)
        remaining.remove(item)
        lowest = max((placed[b] for b in before[item.key] if b in placed), default=0)
        waiting = [placed[d] for d in after[item.key] if d in placed and d not in before[item.key]]
        rank = _first_with_room(lowest, used, capacity)
        if waiting:  # something pinned already waits for it: never after that
            rank = min(rank, min(waiting))
        placed[item.key] = rank
        used[rank] += 1
        order.insert(_insertion_index(order, rank, after[item.key]), (item.key, rank))
    return [(key, PHASES[rank]) for key, rank in order]


def _first_with_room(lowest: int, used: Counter, capacity: int) -> int:
    for rank in range(lowest, len(PHASES) - 1):
        if used[rank] < capacity:
            return rank
    return len(PHASES) - 1


def _insertion_index(order, rank, dependents) -> int:
    """At the end of the phase, but before the first item in it that waits for this one."""
    index = sum(1 for _, r in order if r <= rank)
    start = sum(1 for _, r in order if r < rank)
    for i in range(start, index):
        if order[i][0] in dependents:
            return i
    return index


def _priority_order(item: Planned):
    return (
        -item.priority,
        0 if item.kind == READINESS else 1,
        item.process_name,
        item.to_level or 0,
        str(item.key),
    )


def _slot_order(slot: Slot):
    return (phase_rank(slot.phase), slot.position)


def schedule(items: Sequence[Planned], *, capacity: int) -> list[Planned]:
    """A fresh roadmap: the items in order, each with its phase."""
    by_key = {i.key: i for i in items}
    return [
        replace(by_key[key], phase=phase) for key, phase in arrange([], items, capacity=capacity)
    ]


@dataclass(frozen=True)
class OrderProblem:
    first: Slot
    then: Slot

    def __str__(self) -> str:
        return f"“{self.then.title}” must come after “{self.first.title}”."


def order_problems(slots: Sequence[Slot]) -> list[OrderProblem]:
    """Open items placed before something open they wait for."""
    by_key = {s.key: s for s in slots}
    problems = []
    for key, before in prerequisites(slots).items():
        item = by_key[key]
        if item.done:
            continue
        for b in sorted(before, key=str):
            first = by_key[b]
            if not first.done and _slot_order(first) > _slot_order(item):
                problems.append(OrderProblem(first=first, then=item))
    return problems


# --- Phases and projection ---------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseWindow:
    phase: str
    start: date
    end: date  # last day; for later, a nominal end used for due dates and the timeline
    open_ended: bool = False

    @property
    def name(self) -> str:
        return PHASE_NAMES[self.phase]


def phase_windows(start: date, days: int) -> list[PhaseWindow]:
    """now: the first `days` days from `start`, next: the following `days`, later: after."""
    if days < 1:
        raise ValueError(f"a phase must last at least one day, got {days!r}")
    return [
        PhaseWindow(
            phase=phase,
            start=start + timedelta(days=days * i),
            end=start + timedelta(days=days * (i + 1) - 1),
            open_ended=phase == "later",
        )
        for i, phase in enumerate(PHASES)
    ]


def projected_levels(
    processes: Sequence[ProcessInput], achieved: Iterable[tuple[str, int]]
) -> dict[str, int]:
    """Each process's level once the given (process key, to level) steps are done: a level
    counts only when every step below it is done too."""
    done = set(achieved)
    levels = {}
    for p in processes:
        level = p.current
        while level < 4 and (p.key, level + 1) in done:
            level += 1
        levels[p.key] = level
    return levels


def projected_index(processes: Sequence[ProcessInput], achieved) -> float | None:
    levels = projected_levels(processes, achieved)
    return scoring.samr_index(p.figures(levels[p.key]) for p in processes)


def phase_projections(
    processes: Sequence[ProcessInput], slots: Sequence[Slot]
) -> dict[str, float | None]:
    """The SAMR index once each phase's steps, and every earlier phase's, are done."""
    result = {}
    for rank, phase in enumerate(PHASES):
        achieved = [
            (s.process_key, s.to_level)
            for s in slots
            if s.kind == STEP and (s.done or phase_rank(s.phase) <= rank)
        ]
        result[phase] = projected_index(processes, achieved)
    return result


# --- Tracking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Burnup:
    """Done milestones over time and where a straight line through them meets the total."""

    start: date
    today: date
    points: list[tuple[date, int]]
    total: int
    done: int
    per_week: float | None
    projected_finish: date | None


def burnup(*, start: date, today: date, completed: Sequence[date], total: int) -> Burnup:
    """Cumulative done count per completion day; the finish date projects the average pace
    since the start (or the first completion, if earlier) until today."""
    completed = sorted(completed)
    origin = min([start, *completed[:1]])
    points = [(origin, 0)]
    for day, count in sorted(Counter(completed).items()):
        points.append((day, points[-1][1] + count))
    done = len(completed)
    if points[-1][0] < today:
        points.append((today, done))
    elapsed = max((today - origin).days, 1)
    per_day = done / elapsed if done else None
    if done and done >= total:
        finish = completed[-1]
    elif per_day:
        finish = today + timedelta(days=math.ceil((total - done) / per_day))
    else:
        finish = None
    per_week = None if per_day is None else round(per_day * 7, 2)
    return Burnup(origin, today, points, total, done, per_week, finish)


# --- Display -----------------------------------------------------------------------------------


def format_priority(x: float) -> str:
    """40 as "40", 30.5 as "30.5": at most two decimals, no trailing zeros."""
    text = scoring.format_figure(x, 2)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _clean(x: float) -> float:
    return scoring.round_figure(x, 2)


# --- Charts: plain rows in, Plotly figure dicts out (drawn by static/js/charts.js) ----------------

# The assessment charts' palette and Plotly config (assessments/charts), repeated here while
# that module is being split up; fold into its palette once it settles.
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
STATUS_COLOURS = {
    "planned": "#a9b4c2",
    "in_progress": "#2b6cb0",
    "blocked": "#b42318",
    "done": "#1e7a46",
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
                "y": [_short(r.label) for r in mine],
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
                    f"{r.label}<br>{PHASE_NAMES[r.phase]} · {name}"
                    f"{' · overdue' if r.overdue else ''}<br>"
                    f"{r.start:%d %b %Y} – {r.end:%d %b %Y}"
                    for r in mine
                ],
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    shapes = [_vline(today, INK, "dot")] + [_vline(w.start, GRID, "solid") for w in windows[1:]]
    # Phase names just above the plot, "today" a line higher: they never collide.
    annotations = [{**_label(today, "today", INK), "yshift": 16}] + [
        _label(w.start, w.name, MUTED) for w in windows
    ]
    layout = _layout(
        height=170 + 26 * max(len(rows), 1),
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
            "categoryarray": [_short(r.label) for r in rows],
        },
        shapes=shapes,
        annotations=annotations,
    )
    return {"data": data, "layout": layout, "config": dict(CONFIG)}


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
    layout = _layout(
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
    return {"data": data, "layout": layout, "config": dict(CONFIG)}


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
            "hovertemplate": "%{hovertext}<extra></extra>",
            "line": {"color": "#1f4e79", "width": 3},
        }
    ]
    shapes = []
    if target is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": target,
                "y1": target,
                "line": {"color": "#b45309", "dash": "dash", "width": 1.5},
            }
        )
    layout = _layout(
        height=240,
        showlegend=False,
        margin={"t": 20},
        xaxis={"type": "date", "gridcolor": GRID, "fixedrange": True},
        yaxis={"range": [0, 4.3], "dtick": 1, "gridcolor": GRID, "fixedrange": True},
        shapes=shapes,
        annotations=(
            [
                {
                    "xref": "paper",
                    "x": 0,
                    "y": target,
                    "text": f"target {scoring.format_figure(target)}",
                    "showarrow": False,
                    "xanchor": "left",
                    "yanchor": "bottom",
                    "font": {"color": "#b45309", "size": 12},
                }
            ]
            if target is not None
            else []
        ),
    )
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


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
