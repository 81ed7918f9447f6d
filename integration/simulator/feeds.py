"""Outages and feeds (pure): when a flaky integration is silent, and what a feed sends."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from integration.lineprotocol import Point
from integration.simulator.signals import EPOCH, Signal, sample

# Outages


@dataclass(frozen=True)
class Outage:
    start: datetime
    end: datetime
    fail_ping: bool  # whether the integration said so (a fail ping) when it stopped

    def __contains__(self, ts: datetime) -> bool:
        return self.start <= ts < self.end


@dataclass(frozen=True)
class Flaky:
    """When a flaky integration is silent: in each hour an outage starts with `chance`, lasts
    from `shortest` to `longest` (mostly short) and is announced by a fail ping with
    `fail_ping_chance`. Pure: the same seed and hour always draw the same outage.

    With the defaults it is silent 5 to 12 % of a week (8 % on average), with about 3.6
    outages a day, 60 % of them announced.
    """

    seed: str
    chance: float = 0.15
    shortest: timedelta = timedelta(minutes=4)
    longest: timedelta = timedelta(minutes=90)
    fail_ping_chance: float = 0.6

    def outage_in_hour(self, hour: int) -> Outage | None:
        """The outage starting in hour number `hour` since the epoch, if any."""
        return _outage_in_hour(self, hour)

    def _draw(self, hour: int) -> Outage | None:
        rng = random.Random(f"{self.seed}:{hour}")
        if rng.random() >= self.chance:
            return None
        start = EPOCH + timedelta(hours=hour, seconds=rng.randrange(3600))
        length = self.shortest + (self.longest - self.shortest) * rng.random() ** 2
        length = timedelta(seconds=round(length.total_seconds()))
        return Outage(start, start + length, rng.random() < self.fail_ping_chance)

    def outages(self, start: datetime, end: datetime) -> list[Outage]:
        """Outages overlapping [start, end), oldest first."""
        first = _hour(start - self.longest)
        found = (self.outage_in_hour(hour) for hour in range(first, _hour(end) + 1))
        return [o for o in found if o is not None and o.start < end and o.end > start]

    def outage_at(self, ts: datetime) -> Outage | None:
        """The outage `ts` falls in, if any."""
        for outage in self.outages(ts, ts + timedelta(microseconds=1)):
            if ts in outage:
                return outage
        return None


@functools.lru_cache(maxsize=512)
def _outage_in_hour(flaky: Flaky, hour: int) -> Outage | None:
    return flaky._draw(hour)


def _hour(ts: datetime) -> int:
    return (ts - EPOCH) // timedelta(hours=1)


# Feeds


@dataclass(frozen=True)
class Round:
    """What a feed sends at one moment: points, and pings (True for a fail ping)."""

    points: list[Point]
    pings: list[bool]


@dataclass
class Feed:
    """One integration as the simulator plays it.

    Healthy: every round, a reading of every signal. Flaky (`flaky` set): nothing during an
    outage, a fail ping once when an announced outage is noticed, and otherwise readings plus
    an ok ping every `ping_every` (an hourly sync job saying it ran), so the error rate
    (fail pings among all pings) is real.
    """

    key: str
    name: str
    signals: tuple[Signal, ...]
    flaky: Flaky | None = None
    ping_every: timedelta = timedelta(hours=1)
    _reported: set = field(default_factory=set, repr=False)
    _ping_slot: int | None = field(default=None, repr=False)

    def round(self, ts: datetime, rng: random.Random) -> Round:
        if self.flaky is None:
            return Round(sample(self.signals, ts, rng), [])
        outage = self.flaky.outage_at(ts)
        if outage is not None:
            if outage.fail_ping and outage.start not in self._reported:
                self._reported.add(outage.start)
                return Round([], [True])
            return Round([], [])
        pings = []
        slot = (ts - EPOCH) // self.ping_every
        if slot != self._ping_slot:
            self._ping_slot = slot
            pings.append(False)
        return Round(sample(self.signals, ts, rng), pings)


def history(
    feed: Feed, *, start: datetime, end: datetime, step: timedelta, rng: random.Random
) -> tuple[list[Point], list[tuple[datetime, bool]]]:
    """The feed's points and (time, failed) pings at start, start + step, ... up to `end`."""
    points: list[Point] = []
    pings: list[tuple[datetime, bool]] = []
    ts = start
    while ts <= end:
        sent = feed.round(ts, rng)
        points.extend(sent.points)
        pings.extend((ts, failed) for failed in sent.pings)
        ts += step
    return points, pings
