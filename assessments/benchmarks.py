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
- **Median and interquartile range**: the "inclusive" linear-interpolation percentiles
  (Excel's PERCENTILE.INC, numpy's default, `statistics.quantiles(method="inclusive")`): the
  p-th percentile of n sorted values sits at position p * (n - 1), interpolating between the
  two values around it.
- **Top quartile**: the mean of the best quarter of the organisations, and never fewer than
  TOP_AT_LEAST (3) of them, so it is never one organisation's value, nor one known value away
  from one.
- **Percentile rank** of a value v among n values: (below + equal / 2) / n * 100, where below
  counts the values under v and equal those equal to it (v's own when it is in the set): the
  mid-rank rule, so ties and all-equal sets give 50, the lowest of five distinct values 10 and
  the highest 90. Rounded to a whole number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

K = 5
TOP_AT_LEAST = 3


@dataclass(frozen=True)
class Summary:
    median: float
    q1: float
    q3: float
    top_quartile: float
    own: float | None  # the viewer's own value, when it has one
    percentile: int | None  # its percentile rank among the values


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) of `values`, inclusive linear interpolation."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def top_quartile(values: Sequence[float]) -> float:
    """The mean of the top quarter of `values`, at least TOP_AT_LEAST of them."""
    count = max(TOP_AT_LEAST, math.ceil(len(values) / 4))
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
    """The benchmark of `values`, or None when fewer than K of them are strangers' (see the
    module's docstring). `own` is the viewer's value, ranked among `values`."""
    if not shown(len(values), known=known):
        return None
    return Summary(
        median=percentile(values, 50),
        q1=percentile(values, 25),
        q3=percentile(values, 75),
        top_quartile=top_quartile(values),
        own=own,
        percentile=None if own is None else percentile_rank(values, own),
    )
