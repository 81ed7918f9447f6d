"""Judging a check of live data from per-bucket aggregates (no database).

A check has a ``kind``, a window ``[start, end)`` and a ``threshold``; it is judged at ``as_of``
on the rollups of its integration(s) (`Bucket`: one minute or one hour of one metric, with when
its points arrived). Rules, in the order they apply:

1. **Arrival.** Only buckets whose ``first_arrival`` is at or before ``as_of`` count (a bucket
   stored before arrivals were kept counts as arrived at its start). A window judged at T is
   judged on what had arrived by T: history backfilled later cannot turn that judgement into a
   pass, and counts in any window judged after it arrived. A bucket that first arrived by T
   counts with everything that joined it later (at most a bucket's worth of points: callers
   read minutes where they can; freshness judged on the present reads whole hours, where what
   joined later is what arrived while it was read).
2. **Nothing to judge** -> not tested (``passed`` None): no complete interval in the window
   (uptime kinds), or no operating hour in it (aggregate with operating hours).
3. **No data** in the window -> failed, "no data in the window".
4. **Staged data** -> failed with the reason, whatever the figure:

   - *one burst*: for a window of an hour or more whose points span more than half of it, all
     of its buckets arrived within ``BURST_SHARE`` (5 %) of the window: "the window's data
     arrived in one burst at ...". This applies to store-and-forward data too: a device that
     uploads a window's worth at once cannot verify that window.
   - *constant value*: the value never changes over the window (max == min of every bucket):
     "the value never changes over the window: looks staged". Applies to value checks
     (``aggregate``, ``variation``) and to any check with ``require_variation``.
   - *dead device's value repeated*: from some bucket on, every bucket holds only the previous
     bucket's last value (min == max == previous last), for more than half of the window:
     "the value has not changed since ...: a dead device's last value looks repeated". Same
     checks as the constant rule.
   - *nothing moves* (``freshness``, ``uptime``, ``both_directions``, per integration, when the
     caller gives ``changed``: the end of the last bucket in which any series the integration
     sent, heartbeats aside, held another value than its own last one): none did over the
     window, "looks staged: no value it sent changes over the window", or the last did more
     than half the window before its end, "looks staged: no value it sent has changed since
     ... (a dead device's last values repeated)". A real source sends something that moves (a
     counter, a temperature, a timestamp field); a heartbeat's success is constant by nature,
     so ``heartbeat`` checks are left to the burst and arrival rules.

5. **The figure** of the kind, compared with the threshold:

   - ``freshness``: seconds from the newest point (by ``as_of``) to ``as_of``, <= threshold.
   - ``uptime``: share of the complete intervals (``interval`` long, laid from
     ``max(start, created)``, as `health.uptime`) that hold a bucket with data, >= threshold.
     A bucket only fills its interval if its data arrived in time: one of the rollup rows it
     combines (a minute or an hour of one series) first arrived at most
     ``max(interval, LAG_TOLERANCE)`` after that row's end (``Bucket.on_time``; a bucket
     without it is one row), unless ``allow_backfill_lag`` (store-and-forward data). An hour
     bucket fills at most ``count`` of the intervals it covers (points are taken to be spread
     over the hour). `measure_seen` judges the same from minutes counted instead of buckets.
   - ``both_directions``: the uptime of each of two integrations; the lower one is measured.
   - ``heartbeat``: share of successful heartbeats (``_ping`` rows: sum / count), >= threshold.
   - ``aggregate``: ``min``, ``max``, ``avg``, ``count`` or ``last`` of the metric over the
     window (only buckets starting inside ``hours``, spans of (weekday 0=Monday, start, end)
     local time in ``tz``, when given), compared by ``op`` (">=" or "<=").
   - ``variation``: max - min over the window, >= threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from operator import attrgetter
from zoneinfo import ZoneInfo

from integration import health

__all__ = [
    "BURST",
    "BURST_SHARE",
    "KINDS",
    "LAG_TOLERANCE",
    "Bucket",
    "Check",
    "Measurement",
    "Seen",
    "measure",
    "measure_seen",
    "still_reason",
]

KINDS = ("freshness", "uptime", "aggregate", "both_directions", "heartbeat", "variation")
AGGREGATES = ("min", "max", "avg", "count", "last")
VALUE_KINDS = ("aggregate", "variation")
MOVING_KINDS = ("freshness", "uptime", "both_directions")  # judged with `changed`
UPTIME_KINDS = ("uptime", "both_directions")
BURST_SHARE = 0.05
BURST = "the window's data arrived in one burst"  # the reason's start
LAG_TOLERANCE = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Bucket:
    """One minute or hour of one metric (its series combined), as the rollups hold it."""

    start: datetime
    step: timedelta
    count: int
    min: float
    max: float
    sum: float
    last: float
    last_ts: datetime
    first_arrival: datetime | None = None
    last_arrival: datetime | None = None
    # Whether one of the rows it combines arrived in time for uptime (rule 5); None: it is
    # one row, judged by `first_arrival`.
    on_time: bool | None = None

    @property
    def arrived(self) -> datetime:
        return self.start if self.first_arrival is None else self.first_arrival

    @property
    def arrived_last(self) -> datetime:
        return self.start if self.last_arrival is None else self.last_arrival


@dataclass(frozen=True, slots=True)
class Check:
    """A check's parameters (the framework's), as far as judging needs them."""

    kind: str
    threshold: float
    window: timedelta
    op: str = ">="
    aggregate: str = "avg"
    hours: tuple[tuple[int, time, time], ...] = ()
    tz: str = "UTC"
    interval: timedelta = timedelta(minutes=1)
    allow_backfill_lag: bool = False
    require_variation: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown check kind {self.kind!r}")
        if self.op not in (">=", "<="):
            raise ValueError(f"op must be >= or <=, got {self.op!r}")
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"unknown aggregate {self.aggregate!r}")
        if self.interval <= timedelta(0) or self.window <= timedelta(0):
            raise ValueError("window and interval must be positive")

    @property
    def needs_variation(self) -> bool:
        return self.require_variation or self.kind in VALUE_KINDS


@dataclass(frozen=True, slots=True)
class Measurement:
    passed: bool | None  # None: not tested
    measured: float | None
    reason: str


@dataclass(frozen=True, slots=True)
class Seen:
    """One integration over an uptime check's window, counted from its minutes rather than
    read as buckets (`services.checks`): how many of the window's complete intervals hold a
    minute that fills one (rule 5), and whether any bucket arrived in the window. Its caller
    has ruled the window's data out as one burst."""

    filled: int
    any_data: bool


