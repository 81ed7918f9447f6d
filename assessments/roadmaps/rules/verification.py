"""Acceptance criteria on telemetry: the rules and the verdict, without a database.

A criterion names one integration and asks one of:

- **uptime** ≥ X % over N days: the share of the integration's expected reporting intervals in
  the last N days (counted from its creation when that is later) that had a point or a
  heartbeat, as `integration.health.uptime` counts it for the integration's own page.
- **freshness** ≤ N seconds: the time since its last point or heartbeat, in whole seconds
  rounded up (so "61 s" fails "≤ 60 s" and the text never contradicts the verdict).
- **aggregate**: the average, minimum, maximum or sum of a metric's points over N days,
  compared with <, ≤, ≥ or > a threshold. The window is the minutes that start in the last N
  days: from the first whole minute at or after `now` − N days up to `now`, read from the
  minute and hour rollups (`aggregate_reads`).

With nothing to judge (no data ever, no complete interval yet, no point of the metric in the
window, an unknown metric) a criterion fails and says why. A milestone is **verified** when every
one of its criteria passed at its last check, **not verified** when one failed, and a done
milestone that is not verified shows as "done, not verified".
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from assessments.roadmaps.rules.priority import format_priority as format_number

UPTIME, FRESHNESS, AGGREGATE = "uptime", "freshness", "aggregate"
KINDS = {
    UPTIME: "Uptime over a window",
    FRESHNESS: "Freshness of the latest data",
    AGGREGATE: "Aggregate of a metric over a window",
}
AGGREGATES = {"avg": "average", "min": "minimum", "max": "maximum", "sum": "sum"}
COMPARISONS = {
    "<": (operator.lt, "<"),
    "<=": (operator.le, "≤"),
    ">=": (operator.ge, "≥"),
    ">": (operator.gt, ">"),
}
VERIFIED, FAILED, UNCHECKED = "verified", "failed", "unchecked"
# Float noise (0.99 * 100 = 98.99999999999999) must not fail a criterion that is met exactly.
_PLACES = 9


@dataclass(frozen=True)
class Rule:
    """What a criterion asks; `threshold` is a percentage for uptime, seconds for freshness."""

    kind: str
    threshold: float
    window_days: int | None = None
    metric: str = ""
    aggregate: str = ""
    comparison: str = ""

    def __str__(self) -> str:
        if self.kind == UPTIME:
            return f"uptime {_requirement(self)} over {_days(self.window_days)}"
        if self.kind == FRESHNESS:
            return f"freshness {_requirement(self)}"
        return (
            f"{AGGREGATES[self.aggregate]} of {self.metric} over {_days(self.window_days)} "
            f"{_requirement(self)}"
        )


@dataclass(frozen=True)
class Totals:
    """Count, minimum, maximum and sum of a metric's points in a window."""

    count: int
    minimum: float
    maximum: float
    total: float

    def value(self, aggregate: str) -> float:
        if aggregate == "avg":
            return self.total / self.count
        return {"min": self.minimum, "max": self.maximum, "sum": self.total}[aggregate]


def totals(rows: Iterable[tuple[int, float, float, float]]) -> Totals | None:
    """(count, min, max, sum) rows, e.g. rollup buckets, combined; None when nothing counts."""
    rows = [r for r in rows if r[0]]
    if not rows:
        return None
    return Totals(
        count=sum(r[0] for r in rows),
        minimum=min(r[1] for r in rows),
        maximum=max(r[2] for r in rows),
        total=math.fsum(r[3] for r in rows),
    )


@dataclass(frozen=True)
class Figures:
    """What telemetry says, as far as the rule needs; `problem` when it cannot say."""

    uptime: float | None = None  # share from 0 to 1
    counted: timedelta | None = None  # how much of the uptime window counted (creation)
    freshness: timedelta | None = None
    totals: Totals | None = None
    unit: str = ""
    problem: str = ""


@dataclass(frozen=True)
class Result:
    passed: bool
    value: float | None  # uptime in %, freshness in s, the aggregate in the metric's unit
    explanation: str


def evaluate(rule: Rule, figures: Figures) -> Result:
    """Whether the figures meet the rule, the measured value, and a sentence saying so."""
    if figures.problem:
        return Result(False, None, f"{figures.problem}; needs {_requirement(rule)}")
    if rule.kind == UPTIME:
        return _uptime(rule, figures)
    if rule.kind == FRESHNESS:
        return _freshness(rule, figures)
    if rule.kind == AGGREGATE:
        return _aggregate(rule, figures)
    raise ValueError(f"unknown criterion kind {rule.kind!r}")


