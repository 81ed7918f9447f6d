"""Signal models (pure): daily profiles and the models of a metric's value at a time.

Models take the time and a `random.Random` and nothing else, so a seeded generator gives the
same values.
"""

from __future__ import annotations

import bisect
import functools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from integration.lineprotocol import Point

SITE_TZ = ZoneInfo("Europe/London")  # both demo organisations' sites are in the UK
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WEAR_CYCLE = timedelta(days=30)  # a bearing wears over a month, then is replaced

Labels = tuple[tuple[str, str], ...]


# Daily profiles


@dataclass(frozen=True)
class Profile:
    """Activity from 0 to 1 over a local day, linear between (hour, level) knots.

    Knots run from hour 0 to hour 24; `saturday` and `sunday` default to the weekday's.
    """

    weekday: tuple[tuple[float, float], ...]
    saturday: tuple[tuple[float, float], ...] | None = None
    sunday: tuple[tuple[float, float], ...] | None = None

    def __post_init__(self):
        for knots in (self.weekday, self.saturday, self.sunday):
            if knots is None:
                continue
            hours = [hour for hour, _ in knots]
            if hours[0] != 0 or hours[-1] != 24 or hours != sorted(hours):
                raise ValueError("knots must be sorted and run from hour 0 to hour 24")
            if not all(0 <= level <= 1 for _, level in knots):
                raise ValueError("levels must be between 0 and 1")

    def __call__(self, ts: datetime) -> float:
        day, hour = _local_day_hour(ts)
        knots = self.weekday
        if day == 5 and self.saturday is not None:
            knots = self.saturday
        elif day == 6 and self.sunday is not None:
            knots = self.sunday
        return _interpolate(knots, hour)


@functools.lru_cache(maxsize=16)  # the signals of one reading share its time
def _local_day_hour(ts: datetime) -> tuple[int, float]:
    """(weekday, hour of the day with fractions) of `ts` at the sites."""
    local = ts.astimezone(SITE_TZ)
    return local.weekday(), local.hour + local.minute / 60 + local.second / 3600


def _interpolate(knots: Sequence[tuple[float, float]], x: float) -> float:
    index = bisect.bisect_right(knots, x, key=lambda knot: knot[0])
    if index == 0:
        return knots[0][1]
    if index == len(knots):
        return knots[-1][1]
    (x0, y0), (x1, y1) = knots[index - 1], knots[index]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


# Two production shifts on weekdays (06:00-22:00, a dip at the 14:00 handover), a Saturday
# morning shift, quiet nights and Sundays (compressors, lights and heating still on).
PLANT_SHIFTS = Profile(
    weekday=(
        (0, 0.05),
        (5.5, 0.05),
        (6.25, 0.95),
        (13.75, 1.0),
        (14, 0.7),
        (14.25, 0.95),
        (21.75, 0.9),
        (22.25, 0.05),
        (24, 0.05),
    ),
    saturday=((0, 0.05), (5.5, 0.05), (6.25, 0.6), (13.75, 0.6), (14.25, 0.05), (24, 0.05)),
    sunday=((0, 0.03), (24, 0.03)),
)

# A store open 08:00-20:00 (Sundays 10:00-16:00) with lunchtime and after-work peaks.
STORE_HOURS = Profile(
    weekday=(
        (0, 0),
        (7.75, 0),
        (8, 0.3),
        (11.5, 0.55),
        (12.5, 1.0),
        (13.5, 0.9),
        (14.5, 0.5),
        (16.5, 0.6),
        (17.5, 0.95),
        (18.5, 0.7),
        (19.75, 0.35),
        (20, 0),
        (24, 0),
    ),
    saturday=(
        (0, 0),
        (7.75, 0),
        (8, 0.4),
        (11, 0.85),
        (13, 1.0),
        (16, 0.9),
        (19.75, 0.4),
        (20, 0),
        (24, 0),
    ),
    sunday=((0, 0), (9.75, 0), (10, 0.5), (13, 0.9), (15.75, 0.6), (16, 0), (24, 0)),
)

# A distribution centre on three shifts: busy days, a lighter late shift, a skeleton night shift.
DC_SHIFTS = Profile(
    weekday=(
        (0, 0.3),
        (5.75, 0.3),
        (6.25, 1.0),
        (13.75, 1.0),
        (14.25, 0.85),
        (21.75, 0.85),
        (22.25, 0.3),
        (24, 0.3),
    ),
    saturday=((0, 0.3), (5.75, 0.3), (6.25, 0.6), (13.75, 0.6), (14.25, 0.15), (24, 0.15)),
    sunday=((0, 0.1), (21.75, 0.1), (22.25, 0.3), (24, 0.3)),
)


