"""Every figure an assessment shows, computed from plain inputs: no database, no Django.

The database layer turns rows into the inputs below and calls these functions; the page, the
API, the export and the PDF show the results through `round_figure()` / `format_figure()`, so
they all show the same string.

Rules worth knowing (the tests spell each one out):

- SAMR levels are earned cumulatively (the C2M2 rule). A level counts when every criterion of
  it that is not N/A is largely or fully met and every lower level counts; a level whose
  criteria are all N/A (or that has none) is passed through. A process is above level 0 only
  when at least one criterion of the levels it has reached is met, so an unanswered or all-N/A
  process is level 0. An unanswered criterion (None) is not met.
- Means are computed exactly (fractions) and converted to float once, so the only rounding a
  figure goes through is the one `round_figure()` makes for display.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

LEVELS = (0, 1, 2, 3, 4)
CRITERIA_LEVELS = (1, 2, 3, 4)
BUSINESS_VALUES = range(1, 6)
READINESS_SCORES = range(0, 5)
NO_FIGURE = "–"  # en dash, shown wherever a figure is undefined


class Status(StrEnum):
    """An answer to one SAMR criterion."""

    NOT = "not"
    PARTIAL = "partial"
    LARGELY = "largely"
    FULLY = "fully"
    NA = "na"


MET = frozenset({Status.LARGELY, Status.FULLY})
_RANKS = {Status.NOT: 0, Status.PARTIAL: 1, Status.LARGELY: 2, Status.FULLY: 3}


def is_met(status: Status | None) -> bool:
    """Whether a criterion answer is met: largely or fully (unanswered is not met)."""
    return status is not None and Status(status) in MET


def status_rank(status: Status) -> int | None:
    """Ordinal of a status for `spread()`: not 0, partial 1, largely 2, fully 3; N/A is None."""
    return _RANKS.get(Status(status))


# --- SAMR level of one process ---------------------------------------------------------------


@dataclass(frozen=True)
class Blocker:
    """A criterion that keeps a process from the next level: its level, position and answer."""

    level: int
    index: int
    status: Status | None


def current_level(criteria: Mapping[int, Sequence[Status | None]]) -> int:
    """The SAMR level (0-4) a process has earned from its criteria answers, level by level."""
    levels = _criteria_by_level(criteria)
    first_unmet = _first_level_not_counting(levels)
    reached = 4 if first_unmet is None else first_unmet - 1
    # N/A levels pass through, but they alone earn nothing: something must actually be met.
    earned = any(is_met(s) for level in range(1, reached + 1) for s in levels[level])
    return reached if earned else 0


def blockers(criteria: Mapping[int, Sequence[Status | None]]) -> list[Blocker]:
    """The unmet, non-N/A criteria of the first level that does not count (empty when none)."""
    levels = _criteria_by_level(criteria)
    first_unmet = _first_level_not_counting(levels)
    if first_unmet is None:
        return []
    return [
        Blocker(level=first_unmet, index=index, status=status)
        for index, status in enumerate(levels[first_unmet])
        if not _counts(status)
    ]


def _criteria_by_level(
    criteria: Mapping[int, Sequence[Status | None]],
) -> dict[int, tuple[Status | None, ...]]:
    unknown = set(criteria) - set(CRITERIA_LEVELS)
    if unknown:
        raise ValueError(f"criteria levels must be 1-4, got {sorted(unknown, key=repr)}")
    return {
        level: tuple(None if s is None else Status(s) for s in criteria.get(level, ()))
        for level in CRITERIA_LEVELS
    }


def _counts(status: Status | None) -> bool:
    return status == Status.NA or is_met(status)


def _first_level_not_counting(levels: Mapping[int, Sequence[Status | None]]) -> int | None:
    for level in CRITERIA_LEVELS:
        if not all(_counts(s) for s in levels[level]):
            return level
    return None


# --- Processes of an assessment --------------------------------------------------------------


@dataclass(frozen=True)
class ProcessFigures:
    """One process as scored in an assessment: business value 1-5, levels 0-4."""

    key: str
    name: str
    business_value: int
    current: int
    target: int | None = None

    def __post_init__(self) -> None:
        if not _is_int(self.business_value) or self.business_value not in BUSINESS_VALUES:
            raise ValueError(f"{self.key}: business value must be 1-5, got {self.business_value!r}")
        _check_level(self.current, f"{self.key}: current level")
        if self.target is not None:
            _check_level(self.target, f"{self.key}: target level")


def gap(*, current: int, target: int | None) -> int:
    """Levels still to climb: target - current, never negative; 0 without a target."""
    _check_level(current, "current level")
    if target is None:
        return 0
    _check_level(target, "target level")
    return max(target - current, 0)


def gap_weight(*, current: int, target: int | None) -> int:
    """The published roadmap gap weight (1 + gap)^2 - 1: 0, 3, 8, 15, 24 for gaps 0-4."""
    # Built on gap() so a target below the current level weighs 0, not (1 + negative)^2 - 1.
    return (1 + gap(current=current, target=target)) ** 2 - 1


def samr_index(processes: Iterable[ProcessFigures]) -> float | None:
    """Business-value-weighted mean of the current levels; None without processes."""
    return _weighted_mean((p.current, p.business_value) for p in processes)


def target_index(processes: Iterable[ProcessFigures]) -> float | None:
    """Weighted mean of the target levels (current level where no target is set)."""
    return _weighted_mean(
        (p.current if p.target is None else p.target, p.business_value) for p in processes
    )


def level_distribution(processes: Iterable[ProcessFigures]) -> dict[int, int]:
    """How many processes sit at each current level, every level 0-4 present."""
    counts = dict.fromkeys(LEVELS, 0)
    for process in processes:
        counts[process.current] += 1
    return counts


def _check_level(level: int, what: str) -> None:
    if not _is_int(level) or level not in LEVELS:
        raise ValueError(f"{what} must be 0-4, got {level!r}")


# --- IT/OT readiness -------------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionFigures:
    """Readiness of one dimension: mean per side, both sides together, IT minus OT."""

    key: str
    it: float | None
    ot: float | None
    combined: float | None
    gap: float | None
    in_scope: bool = True


def dimension_readiness(
    *, key: str, it: Sequence[int | None], ot: Sequence[int | None], in_scope: bool = True
) -> DimensionFigures:
    """Figures of one dimension from its IT and OT answers (0-4, None for N/A)."""
    if not in_scope:
        return DimensionFigures(key, it=None, ot=None, combined=None, gap=None, in_scope=False)
    it_scores = _readiness_scores(it, f"{key} (IT)")
    ot_scores = _readiness_scores(ot, f"{key} (OT)")
    it_mean = _exact_mean(it_scores)
    ot_mean = _exact_mean(ot_scores)
    return DimensionFigures(
        key,
        it=_to_float(it_mean),
        ot=_to_float(ot_mean),
        combined=_to_float(_exact_mean(it_scores + ot_scores)),
        gap=None if it_mean is None or ot_mean is None else float(it_mean - ot_mean),
    )


def overall_readiness(dimensions: Iterable[DimensionFigures]) -> float | None:
    """Mean of the in-scope dimensions' combined figures, each dimension weighing the same."""
    return _to_float(
        _exact_mean([d.combined for d in dimensions if d.in_scope and d.combined is not None])
    )