def measure(
    check: Check,
    buckets: Sequence[Sequence[Bucket]],
    *,
    end: datetime,
    as_of: datetime,
    created: Sequence[datetime | None] = (),
    changed: Sequence[datetime | None] | None = None,
) -> Measurement:
    """Judge `check` over [end - window, end) at `as_of`: `buckets` holds, per integration (two
    for both_directions, else one), its buckets in any order; `created` the integrations'
    creation times (uptime counts from there); `changed`, per integration, when its values last
    changed (rule 4, "nothing moves"; not given: that rule is not applied)."""
    start = end - check.window
    seen = [_arrived(rows, start, end, as_of) for rows in buckets]
    if check.kind in UPTIME_KINDS:
        return _uptime_kinds(
            check,
            seen,
            start=start,
            end=end,
            created=created,
            changed=changed,
            has_data=bool,
            staged=lambda rows: staged_reason(rows, check=check, start=start, end=end),
            figure=lambda rows, slots: _uptime(check, rows, slots),
        )
    if len(seen) != 1:
        raise ValueError(f"{check.kind} needs one integration")
    rows = seen[0]
    if check.kind == "aggregate" and check.hours:
        if not _any_open_hour(check, start, end):
            return Measurement(None, None, "no operating hour in the window")
        rows = [b for b in rows if _in_hours(b.start, check)]
    born = created[0] if created else None
    if not rows:
        return Measurement(False, None, "no data in the window")
    figure = _figure(check, rows, start, end, as_of, born)
    staged = staged_reason(rows, check=check, start=start, end=end) or still_reason(
        check, changed, 0, start=start, end=end
    )
    if staged:
        return Measurement(False, figure, staged)
    return _compare(check, figure)


