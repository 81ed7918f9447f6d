"""Benchmarks across the install: pure arithmetic over anonymous contributions, no Django.

A contribution is one opted-in organisation's latest final assessment (or an entry imported
from another install's pool): a value per area (the mean claimed, or verified, SAMR level of
its processes there) and per readiness dimension (IT and OT together).

The rules, the same for the page, the PDF and every export:

- **K = 5.** A figure is computed over a set of organisations and shown only when at least K
  of them are organisations the person looking is *not* a member of (`known` counts the others:
  their own organisation when it contributes, and any other contributing organisation they
  belong to, as a consultant may). Below that there is no figure and no count, so nobody can
  subtract what they know from what they see. A cut (one industry) follows the same rule on
  its own: a cut with 4 strangers shows nothing even when the whole install has 100.
- **What is shown depends on the number of strangers** (s = count - known). From K to
  FULL_AT - 1 (5 to 9) strangers: the median and the count only, and the viewer's standing as a
  quarter band ("bottom quarter" ... "top quarter"), never an exact percentile. From FULL_AT (10)
  strangers up: also Q1, Q3, the top quartile and the exact percentile rank. With few values
  the quartiles are order statistics themselves (n = 5: Q1, median and Q3 *are* the 2nd, 3rd
  and 4th values) and the top quartile is one equation away from the highest value
  (n = 5: highest = 3 * top - median - Q3), so below 10 strangers they are withheld.
- **Rounded to STEP (0.25).** Every shown statistic (median, Q1, Q3, top quartile) is rounded
  to the nearest quarter level, so an exact order statistic is never published: any
  stranger's value can move inside its rounding interval without changing what is seen.
- **Median and interquartile range**: computed (before rounding) by the "inclusive"
  linear-interpolation percentiles (Excel's PERCENTILE.INC, numpy's default,
  `statistics.quantiles(method="inclusive")`): the p-th percentile of n sorted values sits at
  position p * (n - 1), interpolating between the two values around it.
- **Top quartile**: the mean of the best quarter of the organisations, over at least
  TOP_AT_LEAST (3) + known of them, so the group always holds at least 3 strangers even when
  every organisation the viewer knows is in it; with the viewer's known values subtracted it is
  still a mean over three or more unknown values, never one organisation's value. Shown only
  from 10 strangers up, and rounded.
- **Percentile rank** of a value v among n values: (below + equal / 2) / n * 100, where below
  counts the values under v and equal those equal to it (v's own when it is in the set): the
  mid-rank rule, so ties and all-equal sets give 50, the lowest of five distinct values 10 and
  the highest 90. Rounded to a whole number; below 10 strangers only its quarter band is shown
  (0-24 bottom, 25-49 second, 50-74 third, 75-100 top quarter).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

K = 5
TOP_AT_LEAST = 3
FULL_AT = 10  # strangers from which quartiles, top quartile and the exact percentile show
STEP = 0.25  # every shown statistic is rounded to this
BANDS = ("bottom quarter", "second quarter", "third quarter", "top quarter")


@dataclass(frozen=True)
class Summary:
    median: float
    q1: float | None  # None below FULL_AT strangers
    q3: float | None
    top_quartile: float | None
    own: float | None  # the viewer's own value, when it has one
    percentile: int | None  # its exact percentile rank, only from FULL_AT strangers up
    band: str | None = None  # its quarter band, whenever it has a value


def rounded(x: float) -> float:
    """`x` to the nearest STEP (halves away from zero, as a person would)."""
    return math.floor(x / STEP + 0.5) * STEP


def band_of(rank: int) -> str:
    """The quarter band of a percentile rank (0-100)."""
    return BANDS[min(3, rank // 25)]


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) of `values`, inclusive linear interpolation."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def top_quartile(values: Sequence[float], *, known: int = 0) -> float:
    """The mean of the top quarter of `values`, at least TOP_AT_LEAST + `known` of them (so at
    least TOP_AT_LEAST strangers, wherever the known ones stand)."""
    count = max(TOP_AT_LEAST + known, math.ceil(len(values) / 4))
    top = sorted(values, reverse=True)[:count]
    return sum(top) / len(top)


def percentile_rank(values: Sequence[float], value: float) -> int:
    """Where `value` stands among `values`, 0-100 by the mid-rank rule."""
    below = sum(1 for v in values if v < value)
    equal = sum(1 for v in values if v == value)
    return round(100 * (below + equal / 2) / len(values))


def shown(count: int, *, known: int = 0) -> bool:
    """A figure over `count` organisations, `known` of them the viewer's, may be shown."""
    return count - known >= K


def summarise(
    values: Sequence[float], *, known: int = 0, own: float | None = None
) -> Summary | None:
    """The benchmark of `values` as shown, or None when fewer than K of them are strangers'
    (see the module's docstring). `own` is the viewer's value, ranked among `values`."""
    if not shown(len(values), known=known):
        return None
    full = len(values) - known >= FULL_AT
    rank = None if own is None else percentile_rank(values, own)
    return Summary(
        median=rounded(percentile(values, 50)),
        q1=rounded(percentile(values, 25)) if full else None,
        q3=rounded(percentile(values, 75)) if full else None,
        top_quartile=rounded(top_quartile(values, known=known)) if full else None,
        own=own,
        percentile=rank if full else None,
        band=None if rank is None else band_of(rank),
    )