def convergence_gap(dimensions: Iterable[DimensionFigures]) -> float | None:
    """Mean absolute IT/OT gap over the in-scope dimensions answered on both sides."""
    return _to_float(
        _exact_mean([abs(d.gap) for d in dimensions if d.in_scope and d.gap is not None])
    )


def _readiness_scores(answers: Sequence[int | None], what: str) -> list[int]:
    scores = [a for a in answers if a is not None]
    for score in scores:
        if not _is_int(score) or score not in READINESS_SCORES:
            raise ValueError(f"{what}: readiness answers must be 0-4 or N/A, got {score!r}")
    return scores


# --- Assessors' answers to one question ------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """How the assessors' answers to one question differ; n counts answers other than N/A."""

    min: int | None
    max: int | None
    range: int | None
    mean: float | None
    n: int
    na: int
    agreed: bool


def spread(values: Sequence[int | None]) -> Spread:
    """Spread of the assessors' answers (None is N/A); agreed when all non-N/A answers match."""
    answered = [v for v in values if v is not None]
    if not answered:
        return Spread(min=None, max=None, range=None, mean=None, n=0, na=len(values), agreed=True)
    low, high = min(answered), max(answered)
    return Spread(
        min=low,
        max=high,
        range=high - low,
        mean=_to_float(_exact_mean(answered)),
        n=len(answered),
        na=len(values) - len(answered),
        agreed=low == high,
    )


