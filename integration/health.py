"""Heartbeat-style health of an integration, computed from plain values (no database).

An integration is expected to report every ``interval``; after that it has ``grace`` more before
it counts as down. Callers take ``now`` once per operation and pass it in. An integration that
changes between up and down at least ``FLAPPING_CHANGES`` times a day is flapping. One whose
recent readings are mostly not good (their devices said uncertain or bad) is degraded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "DEGRADED_BELOW",
    "FLAPPING_CHANGES",
    "FLAPPING_WINDOW",
    "Status",
    "error_rate",
    "freshness",
    "good_share",
    "is_degraded",
    "is_down_event",
    "is_flapping",
    "is_recovery_event",
    "is_up_down_change",
    "is_transition",
    "status",
    "up_down_changes",
    "uptime",
]


class Status(StrEnum):
    NEW = "new"
    UP = "up"
    DEGRADED = "degraded"  # data arrives, but mostly readings its devices call uncertain or bad
    LATE = "late"
    DOWN = "down"
    PAUSED = "paused"


def status(
    *,
    last_seen: datetime | None,
    interval: timedelta,
    grace: timedelta,
    paused: bool,
    now: datetime,
    last_failed: datetime | None = None,
    degraded: bool = False,
) -> Status:
    """The status at ``now``, by the first rule that applies.

    1. ``paused`` -> PAUSED.
    2. A fail ping at or after the last point or ping (``last_failed >= last_seen``, or any fail
       ping when nothing was ever seen) -> DOWN.
    3. Never seen -> NEW.
    4. ``now - last_seen <= interval`` -> UP (a ``last_seen`` in the future counts as UP), or
       DEGRADED when ``degraded`` (see :func:`is_degraded`).
    5. ``now - last_seen <= interval + grace`` -> LATE.
    6. Otherwise DOWN.
    """
    if paused:
        return Status.PAUSED
    if last_failed is not None and (last_seen is None or last_failed >= last_seen):
        return Status.DOWN
    if last_seen is None:
        return Status.NEW
    age = now - last_seen
    if age <= interval:
        return Status.DEGRADED if degraded else Status.UP
    if age <= interval + grace:
        return Status.LATE
    return Status.DOWN


def freshness(last_seen: datetime | None, now: datetime) -> timedelta | None:
    """Time since ``last_seen``, or None if never seen; never negative (clock skew reads 0)."""
    if last_seen is None:
        return None
    return max(now - last_seen, timedelta(0))


def uptime_slots(
    *,
    interval: timedelta,
    window_start: datetime,
    window_end: datetime,
    created: datetime | None = None,
) -> tuple[datetime, int] | None:
    """(start, count) of the complete intervals `uptime` counts in the window, laid end to end
    from ``max(window_start, created)``; None when there is none."""
    if interval <= timedelta(0):
        raise ValueError("interval must be positive")
    start = window_start if created is None else max(window_start, created)
    if window_end <= start:
        return None
    expected = (window_end - start) // interval
    return (start, expected) if expected else None


def uptime(
    *,
    seen: Sequence[datetime],
    interval: timedelta,
    window_start: datetime,
    window_end: datetime,
    created: datetime | None = None,
) -> float | None:
    """Share of the expected intervals in the window that had at least one point, from 0 to 1.

    Intervals are laid end to end from ``max(window_start, created)``; only the complete ones
    before ``window_end`` count, each half-open ``[start, start + interval)``. Returns None when
    there is no complete interval. ``seen`` must be sorted ascending (ValueError otherwise);
    instead of every point, it may hold one timestamp per bucket that had data, provided the
    buckets are no wider than ``interval``. Linear in ``len(seen)``.
    """
    slots = uptime_slots(
        interval=interval, window_start=window_start, window_end=window_end, created=created
    )
    if slots is None:
        return None
    start, expected = slots
    end = start + expected * interval
    covered = 0
    last_index = -1
    previous: datetime | None = None
    for ts in seen:
        if previous is not None and ts < previous:
            raise ValueError("seen must be sorted ascending")
        previous = ts
        if ts < start:
            continue
        if ts >= end:
            break
        index = (ts - start) // interval
        if index != last_index:
            covered += 1
            last_index = index
    return covered / expected


# Data quality: the share of good readings among those in a window.

DEGRADED_BELOW = 0.5  # an integration with less than half of its recent readings good


def good_share(*, total: int, uncertain: int, bad: int) -> float | None:
    """The share of good readings, or None when there were none. Counts that do not add up
    (none the ingest writes; an imported document could hold them) are read as the nearest
    that do: negative as 0, more not-good readings than readings as all not good."""
    if total <= 0:
        return None
    not_good = min(max(uncertain, 0) + max(bad, 0), total)
    return (total - not_good) / total


def is_degraded(share: float | None) -> bool:
    """Whether readings with this good share make an integration degraded: mostly not good.
    No readings (None) is no judgement: health by arrival says late or down then."""
    return share is not None and share < DEGRADED_BELOW


def error_rate(*, ok: int, failed: int) -> float | None:
    """``failed / (ok + failed)``, or None when nothing was reported."""
    if ok < 0 or failed < 0:
        raise ValueError("counts must not be negative")
    total = ok + failed
    return failed / total if total else None


# Events. ``previous`` is the status last recorded for the integration; None means nothing was
# recorded yet (a new deployment, a first check), which is a baseline, never an event, so a
# restart cannot send a storm of emails.


def is_transition(previous: Status | None, current: Status) -> bool:
    """Whether to record an event: the status changed from a recorded one (e.g. up -> late)."""
    return previous is not None and previous != current


def is_down_event(previous: Status | None, current: Status) -> bool:
    """Whether to send a "down" email: the status became DOWN from any other recorded status."""
    return previous is not None and previous != Status.DOWN and current == Status.DOWN


def is_recovery_event(previous: Status | None, current: Status) -> bool:
    """Whether to send a "recovered" email: from DOWN to UP, DEGRADED or LATE (data flows
    again).

    LATE counts so that every down email is followed by a recovery before the next down email.
    """
    return previous == Status.DOWN and current in _FLOWING


# Flapping: an integration that keeps dropping out and coming back. Its status at any moment may
# read "up", which hides that it cannot be relied on; pages show it as flapping instead.

FLAPPING_CHANGES = 4  # up/down changes within FLAPPING_WINDOW that make an integration flapping
FLAPPING_WINDOW = timedelta(hours=24)
_FLOWING = (Status.UP, Status.DEGRADED, Status.LATE)


def is_up_down_change(previous: Status, current: Status) -> bool:
    """A change between data flowing (UP or LATE) and DOWN, either way.

    UP <-> LATE is jitter, not a drop-out; changes to or from NEW and PAUSED are not drop-outs.
    """
    return (previous in _FLOWING and current == Status.DOWN) or (
        previous == Status.DOWN and current in _FLOWING
    )


def up_down_changes(changes: Iterable[tuple[Status, Status, datetime]], *, now: datetime) -> int:
    """How many of ``changes`` (previous, current, at) are up/down changes within the last
    ``FLAPPING_WINDOW`` (``now - FLAPPING_WINDOW <= at <= now``), in any order."""
    start = now - FLAPPING_WINDOW
    return sum(
        1
        for previous, current, at in changes
        if start <= at <= now and is_up_down_change(Status(previous), Status(current))
    )


def is_flapping(
    *, changes: Iterable[tuple[Status, Status, datetime]], status: Status, now: datetime
) -> bool:
    """At least ``FLAPPING_CHANGES`` up/down changes within the last ``FLAPPING_WINDOW``,
    whatever the current status, except PAUSED (someone stopped it on purpose) and NEW."""
    if status in (Status.PAUSED, Status.NEW):
        return False
    return up_down_changes(changes, now=now) >= FLAPPING_CHANGES