def measure_seen(
    check: Check,
    seen: Sequence[Seen],
    *,
    end: datetime,
    created: Sequence[datetime | None] = (),
    changed: Sequence[datetime | None] | None = None,
) -> Measurement:
    """`measure` of an uptime or both_directions check from what each integration's minutes
    count (`Seen`, laid out by `health.uptime_slots` as here) rather than from its buckets."""
    if check.kind not in UPTIME_KINDS:
        raise ValueError(f"{check.kind} is judged on buckets")
    return _uptime_kinds(
        check,
        seen,
        start=end - check.window,
        end=end,
        created=created,
        changed=changed,
        has_data=lambda one: one.any_data,
        staged=lambda one: None,
        figure=lambda one, slots: one.filled / slots[1],
    )


def _uptime_kinds(
    check: Check, items, *, start, end, created, changed, has_data, staged, figure
) -> Measurement:
    """The uptime kinds' rules over `items` (one per integration): `has_data(item)`,
    `staged(item)` (rule 4 but "nothing moves") and `figure(item, slots)`."""
    if check.kind == "uptime" and len(items) != 1:
        raise ValueError("uptime needs one integration")
    if check.kind == "both_directions" and len(items) != 2:
        raise ValueError("both_directions needs two integrations")
    figures = []
    for i, item in enumerate(items):
        slots = _slots(check, start, end, created[i] if len(created) > i else None)
        if slots is None:
            return Measurement(None, None, "no complete interval in the window")
        one = len(items) == 1
        if not has_data(item):
            if one:
                return Measurement(False, None, "no data in the window")
            return Measurement(False, 0.0, f"no data from integration {i + 1} in the window")
        value = figure(item, slots)
        reason = staged(item) or still_reason(check, changed, i, start=start, end=end)
        if reason:
            if one:
                return Measurement(False, value, reason)
            return Measurement(False, None, f"integration {i + 1}: {reason}")
        figures.append(value)
    low = min(figures)
    result = _compare(check, low)
    if len(items) == 1 or result.passed:
        return result
    return Measurement(result.passed, low, f"integration {figures.index(low) + 1}: {result.reason}")


def _arrived(rows: Sequence[Bucket], start, end, as_of) -> list[Bucket]:
    # `first_arrival or start`, not the property: this runs for every bucket of every check.
    kept = [
        b
        for b in rows
        if start <= b.start < end and b.count and (b.first_arrival or b.start) <= as_of
    ]
    kept.sort(key=_start)
    return kept


_start = attrgetter("start")  # a bucket's start, without a Python call per bucket


def staged_reason(rows: Sequence[Bucket], *, check: Check, start, end) -> str | None:
    """Why the window's data (sorted, not empty) looks planted, or None."""
    window = end - start
    if window >= timedelta(hours=1):
        first = min(b.first_arrival or b.start for b in rows)
        last = max(b.last_arrival or b.start for b in rows)
        points_span = max(b.last_ts for b in rows) - rows[0].start
        if points_span > window / 2 and last - first < window * BURST_SHARE:
            return f"{BURST} at {first:%Y-%m-%d %H:%M} UTC"
    if not check.needs_variation:
        return None
    if min(b.min for b in rows) == max(b.max for b in rows):
        return "the value never changes over the window: looks staged"
    since = _repeated_since(rows)
    if since is not None and end - since > window / 2:
        return (
            f"the value has not changed since {since:%Y-%m-%d %H:%M} UTC: "
            "a dead device's last value looks repeated"
        )
    return None


def still_reason(
    check: Check, changed: Sequence[datetime | None] | None, index: int, *, start, end
) -> str | None:
    """Why integration `index`'s data looks planted because nothing it sent moves, or None."""
    if changed is None or check.kind not in MOVING_KINDS:
        return None
    moved = changed[index]
    if moved is None:
        return "looks staged: no value it sent changes over the window"
    if end - moved > (end - start) / 2:
        at = moved.astimezone(UTC)
        return (
            f"looks staged: no value it sent has changed since {at:%Y-%m-%d %H:%M} UTC "
            "(a dead device's last values repeated)"
        )
    return None