# Models: (ts, rng) -> value


@dataclass(frozen=True)
class Defrost:
    """A defrost cycle: every `every`, for `lasting`, the temperature rises by up to `rise`."""

    every: timedelta
    lasting: timedelta
    rise: float
    offset: timedelta = timedelta(0)

    def __call__(self, ts: datetime) -> float:
        into = (ts - EPOCH - self.offset) % self.every
        if into >= self.lasting:
            return 0.0
        x = into / self.lasting
        return self.rise * (1 - abs(2 * x - 1))


def wear(ts: datetime, cycle: timedelta = WEAR_CYCLE) -> float:
    """How far through a wear cycle `ts` is, from 0 (new part) to 1 (due for replacement)."""
    return ((ts - EPOCH) % cycle) / cycle


@dataclass(frozen=True)
class Gauge:
    """A measured level: idle + (busy - idle) x profile, plus wear, defrost, noise and spikes.

    `noise` is a Gaussian standard deviation; `jitter` the mean of one-sided (exponential)
    noise, as delays have. A spike (probability `spike_chance` per reading) adds between half
    and all of `spike` (negative for dips). The value is clipped to [low, high] and rounded.
    """

    idle: float
    busy: float
    profile: Profile | None = None
    noise: float = 0.0
    jitter: float = 0.0
    spike_chance: float = 0.0
    spike: float = 0.0
    wear: float = 0.0
    defrost: Defrost | None = None
    low: float = -math.inf
    high: float = math.inf
    decimals: int = 2

    def mean(self, ts: datetime) -> float:
        """The level without noise or spikes."""
        activity = 1.0 if self.profile is None else self.profile(ts)
        level = self.idle + (self.busy - self.idle) * activity
        if self.wear:
            level += self.wear * wear(ts)
        if self.defrost is not None:
            level += self.defrost(ts)
        return level

    def __call__(self, ts: datetime, rng: random.Random) -> float:
        value = self.mean(ts)
        if self.noise:
            value += rng.gauss(0.0, self.noise)
        if self.jitter:
            value += rng.expovariate(1 / self.jitter)
        if self.spike_chance and rng.random() < self.spike_chance:
            value += self.spike * rng.uniform(0.5, 1.0)
        return round(min(max(value, self.low), self.high), self.decimals)


@dataclass(frozen=True)
class Count:
    """Events in one reporting interval: Poisson with mean idle + (busy - idle) x profile.

    A burst (probability `burst_chance`) multiplies the mean by `burst` (e.g. a broken tool
    scrapping parts until someone notices).
    """

    idle: float
    busy: float
    profile: Profile | None = None
    burst_chance: float = 0.0
    burst: float = 1.0

    def mean(self, ts: datetime) -> float:
        activity = 1.0 if self.profile is None else self.profile(ts)
        return self.idle + (self.busy - self.idle) * activity

    def __call__(self, ts: datetime, rng: random.Random) -> float:
        mean = self.mean(ts)
        if self.burst_chance and rng.random() < self.burst_chance:
            mean *= self.burst
        return float(poisson(mean, rng))


@dataclass(frozen=True)
class Derived:
    """offset + factor x the value of the signal `of` (same labels) at the same time, + noise."""

    of: str
    factor: float
    offset: float = 0.0
    noise: float = 0.0
    low: float = -math.inf
    high: float = math.inf
    decimals: int = 2

    def __call__(self, source: float, rng: random.Random) -> float:
        value = self.offset + self.factor * source
        if self.noise:
            value += rng.gauss(0.0, self.noise)
        return round(min(max(value, self.low), self.high), self.decimals)


def poisson(mean: float, rng: random.Random) -> int:
    """A Poisson draw: Knuth's method for small means, a rounded normal for large ones."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


@dataclass(frozen=True)
class Signal:
    """One metric (and labels) of an integration, its unit, expected range and model."""

    metric: str
    unit: str
    expected: tuple[float, float]
    model: Gauge | Count | Derived
    labels: Labels = ()


def sample(signals: Sequence[Signal], ts: datetime, rng: random.Random) -> list[Point]:
    """One reading of every signal at `ts`; a `Derived` one follows an earlier signal."""
    values: dict[tuple[str, Labels], float] = {}
    points = []
    for signal in signals:
        model = signal.model
        if isinstance(model, Derived):
            value = model(values[model.of, signal.labels], rng)
        else:
            value = model(ts, rng)
        values[signal.metric, signal.labels] = value
        points.append(Point(signal.metric, signal.labels, ts, value))
    return points