# --- Comparing two assessments ---------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One figure in two assessments; delta is after - before, None when either is missing."""

    key: str
    before: float | None
    after: float | None
    delta: float | None


def compare(before: Mapping[str, float | None], after: Mapping[str, float | None]) -> list[Change]:
    """One change per key of either side: keys of `before` in order, then keys new in `after`."""
    keys = [*before, *(k for k in after if k not in before)]
    changes = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        delta = None if old is None or new is None else float(Fraction(new) - Fraction(old))
        changes.append(Change(key=key, before=old, after=new, delta=delta))
    return changes


def most_improved(changes: Iterable[Change], n: int = 5) -> list[Change]:
    """Up to n changes that went up, largest rise first, ties by key."""
    return _ranked(changes, n=n, sign=1)


def most_concerning(changes: Iterable[Change], n: int = 5) -> list[Change]:
    """Up to n changes that went down, largest fall first, ties by key."""
    return _ranked(changes, n=n, sign=-1)


def _ranked(changes: Iterable[Change], *, n: int, sign: int) -> list[Change]:
    if n < 0:
        raise ValueError(f"n must not be negative, got {n!r}")
    # Rank on deltas cleared of float noise, so 0.35 - 0.1 ties with 1.25 - 1.0.
    signed = [
        (sign * _cleared(c.delta), c.key, c)
        for c in changes
        if c.delta is not None and sign * _cleared(c.delta) > 0
    ]
    signed.sort(key=lambda item: (-item[0], item[1]))
    return [c for _, _, c in signed[:n]]


# --- Display ---------------------------------------------------------------------------------


def round_figure(x: float | None, places: int = 2) -> float | None:
    """A figure rounded half up (2.345 -> 2.35) for display; None stays None."""
    return None if x is None else float(_rounded(x, places))


def format_figure(x: float | None, places: int = 2) -> str:
    """A figure as every output shows it: "2.35", or an en dash when undefined."""
    return NO_FIGURE if x is None else format(_rounded(x, places), "f")


def _rounded(x: float, places: int) -> Decimal:
    if places < 0:
        raise ValueError(f"places must not be negative, got {places!r}")
    exact = _cleared(x)
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded if rounded else abs(rounded)  # never "-0.00"


def _cleared(x: float) -> Decimal:
    # Figures are ratios of small integers, so anything below 1e-9 is float noise: clearing it
    # lets 4.449999999999999 (5.55 - 1.1) round as the 4.45 it stands for.
    if not math.isfinite(x):
        raise ValueError(f"figure must be a finite number, got {x!r}")
    return Decimal(str(x)).quantize(Decimal("1e-9"), rounding=ROUND_HALF_EVEN)


# --- Exact means -----------------------------------------------------------------------------


def _exact_mean(values: Sequence[float]) -> Fraction | None:
    if not values:
        return None
    return sum(map(Fraction, values), Fraction(0)) / len(values)


def _weighted_mean(pairs: Iterable[tuple[int, int]]) -> float | None:
    total = weights = 0
    for value, weight in pairs:
        total += value * weight
        weights += weight
    return None if weights == 0 else float(Fraction(total, weights))


def _to_float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- several assessors: which answer counts -------------------------------------------------

NO_AGREEMENT = object()  # sentinel: None is a real answer (N/A) for readiness questions


class Settlement(StrEnum):
    UNANSWERED = "unanswered"
    UNANIMOUS = "unanimous"
    AGREED = "agreed"
    DISPUTED = "disputed"


@dataclass(frozen=True)
class Settled:
    value: object
    state: Settlement

    @property
    def counts(self) -> bool:
        """Only settled answers (unanimous or agreed by the facilitator) feed the figures."""
        return self.state in (Settlement.UNANIMOUS, Settlement.AGREED)


def settle(values: Sequence[object], agreement: object = NO_AGREEMENT) -> Settled:
    """The facilitator's agreed answer wins; otherwise the assessors' answer if they all agree."""
    if agreement is not NO_AGREEMENT:
        return Settled(agreement, Settlement.AGREED)
    if not values:
        return Settled(None, Settlement.UNANSWERED)
    if all(v == values[0] for v in values):
        return Settled(values[0], Settlement.UNANIMOUS)
    return Settled(None, Settlement.DISPUTED)