def _repeated_since(rows: Sequence[Bucket]) -> datetime | None:
    """Start of the trailing run of buckets holding only the previous bucket's last value."""
    since = None
    for previous, bucket in zip(rows, rows[1:], strict=False):
        repeated = bucket.min == bucket.max == previous.last
        since = (since or bucket.start) if repeated else None
    return since


def _figure(check: Check, rows, start, end, as_of, created) -> float:
    kind = check.kind
    if kind == "freshness":
        newest = max(b.last_ts for b in rows)
        return max((as_of - newest).total_seconds(), 0.0)
    if kind == "heartbeat":
        return sum(b.sum for b in rows) / sum(b.count for b in rows)
    if kind == "variation":
        return max(b.max for b in rows) - min(b.min for b in rows)
    return _aggregate(check.aggregate, rows)


def _aggregate(name: str, rows) -> float:
    if name == "min":
        return min(b.min for b in rows)
    if name == "max":
        return max(b.max for b in rows)
    if name == "count":
        return float(sum(b.count for b in rows))
    if name == "last":
        return max(rows, key=lambda b: b.last_ts).last
    return sum(b.sum for b in rows) / sum(b.count for b in rows)


def _slots(check: Check, start, end, created):
    return health.uptime_slots(
        interval=check.interval, window_start=start, window_end=end, created=created
    )


def _uptime(check: Check, rows, slots) -> float:
    first, expected = slots
    interval = check.interval
    lag = max(interval, LAG_TOLERANCE)
    strict = not check.allow_backfill_lag
    # An interval of whole seconds (as integrations have): a bucket's interval by dividing its
    # offset's whole seconds, a third of the time of dividing timedeltas; the same result, as
    # the dropped microseconds never cross a multiple of whole seconds.
    seconds = 0 if interval.microseconds else int(interval.total_seconds())
    filled: set[int] = set()
    for b in rows:
        if strict:
            if b.on_time is False:
                continue
            if b.on_time is None and b.first_arrival and b.first_arrival > b.start + b.step + lag:
                continue
        offset = b.start - first
        low = (offset.days * 86400 + offset.seconds) // seconds if seconds else offset // interval
        if b.step <= interval:
            if 0 <= low < expected:
                filled.add(low)
            continue
        # A bucket wider than the interval fills at most `count` of the intervals it covers.
        high = min(expected, -((first - b.start - b.step) // interval))
        filled.update(range(max(low, 0), min(high, max(low, 0) + b.count)))
    return len(filled) / expected


def _compare(check: Check, figure: float) -> Measurement:
    if check.kind == "freshness":
        ok = figure <= check.threshold
        return Measurement(
            ok, figure, f"newest data {figure:.0f} s old (at most {check.threshold:g})"
        )
    op = check.op if check.kind == "aggregate" else ">="
    ok = figure >= check.threshold if op == ">=" else figure <= check.threshold
    bound = "at least" if op == ">=" else "at most"
    return Measurement(
        ok,
        figure,
        f"measured {figure:.4g}, {bound} {check.threshold:g} needed: {'met' if ok else 'not met'}",
    )


def _in_hours(ts: datetime, check: Check) -> bool:
    local = ts.astimezone(ZoneInfo(check.tz))
    clock = local.time()
    return any(
        local.weekday() == day and begin <= clock < finish for day, begin, finish in check.hours
    )


def _any_open_hour(check: Check, start: datetime, end: datetime) -> bool:
    """Whether an operating span overlaps the window (checked day by day in local time)."""
    zone = ZoneInfo(check.tz)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        for weekday, begin, finish in check.hours:
            if day.weekday() != weekday:
                continue
            open_ = datetime.combine(day, begin, zone)
            close = datetime.combine(day, finish, zone)
            if open_ < end and close > start:
                return True
        day += timedelta(days=1)
    return False
