"""Realistic demo telemetry: signal models, outages, and the senders `simulate_telemetry` uses.

Signals (pure)
--------------
A `Signal` is one metric (with optional labels) of a demo integration and a model of its value
at a time: a level between an idle and a busy value that follows a daily `Profile` (shifts in a
plant, opening hours of a store, in the sites' local time), Gaussian or one-sided noise,
occasional spikes, slow wear and defrost cycles; `Count` draws event counts (Poisson) and
`Derived` follows another signal (a compressor's power follows its air flow). Models take the
time and a `random.Random` and nothing else, so a seeded generator gives the same values.

Outages (pure)
--------------
`Flaky` decides from the time alone (each hour hashed with a seed) when a flaky integration is
silent and whether it reported the failure with a fail ping, so the history the demo writes and
the live simulator agree, and a rerun draws the same outages. A `Feed` turns signals and outages
into what one integration sends at a moment; `history` runs a feed over a window.

Sending
-------
`run` sends a round for every feed every `interval` seconds over a `Transport`: `HttpTransport`
(the JSON API with a Bearer token; pings to `/api/v1/ping` and `/ping/fail`) or `MqttTransport`
(QoS 1 to `ladder/<integration id>/telemetry`, a bounded number of messages in flight). While the
server or the broker is not reachable, the round is retried with exponential back-off.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import logging
import math
import random
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import orjson

from integration.lineprotocol import Point

__all__ = [
    "DC_SHIFTS",
    "PLANT_SHIFTS",
    "STORE_HOURS",
    "Count",
    "Defrost",
    "Derived",
    "Feed",
    "Flaky",
    "Gauge",
    "HttpTransport",
    "MqttTransport",
    "Outage",
    "Profile",
    "Refused",
    "Round",
    "Signal",
    "Unavailable",
    "history",
    "poisson",
    "run",
    "sample",
]

log = logging.getLogger(__name__)

SITE_TZ = ZoneInfo("Europe/London")  # both demo organisations' sites are in the UK
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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
        into = (ts - _EPOCH - self.offset) % self.every
        if into >= self.lasting:
            return 0.0
        x = into / self.lasting
        return self.rise * (1 - abs(2 * x - 1))


def wear(ts: datetime, cycle: timedelta = WEAR_CYCLE) -> float:
    """How far through a wear cycle `ts` is, from 0 (new part) to 1 (due for replacement)."""
    return ((ts - _EPOCH) % cycle) / cycle


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
        start = _EPOCH + timedelta(hours=hour, seconds=rng.randrange(3600))
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
    return (ts - _EPOCH) // timedelta(hours=1)


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
        slot = (ts - _EPOCH) // self.ping_every
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


# Sending


class Unavailable(Exception):
    """The server or broker cannot be reached (or answered 5xx): try again later."""


class Refused(Exception):
    """The server refused what was sent (4xx): retrying would not help."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(f"HTTP {status}: {message}")


class Transport(Protocol):
    name: str

    def points(self, feed: Feed, points: list[Point]) -> None: ...

    def ping(self, feed: Feed, *, failed: bool) -> bool:
        """Send a heartbeat; False when this transport cannot carry pings."""

    def flush(self) -> None:
        """Wait until everything handed over is acknowledged; raise Unavailable otherwise."""

    def close(self) -> None: ...


def json_body(points: Iterable[Point]) -> bytes:
    """The JSON body of `POST /api/v1/telemetry` (and of an MQTT message)."""
    return orjson.dumps(
        {
            "points": [
                {
                    "metric": point.metric,
                    "value": point.value,
                    "ts": point.ts.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    **({"labels": dict(point.labels)} if point.labels else {}),
                }
                for point in points
            ]
        }
    )


class HttpTransport:
    """The JSON API with one Bearer token per integration (`tokens`: feed key -> token)."""

    name = "http"

    def __init__(self, url: str, tokens: dict[str, str], *, timeout: float = 10):
        self.url = url.rstrip("/")
        self.tokens = tokens
        self.timeout = timeout
        # No proxies: the server is usually on this machine, whatever http_proxy says.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def points(self, feed: Feed, points: list[Point]) -> None:
        self._post("/api/v1/telemetry", feed, json_body(points))

    def ping(self, feed: Feed, *, failed: bool) -> bool:
        self._post("/api/v1/ping/fail" if failed else "/api/v1/ping", feed, b"")
        return True

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def _post(self, path: str, feed: Feed, body: bytes) -> None:
        request = urllib.request.Request(
            self.url + path,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.tokens[feed.key]}",
                "Content-Type": "application/json",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            if error.code >= 500:
                raise Unavailable(f"{self.url} answered HTTP {error.code}") from None
            raise Refused(error.code, _error_message(error)) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise Unavailable(f"{self.url}: {reason}") from None


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        return orjson.loads(error.read()).get("message", "")
    except (orjson.JSONDecodeError, AttributeError, OSError):
        return error.reason or ""


