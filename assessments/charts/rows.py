"""Plain rows read from `AssessmentFigures`: what every chart and table of them draws.

Nothing here knows how a chart is drawn, so the page (Plotly) and the PDF (SVG) show the same
numbers; a comparison's bar series (`process_series`, `dimension_series`) also name their
palette colour, so both draw them alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from assessments import scoring
from assessments.charts.palette import (
    AFTER_COLOUR,
    BEFORE_COLOUR,
    IT_COLOUR,
    LEVEL_NAMES,
    OT_COLOUR,
)
from assessments.scoring import Settlement, format_figure, status_rank

STATUS_TICKS = ("Not met", "Partially", "Largely", "Fully")  # status_rank 0-3
READINESS_MAX = 4
NA_POSITION = -1  # where the spread chart draws N/A answers, left of the scale


def scale_label(scale: str, value: int) -> str:
    """An answer on a spread row's scale: "Largely" for criteria, "3" for readiness."""
    if value == NA_POSITION:
        return "N/A"
    return STATUS_TICKS[value] if scale == "criteria" else str(value)


# --- One assessment --------------------------------------------------------------------------


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
    scored: bool = True  # False until someone answers one of its criteria
    verified: int | None = None  # its verified level; None where not known (or not recorded)

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
    def unverified(self) -> bool:
        """Claims a level above its verified level."""
        return self.verified is not None and self.verified < self.current

    @property
    def climb_text(self) -> str:
        """The climb to the target in words, as the gap charts label it."""
        if self.target is None:
            return "no target"
        if self.gap == 0:
            return "on target"
        return f"{self.gap} level{'s' if self.gap != 1 else ''}: {self.current} → {self.target}"

    def claimed_unverified(self, level: int) -> bool:
        """`level` is claimed (reached) but above the verified level."""
        return self.unverified and self.verified < level <= self.current

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
            f"{scale_label(self.scale, v)} ×{n}" for v, n in sorted(counts.items(), reverse=True)
        ]
        if self.na:
            parts.append(f"N/A ×{self.na}")
        return " · ".join(parts)

    @property
    def agreed_display(self) -> str:
        if self.disputed:
            return "disputed"
        return "N/A" if self.agreed is None else scale_label(self.scale, self.agreed)


def process_rows(figures, verification=None) -> list[ProcessRow]:
    """The assessment's processes, in the figures' order (by name); with their verified levels
    when given the assessment's `verification` (`assessments.verified.status`)."""
    names = level_names(figures)
    verified = {}
    if verification is not None:
        verified = {pid: v.verified for pid, v in verification.processes.items()}
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
            scored=p.scored,
            verified=verified.get(p.process.pk),
        )
        for p in figures.processes
    ]


def climb_order(processes: Sequence[ProcessRow]) -> list[ProcessRow]:
    """The gap charts' order: the most valuable process first, then the longer climb, then name."""
    return sorted(processes, key=lambda p: (-p.business_value, -p.gap, p.name))


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
    # sorted() is stable: rows that tie keep the order above.
    return sorted(rows, key=lambda r: (not r.disputed, -_width(r)))


def level_names(figures) -> tuple[str, ...]:
    """The SAMR level names of the assessment's framework version, level 0 first."""
    levels = figures.assessment.framework.definition.samr_levels
    return tuple(level.name for level in sorted(levels, key=lambda lv: lv.level))


def _width(r: SpreadRow) -> int:
    return (r.high - r.low) if r.values else 0


# --- Two assessments compared ----------------------------------------------------------------


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


# The headline figures: attribute of AssessmentFigures, name, whether a fall is good news.
_HEADLINE = (
    ("samr_index", "SAMR index", False),
    ("target_index", "Target index", False),
    ("overall_readiness", "Overall readiness", False),
    ("convergence_gap", "IT/OT convergence gap", True),
)


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


@dataclass(frozen=True)
class ChangeSeries:
    """One series of a comparison's grouped bars: a value per category, in palette colour;
    `opacity` below 1 marks the pale "before" of a pair."""

    name: str
    values: Sequence[float | None]
    colour: str
    opacity: float = 1.0


def process_series(result: Comparison) -> list[ChangeSeries]:
    """SAMR level per process: before, then after."""
    rows = result.processes
    return [
        ChangeSeries(result.before_label, [r.before for r in rows], BEFORE_COLOUR),
        ChangeSeries(result.after_label, [r.after for r in rows], AFTER_COLOUR),
    ]


def dimension_series(result: Comparison) -> list[ChangeSeries]:
    """IT then OT readiness per dimension, each before (pale) and after."""
    series = []
    for side, colour in (("it", IT_COLOUR), ("ot", OT_COLOUR)):
        changes = [getattr(d, side) for d in result.dimensions]
        series += [
            ChangeSeries(
                f"{side.upper()} · {result.before_label}",
                [c.before for c in changes],
                colour,
                opacity=0.35,
            ),
            ChangeSeries(
                f"{side.upper()} · {result.after_label}", [c.after for c in changes], colour
            ),
        ]
    return series


def level_ticks(result: Comparison) -> list[str]:
    """The SAMR axis' tick labels: "0 Substitution", ..."""
    return [f"{lv} {name}" for lv, name in enumerate(result.level_names)]


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
    old = {attribute: getattr(before, attribute) for attribute, _, _ in _HEADLINE}
    new = {attribute: getattr(after, attribute) for attribute, _, _ in _HEADLINE}
    return [
        ChangeRow(c.key, name, name, c.before, c.after, c.delta, lower_is_better=lower_is_better)
        for c, (_, name, lower_is_better) in zip(scoring.compare(old, new), _HEADLINE, strict=True)
    ]


def _assessment_label(assessment) -> str:
    return f"{assessment.title} ({assessment.assessed_on:%d %b %Y})"