def _uptime(rule: Rule, figures: Figures) -> Result:
    window = _days(rule.window_days)
    if figures.uptime is None:
        return Result(
            False,
            None,
            f"uptime over {window} not measurable yet: no complete reporting interval; "
            f"needs {_requirement(rule)}",
        )
    value = figures.uptime * 100
    passed = round(value, _PLACES) >= rule.threshold
    counted = ""
    if figures.counted is not None and figures.counted < timedelta(days=rule.window_days):
        counted = f" (counted since it was created {_age(figures.counted)} ago)"
    measured = f"uptime {_percent(figures.uptime)} over {window}{counted}"
    return Result(passed, value, _verdict(measured, passed, rule))


def _freshness(rule: Rule, figures: Figures) -> Result:
    if figures.freshness is None:
        return Result(False, None, f"no data received yet; needs {_requirement(rule)}")
    seconds = math.ceil(round(figures.freshness.total_seconds(), _PLACES))
    passed = seconds <= rule.threshold
    measured = f"last data {_age(seconds)} ago"
    return Result(passed, float(seconds), _verdict(measured, passed, rule))


def _aggregate(rule: Rule, figures: Figures) -> Result:
    window = _days(rule.window_days)
    if figures.totals is None:
        return Result(
            False, None, f"no {rule.metric} points in the last {window}; needs {_requirement(rule)}"
        )
    value = figures.totals.value(rule.aggregate)
    passed = COMPARISONS[rule.comparison][0](round(value, _PLACES), rule.threshold)
    unit = f" {figures.unit}" if figures.unit else ""
    measured = f"{AGGREGATES[rule.aggregate]} of {rule.metric} over {window} {format_number(value)}"
    return Result(passed, value, _verdict(measured + unit, passed, rule, unit))


def _verdict(measured: str, passed: bool, rule: Rule, unit: str = "") -> str:
    required = _requirement(rule) + unit
    return f"{measured} {required}" if passed else f"{measured}; needs {required}"


def _requirement(rule: Rule) -> str:
    if rule.kind == UPTIME:
        return f"≥ {format_number(rule.threshold)} %"
    if rule.kind == FRESHNESS:
        return f"≤ {format_number(rule.threshold)} s"
    return f"{COMPARISONS[rule.comparison][1]} {format_number(rule.threshold)}"


# --- Verdict for a milestone ---------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """A milestone's verdict from its criteria's last checks."""

    state: str  # VERIFIED, FAILED or UNCHECKED
    done: bool
    checked: datetime | None  # the oldest of the last checks: the verdict is as old as that

    @property
    def label(self) -> str:
        if self.state == FAILED:
            return "Done, not verified" if self.done else "Not verified"
        return {VERIFIED: "Verified", UNCHECKED: "Not checked yet"}[self.state]


def verification(
    checks: Iterable[tuple[bool | None, datetime | None]], *, done: bool
) -> Verification | None:
    """From (passed, checked) per criterion: None without criteria; FAILED if one failed its
    last check, UNCHECKED if one was never checked, else VERIFIED."""
    checks = list(checks)
    if not checks:
        return None
    passed = [p for p, _ in checks]
    if False in passed:
        state = FAILED
    elif None in passed:
        state = UNCHECKED
    else:
        state = VERIFIED
    times = [t for _, t in checks if t is not None]
    return Verification(
        state=state, done=done, checked=min(times) if len(times) == len(checks) else None
    )


# --- The aggregate window ------------------------------------------------------------------------


def aggregate_window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """[first whole minute at or after now − days, now)."""
    start = now.astimezone(UTC) - timedelta(days=days)
    floor = start.replace(second=0, microsecond=0)
    return (floor if floor == start else floor + timedelta(minutes=1)), now


def aggregate_reads(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """The rollup reads (step, start, end) that cover [start, end) exactly, for a whole-minute
    `start`: minutes up to the first whole hour, hours, then the minutes of the last hour."""
    first_hour = _ceil_hour(start)
    last_hour = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if first_hour >= end:
        reads = [("1m", start, end)]
    else:
        reads = [("1m", start, first_hour), ("1h", first_hour, last_hour), ("1m", last_hour, end)]
    return [(step, a, b) for step, a, b in reads if a < b]


def _ceil_hour(ts: datetime) -> datetime:
    floor = ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return floor if floor == ts else floor + timedelta(hours=1)


# --- Display -------------------------------------------------------------------------------------


def _days(days: int | None) -> str:
    return "1 day" if days == 1 else f"{days} days"


def _percent(share: float) -> str:
    """One decimal, rounded down: 98.96 % reads 98.9 %, never a 99 % it did not reach."""
    tenths = math.floor(round(share * 1000, _PLACES - 3))
    return f"{tenths // 10} %" if tenths % 10 == 0 else f"{tenths / 10:.1f} %"


def _age(age: timedelta | int | float) -> str:
    """42 s, 12 min, 5 h, 4 d: the largest unit, rounded down."""
    seconds = int(age.total_seconds() if isinstance(age, timedelta) else age)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
