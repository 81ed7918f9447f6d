"""Outcome KPIs: did a milestone move the figure it was meant to move? Pure, no Django.

A KPI is one value per day (an integration metric's daily mean, sum, max, min or last, read
from the hour rollups by `integration.services.daily`). A milestone names a KPI, a start date
and an expected change in percent (signed: -10 means "down by a tenth").

Rules:
- The **baseline window** is the `window_days` days before the start date: [start - N, start).
  It is frozen (stored on the milestone) once the start date has passed, and read from that
  copy afterwards, whatever happens to the telemetry.
- The **after window** is the N days from the day after the milestone was done:
  [done + 1, done + 1 + N), cut at today (only whole days count). It is complete once today
  is past its end; until then the figures are interim.
- Each window needs at least `min_days(N)` days with data: half the window, and never fewer
  than 3. Below that the answer is "not enough data".
- The **change** is (mean after - mean before) / |mean before| in percent. A zero baseline
  has no relative change ("not enough data", with that reason).
- The **confidence interval** (95 %) is a percentile bootstrap over days: each window's days
  are resampled with replacement, `RESAMPLES` times, from a random generator seeded with
  `SEED`, so the same data always gives the same interval (page, export and PDF agree).
- The **verdict**: realised when the whole interval lies on the better side of zero and the
  change reaches the expected change (its size, in its direction); partly when the interval is
  on the better side but the change falls short; worse when the whole interval is on the worse
  side; unclear when the interval spans zero.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

AGGREGATES = {
    "mean": "Daily mean",
    "sum": "Daily total",
    "max": "Daily maximum",
    "min": "Daily minimum",
    "last": "Last value of the day",
}
BETTER = {"lower": "Lower is better", "higher": "Higher is better"}
RESAMPLES = 1000
SEED = 20261206
CONFIDENCE = 95

# Verdicts
REALISED, PARTLY, UNCLEAR, WORSE = "realised", "partly", "unclear", "worse"
VERDICTS = {
    REALISED: "Benefit realised",
    PARTLY: "Improved, short of expected",
    UNCLEAR: "No clear change",
    WORSE: "Worse than before",
}


def min_days(window_days: int) -> int:
    """Days with data each window needs: half the window, at least 3."""
    return max(3, math.ceil(window_days / 2))


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # exclusive

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)


def baseline_window(start: date, window_days: int) -> Window:
    return Window(start - timedelta(days=window_days), start)


def after_window(done: date, window_days: int) -> Window:
    first = done + timedelta(days=1)
    return Window(first, first + timedelta(days=window_days))


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def relative_change(before: float, after: float) -> float:
    """Percent change from `before` to `after`; `before` must not be zero."""
    return (after - before) / abs(before) * 100


def bootstrap_interval(
    before: list[float], after: list[float], *, resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float, float]:
    """The 95 % percentile interval of the relative change, resampling days of each window."""
    rng = random.Random(seed)
    changes = []
    for _ in range(resamples):
        b = mean(rng.choices(before, k=len(before)))
        a = mean(rng.choices(after, k=len(after)))
        if b != 0:
            changes.append(relative_change(b, a))
    changes.sort()
    if not changes:
        return (math.nan, math.nan)
    tail = (100 - CONFIDENCE) / 200
    return (_percentile(changes, tail), _percentile(changes, 1 - tail))


def _percentile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def reaches(change: float, expected: float | None) -> bool:
    """Whether `change` is at least the expected change, in the expected direction."""
    if expected is None or expected == 0:
        return True
    return change <= expected if expected < 0 else change >= expected


@dataclass(frozen=True)
class Outcome:
    """What a milestone's KPI did. `state`: measured or not-enough-data (with `reason`)."""

    state: str
    baseline_days: int
    after_days: int
    needed_days: int
    before_mean: float | None = None
    after_mean: float | None = None
    change: float | None = None
    low: float | None = None
    high: float | None = None
    verdict: str = ""
    reason: str = ""

    @property
    def measured(self) -> bool:
        return self.state == "measured"

    @property
    def verdict_label(self) -> str:
        return VERDICTS.get(self.verdict, "")


def outcome(
    before: dict[date, float],
    after: dict[date, float],
    *,
    window_days: int,
    better: str,
    expected: float | None,
) -> Outcome:
    """Compare the baseline's days with the after window's days (rules in the module doc)."""
    needed = min_days(window_days)
    counts = {"baseline_days": len(before), "after_days": len(after), "needed_days": needed}
    if len(before) < needed or len(after) < needed:
        short = "baseline" if len(before) < needed else "after window"
        got = len(before) if short == "baseline" else len(after)
        reason = f"{got} of {window_days} days with data in the {short}; {needed} needed"
        return Outcome("not-enough-data", reason=reason, **counts)
    before_values = [before[d] for d in sorted(before)]
    after_values = [after[d] for d in sorted(after)]
    before_mean, after_mean = mean(before_values), mean(after_values)
    if before_mean == 0:
        reason = "the baseline's mean is zero, so there is no relative change"
        return Outcome("not-enough-data", reason=reason, before_mean=0.0, **counts)
    change = relative_change(before_mean, after_mean)
    low, high = bootstrap_interval(before_values, after_values)
    sign = -1 if better == "lower" else 1
    better_side = sorted((low * sign, high * sign))
    if better_side[0] > 0:
        verdict = REALISED if reaches(change, expected) else PARTLY
    elif better_side[1] < 0:
        verdict = WORSE
    else:
        verdict = UNCLEAR
    return Outcome(
        "measured",
        before_mean=before_mean,
        after_mean=after_mean,
        change=change,
        low=low,
        high=high,
        verdict=verdict,
        **counts,
    )


def percent(value: float | None) -> str:
    """A signed whole percent with a real minus sign: −18 %, +4 %, 0 %."""
    if value is None or math.isnan(value):
        return "–"
    rounded = round(value)
    if rounded == 0:
        return "0 %"
    return f"{'+' if rounded > 0 else '−'}{abs(rounded)} %"