class MqttTransport:
    """QoS 1 publishes to `<prefix>/<integration id>/telemetry` with at most `max_inflight`
    unacknowledged (paho drops publishes past ~65K waiting, and slows down with many in
    flight). paho reconnects by itself and resends what was not acknowledged; MQTT ingest
    takes telemetry only, so pings are not sent this way.

    `url`: mqtt://[user:password@]host[:port] or mqtts:// for TLS.
    """

    name = "mqtt"

    def __init__(
        self,
        url: str,
        *,
        client_id: str = "",
        prefix: str = "ladder",
        max_inflight: int = 100,
        timeout: float = 10,
    ):
        import paho.mqtt.client as mqtt

        from integration.mqtt import broker_from_url  # the listener's reading of MQTT_URL

        broker = broker_from_url(url)  # ValueError for a bad URL
        self.url = str(broker)
        self.prefix = prefix
        self.max_inflight = max_inflight
        self.timeout = timeout
        self._unacked: set[int] = set()
        self._acked_early: set[int] = set()  # acknowledged before publish() returned
        self._changed = threading.Condition()
        self._connected = False
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311
        )
        if broker.username is not None:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set_context(ssl.create_default_context())
        client.max_inflight_messages_set(max_inflight)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        self._client = client
        # Connects (and keeps reconnecting with back-off) in paho's own thread.
        client.connect_async(broker.host, broker.port, keepalive=30)
        client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        with self._changed:
            self._connected = not reason_code.is_failure
            self._changed.notify_all()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        with self._changed:
            self._connected = False
            self._changed.notify_all()

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        with self._changed:
            if mid in self._unacked:
                self._unacked.discard(mid)
            else:
                self._acked_early.add(mid)
            self._changed.notify_all()

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(ready, timeout=self.timeout):
                raise Unavailable(f"{self.url}: {what}")

    def points(self, feed: Feed, points: list[Point]) -> None:
        import paho.mqtt.client as mqtt

        self._wait(lambda: self._connected, "not connected")
        self._wait(lambda: len(self._unacked) < self.max_inflight, "no acknowledgements")
        # Not under our lock: paho calls on_publish holding its own lock, which publish takes.
        topic = f"{self.prefix}/{feed.key}/telemetry"
        info = self._client.publish(topic, json_body(points), qos=1)
        # NO_CONN: paho keeps the message and sends it on reconnecting; wait for it too.
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            raise Unavailable(f"{self.url}: {mqtt.error_string(info.rc)}")
        with self._changed:
            if info.mid in self._acked_early:
                self._acked_early.discard(info.mid)
            else:
                self._unacked.add(info.mid)

    def ping(self, feed: Feed, *, failed: bool) -> bool:
        return False

    def flush(self) -> None:
        self._wait(lambda: not self._unacked, f"{len(self._unacked)} messages not acknowledged")

    def close(self) -> None:
        with contextlib.suppress(Unavailable):
            self.flush()
        self._client.disconnect()
        self._client.loop_stop()


@dataclass
class Totals:
    rounds: int = 0
    points: int = 0
    pings: int = 0
    fail_pings: int = 0
    refused: int = 0


def run(
    feeds: Sequence[Feed],
    transport: Transport,
    *,
    interval: float,
    once: bool = False,
    rng: random.Random | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
    max_backoff: float = 30,
    give_up_after: float | None = None,
    say: Callable[[str], None] = log.info,
) -> Totals:
    """Send a round for every feed every `interval` seconds (one round if `once`).

    A round the server or broker does not take is retried after 1, 2, 4 ... up to
    `max_backoff` seconds; after `give_up_after` seconds of retries, `Unavailable` is raised.
    A refused request (4xx, e.g. a paused integration) is logged and dropped.
    """
    rng = rng or random.Random()
    totals = Totals()
    pings_unsupported = False
    while True:
        started = clock()
        actions: list[tuple[Feed, list[Point] | bool]] = []
        for feed in feeds:
            sent = feed.round(started, rng)
            if sent.points:
                actions.append((feed, sent.points))
            actions.extend((feed, failed) for failed in sent.pings)
        waited, delay = 0.0, 1.0
        while True:
            try:
                while actions:
                    feed, what = actions[0]
                    try:
                        if isinstance(what, bool):
                            if transport.ping(feed, failed=what):
                                totals.pings += 1
                                totals.fail_pings += what
                            elif not pings_unsupported:
                                pings_unsupported = True
                                say(f"{transport.name} carries no heartbeats: pings are skipped")
                        else:
                            transport.points(feed, what)
                            totals.points += len(what)
                    except Refused as refused:
                        totals.refused += 1
                        say(f"{feed.name}: refused, {refused}")
                    actions.pop(0)
                transport.flush()
                break
            except Unavailable as error:
                if give_up_after is not None and waited >= give_up_after:
                    raise
                say(f"not reachable yet ({error}); trying again in {delay:g} s")
                sleep(delay)
                waited += delay
                delay = min(delay * 2, max_backoff)
        if waited:
            say("reachable again")
        totals.rounds += 1
        if once:
            return totals
        elapsed = (clock() - started).total_seconds()
        sleep(max(0.0, interval - elapsed))
