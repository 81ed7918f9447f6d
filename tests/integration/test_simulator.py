"""The demo telemetry simulator: signal models, outages, feeds, the send loop and transports."""

import http.server
import math
import random
import socket
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from integration import jsonpoints
from integration.demo import DEMO_INTEGRATIONS, FLAKY, HEALTHY
from integration.lineprotocol import Point
from integration.simulator import (
    DC_SHIFTS,
    PLANT_SHIFTS,
    STORE_HOURS,
    Count,
    Defrost,
    Derived,
    Feed,
    Flaky,
    Gauge,
    HttpTransport,
    MqttTransport,
    Profile,
    Refused,
    Signal,
    Unavailable,
    history,
    json_body,
    poisson,
    run,
    sample,
    wear,
)
from tests.services import need_mqtt

# A Wednesday; London is on UTC in November.
WEDNESDAY = datetime(2026, 11, 25, tzinfo=UTC)
SUNDAY = datetime(2026, 11, 29, tzinfo=UTC)


def at(day: datetime, hours: float) -> datetime:
    return day + timedelta(hours=hours)


# Daily profiles


def test_plant_shifts_run_from_six_to_ten_on_weekdays_and_are_quiet_at_night():
    assert PLANT_SHIFTS(at(WEDNESDAY, 10)) == pytest.approx(0.98, abs=0.02)
    assert PLANT_SHIFTS(at(WEDNESDAY, 20)) > 0.9
    assert PLANT_SHIFTS(at(WEDNESDAY, 3)) == pytest.approx(0.05)
    assert PLANT_SHIFTS(at(WEDNESDAY, 14)) == pytest.approx(0.7)  # the shift handover
    assert PLANT_SHIFTS(at(SUNDAY, 12)) == pytest.approx(0.03)
    assert PLANT_SHIFTS(at(SUNDAY - timedelta(days=1), 10)) == pytest.approx(0.6)  # Saturday


def test_profiles_follow_local_time_through_summer_time():
    summer = datetime(2026, 7, 1, tzinfo=UTC)  # a Wednesday; London is UTC+1
    assert PLANT_SHIFTS(at(summer, 5.5)) > 0.9  # 06:30 in Sheffield
    assert STORE_HOURS(at(summer, 19.5)) == 0  # 20:30: closed


def test_store_hours_peak_at_lunchtime_and_are_closed_at_night():
    assert STORE_HOURS(at(WEDNESDAY, 3)) == 0
    assert STORE_HOURS(at(WEDNESDAY, 12.5)) == 1.0
    assert STORE_HOURS(at(WEDNESDAY, 10)) < STORE_HOURS(at(WEDNESDAY, 17.5))
    assert STORE_HOURS(at(SUNDAY, 9)) == 0 < STORE_HOURS(at(SUNDAY, 12))
    assert STORE_HOURS(at(SUNDAY, 17)) == 0


def test_the_distribution_centre_works_nights_at_a_lower_rate():
    assert DC_SHIFTS(at(WEDNESDAY, 3)) == pytest.approx(0.3)
    assert DC_SHIFTS(at(WEDNESDAY, 9)) == 1.0


def test_a_profile_refuses_knots_that_do_not_cover_the_day():
    with pytest.raises(ValueError, match="hour 0 to hour 24"):
        Profile(weekday=((0, 0.5), (12, 0.5)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        Profile(weekday=((0, 0.5), (24, 1.5)))


# Models


def test_a_gauge_follows_its_profile_with_noise_and_stays_in_its_limits():
    gauge = Gauge(idle=10, busy=50, profile=PLANT_SHIFTS, noise=2, low=0, high=60, decimals=1)
    rng = random.Random(1)
    busy = [gauge(at(WEDNESDAY, 10), rng) for _ in range(2000)]
    idle = [gauge(at(WEDNESDAY, 3), rng) for _ in range(2000)]
    assert statistics.mean(busy) == pytest.approx(gauge.mean(at(WEDNESDAY, 10)), abs=0.3)
    assert statistics.mean(idle) == pytest.approx(12, abs=0.3)  # 10 + 40 x 0.05
    assert statistics.stdev(busy) == pytest.approx(2, rel=0.15)
    assert all(0 <= value <= 60 for value in busy + idle)
    assert all(value == round(value, 1) for value in busy)


def test_spikes_are_occasional_and_signed():
    gauge = Gauge(idle=1, busy=1, noise=0.05, spike_chance=0.01, spike=10)
    rng = random.Random(2)
    values = [gauge(WEDNESDAY, rng) for _ in range(20_000)]
    share = sum(value > 4 for value in values) / len(values)
    assert 0.007 < share < 0.013
    assert max(values) <= 11.3
    dip = Gauge(idle=100, busy=100, spike_chance=1, spike=-50)
    assert all(50 <= dip(WEDNESDAY, rng) <= 75 for _ in range(100))


def test_jitter_is_one_sided():
    lag = Gauge(idle=3, busy=3, jitter=4)
    rng = random.Random(3)
    values = [lag(WEDNESDAY, rng) for _ in range(5000)]
    assert min(values) >= 3
    assert statistics.mean(values) == pytest.approx(7, abs=0.3)


def test_poisson_draws_have_the_mean_asked_for_and_are_never_negative():
    rng = random.Random(4)
    for mean in (0.05, 3, 25, 300):
        draws = [poisson(mean, rng) for _ in range(5000)]
        assert all(isinstance(draw, int) and draw >= 0 for draw in draws)
        assert statistics.mean(draws) == pytest.approx(mean, rel=0.1, abs=0.02)
    assert poisson(0, rng) == 0


def test_a_count_follows_its_profile_and_bursts_now_and_then():
    scrap = Count(idle=0, busy=0.1, profile=PLANT_SHIFTS, burst_chance=0.01, burst=30)
    rng = random.Random(5)
    night = [scrap(at(WEDNESDAY, 3), rng) for _ in range(3000)]
    day = [scrap(at(WEDNESDAY, 10), rng) for _ in range(3000)]
    assert sum(night) < sum(day)
    assert max(day) >= 5  # bursts
    assert all(value == int(value) for value in day)


def test_a_derived_signal_follows_its_source():
    signals = (
        Signal("air.flow", "m³/min", (2, 18), Gauge(idle=3, busy=12, noise=0.5)),
        Signal("air.power", "kW", (20, 130), Derived(of="air.flow", factor=6.3, offset=14)),
    )
    rng = random.Random(6)
    for _ in range(100):
        flow, power = sample(signals, WEDNESDAY, rng)
        assert power.value == pytest.approx(14 + 6.3 * flow.value, abs=0.01)


def test_a_defrost_lifts_the_temperature_only_in_its_window():
    defrost = Defrost(every=timedelta(hours=6), lasting=timedelta(minutes=30), rise=3)
    assert defrost(at(WEDNESDAY, 0)) == 0
    assert defrost(at(WEDNESDAY, 0.25)) == pytest.approx(3)  # the middle of the window
    assert 0 < defrost(at(WEDNESDAY, 6.1)) < 3
    assert defrost(at(WEDNESDAY, 1)) == 0
    shifted = Defrost(defrost.every, defrost.lasting, 3, offset=timedelta(hours=2))
    assert shifted(at(WEDNESDAY, 2.25)) == pytest.approx(3)


def test_wear_rises_through_its_cycle_and_resets():
    start = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=30 * 690)
    assert wear(start) == 0
    assert wear(start + timedelta(days=15)) == pytest.approx(0.5)
    assert wear(start + timedelta(days=29.9)) > 0.99
    assert wear(start + timedelta(days=30)) == 0


def test_sample_gives_one_point_per_signal_with_its_labels():
    signals = DEMO_INTEGRATIONS[0].signals + (
        Signal("t", "°C", (0, 5), Gauge(idle=1, busy=2), (("cabinet", "dairy"),)),
    )
    points = sample(signals, WEDNESDAY, random.Random(7))
    assert [(p.metric, p.labels, p.ts) for p in points] == [
        (s.metric, s.labels, WEDNESDAY) for s in signals
    ]
    assert all(isinstance(p.value, float) and math.isfinite(p.value) for p in points)


def test_signals_are_deterministic_with_a_seed():
    spec = DEMO_INTEGRATIONS[0]
    window = {"start": WEDNESDAY, "end": at(WEDNESDAY, 6), "step": timedelta(minutes=1)}
    first = history(spec.feed("k"), rng=random.Random(42), **window)
    again = history(spec.feed("k"), rng=random.Random(42), **window)
    other = history(spec.feed("k"), rng=random.Random(43), **window)
    assert first == again
    assert first[0] != other[0]
    assert len(first[0]) == len(spec.signals) * 361


@pytest.mark.parametrize("spec", DEMO_INTEGRATIONS, ids=lambda spec: spec.name)
def test_every_demo_signal_stays_mostly_in_its_expected_range(spec):
    points, _ = history(
        Feed("k", spec.name, spec.signals),  # without outages
        start=WEDNESDAY - timedelta(days=2),
        end=WEDNESDAY + timedelta(days=5),
        step=spec.interval,
        rng=random.Random(8),
    )
    by_series = {}
    for point in points:
        by_series.setdefault((point.metric, point.labels), []).append(point.value)
    expected = {signal.metric: signal.expected for signal in spec.signals}
    for (metric, labels), values in by_series.items():
        low, high = expected[metric]
        assert low < high
        inside = sum(low <= value <= high for value in values) / len(values)
        assert inside > 0.96, (metric, labels, inside)
        assert all(math.isfinite(value) for value in values)
        assert len(set(values)) > 2, f"{metric} is flat"  # noise, cycles, counts


def test_units_are_consistent_per_metric():
    for spec in DEMO_INTEGRATIONS:
        units = {}
        for signal in spec.signals:
            assert units.setdefault(signal.metric, signal.unit) == signal.unit


# Outages


def flaky() -> Flaky:
    return next(spec for spec in DEMO_INTEGRATIONS if spec.behaviour == FLAKY).flaky


def test_outages_are_pure_functions_of_the_time_and_seed():
    week = (WEDNESDAY - timedelta(days=7), WEDNESDAY)
    assert flaky().outages(*week) == flaky().outages(*week)
    assert flaky().outages(*week) != Flaky(seed="another").outages(*week)
    for outage in flaky().outages(*week):
        assert timedelta(minutes=4) <= outage.end - outage.start <= timedelta(minutes=90)
        assert outage.end > week[0] and outage.start < week[1]


def test_the_flaky_integration_is_silent_a_few_percent_of_the_time():
    shares, announced, total = [], 0, 0
    for week in range(52):
        end = WEDNESDAY - timedelta(days=7 * week)
        outages = flaky().outages(end - timedelta(days=7), end)
        down = sum((o.end - o.start for o in outages), timedelta())
        shares.append(down / timedelta(days=7))
        announced += sum(o.fail_ping for o in outages)
        total += len(outages)
    assert 0.04 < statistics.mean(shares) < 0.13
    assert max(shares) < 0.2
    assert 2 < total / (52 * 7) < 5  # outages a day
    assert 0.45 < announced / total < 0.75


def test_outage_at_agrees_with_the_list_of_outages():
    start = WEDNESDAY - timedelta(days=2)
    outages = flaky().outages(start, WEDNESDAY)
    ts = start
    while ts < WEDNESDAY:
        found = flaky().outage_at(ts)
        inside = [o for o in outages if o.start <= ts < o.end]
        assert (found is not None) == bool(inside)
        if found:
            assert found in inside
        ts += timedelta(minutes=7)


# Feeds


def test_a_healthy_feed_sends_every_signal_every_round_and_no_pings():
    spec = DEMO_INTEGRATIONS[0]
    feed = spec.feed("k")
    for minute in range(30):
        sent = feed.round(WEDNESDAY + timedelta(minutes=minute), random.Random(minute))
        assert len(sent.points) == len(spec.signals)
        assert sent.pings == []


def test_a_flaky_feed_is_silent_in_outages_announces_some_and_pings_every_hour():
    spec = next(spec for spec in DEMO_INTEGRATIONS if spec.behaviour == FLAKY)
    start, end = WEDNESDAY - timedelta(days=7), WEDNESDAY
    points, pings = history(
        spec.feed("k"), start=start, end=end, step=timedelta(minutes=1), rng=random.Random(9)
    )
    outages = spec.flaky.outages(start, end)
    assert outages
    assert not [p for p in points if any(p.ts in o for o in outages)]
    minutes_up = len(points) // len(spec.signals)
    assert 0.8 * 10081 < minutes_up < 0.98 * 10081
    fails = [ts for ts, failed in pings if failed]
    # One fail ping per announced outage that a minute falls in, at its first silent minute.
    announced = [o for o in outages if o.fail_ping and _has_a_step(o, start, end)]
    assert len(fails) == len(announced)
    assert all(any(ts in o for o in announced) for ts in fails)
    oks = [ts for ts, failed in pings if not failed]
    assert 0.8 * 7 * 24 < len(oks) <= 7 * 24 + 1
    assert all(flaky().outage_at(ts) is None for ts in oks)


def _has_a_step(outage, start, end, step=timedelta(minutes=1)) -> bool:
    """Whether one of start, start + step, ... end falls in the outage."""
    first = start if outage.start <= start else start - (start - outage.start) // step * step
    return first < outage.end and first <= end


# The JSON body


def test_the_json_body_reads_back_as_the_same_points():
    points = [
        Point("vibration.rms", (), WEDNESDAY + timedelta(microseconds=250), 1.75),
        Point("cabinet.temperature", (("cabinet", "dairy"),), WEDNESDAY, -2.0),
    ]
    assert jsonpoints.parse(json_body(points), now=WEDNESDAY) == points


# The send loop


class FakeTransport:
    name = "fake"

    def __init__(self, *, unavailable=0, refuse=(), pings=True):
        self.sent, self.pings, self.unavailable = [], [], unavailable
        self.refuse, self.supports_pings, self.flushes = set(refuse), pings, 0

    def points(self, feed, points):
        if self.unavailable:
            self.unavailable -= 1
            raise Unavailable("connection refused")
        if feed.key in self.refuse:
            raise Refused(409, "integration is paused")
        self.sent.append((feed.key, points))

    def ping(self, feed, *, failed):
        if not self.supports_pings:
            return False
        self.pings.append((feed.key, failed))
        return True

    def flush(self):
        self.flushes += 1

    def close(self):
        pass


# Healthy feeds only: the flaky one's outages follow the wall clock, so a test that sent it
# would fail whenever it ran during one.
LIVE = [spec for spec in DEMO_INTEGRATIONS if spec.behaviour == HEALTHY][:4]


def feeds():
    return [spec.feed(spec.name) for spec in LIVE]


def test_run_once_sends_one_round_for_every_feed():
    transport, sleeps = FakeTransport(), []
    totals = run(feeds(), transport, interval=5, once=True, sleep=sleeps.append, say=print)
    assert [key for key, _ in transport.sent] == [spec.name for spec in LIVE]
    assert totals.rounds == 1 and totals.points == sum(len(p) for _, p in transport.sent)
    assert sleeps == []
    assert transport.flushes == 1


def test_run_backs_off_while_the_server_is_unreachable_then_sends_everything():
    transport, sleeps, said = FakeTransport(unavailable=4), [], []
    totals = run(feeds(), transport, interval=5, once=True, sleep=sleeps.append, say=said.append)
    assert sleeps == [1, 2, 4, 8]
    assert len(transport.sent) == 4
    assert totals.points == sum(len(p) for _, p in transport.sent)
    assert "not reachable yet (connection refused); trying again in 1 s" in said
    assert said[-1] == "reachable again"


def test_run_caps_the_back_off_and_can_give_up():
    transport, sleeps = FakeTransport(unavailable=100), []
    with pytest.raises(Unavailable):
        run(
            feeds(),
            transport,
            interval=5,
            once=True,
            sleep=sleeps.append,
            give_up_after=60,
            say=lambda message: None,
        )
    assert sleeps == [1, 2, 4, 8, 16, 30]


def test_a_refused_request_is_reported_and_the_rest_still_go():
    keys = [feed.key for feed in feeds()]
    transport, said = FakeTransport(refuse={keys[1]}), []
    totals = run(feeds(), transport, interval=5, once=True, say=said.append)
    assert [key for key, _ in transport.sent] == [keys[0], *keys[2:]]
    assert totals.refused == 1
    assert said == [f"{keys[1]}: refused, HTTP 409: integration is paused"]


def test_pings_are_skipped_by_a_transport_without_them_and_said_once():
    flaky_feed = next(s for s in DEMO_INTEGRATIONS if s.behaviour == FLAKY).feed("wms")
    flaky_feed.flaky = Flaky(seed="x", chance=0)  # never in an outage
    flaky_feed.ping_every = timedelta(microseconds=1)  # an ok ping every round
    transport, said, clock = FakeTransport(pings=False), [], iter(range(100))
    rounds = []

    def sleep(seconds):
        rounds.append(seconds)
        if len(rounds) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(
            [flaky_feed],
            transport,
            interval=5,
            clock=lambda: WEDNESDAY + timedelta(seconds=next(clock)),
            sleep=sleep,
            say=said.append,
        )
    assert said == ["fake carries no heartbeats: pings are skipped"]
    assert len(transport.sent) == 3
    assert rounds == [4, 4, 4]  # the interval less the time the round took


def test_run_sends_fail_pings_for_an_announced_outage_once():
    spec = next(s for s in DEMO_INTEGRATIONS if s.behaviour == FLAKY)
    outage = next(
        o for o in spec.flaky.outages(WEDNESDAY - timedelta(days=7), WEDNESDAY) if o.fail_ping
    )
    feed, transport = spec.feed("wms"), FakeTransport()
    for seconds in (0, 5, 10):
        moment = outage.start + timedelta(seconds=seconds)
        run([feed], transport, interval=5, once=True, clock=lambda m=moment: m)
    assert transport.pings == [("wms", True)]
    assert transport.sent == []


# Transports


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_http_to_a_server_that_is_not_up_is_unavailable():
    transport = HttpTransport(f"http://127.0.0.1:{closed_port()}", {"k": "ldr_x"}, timeout=2)
    feed = DEMO_INTEGRATIONS[0].feed("k")
    with pytest.raises(Unavailable, match="refused"):
        transport.points(feed, sample(feed.signals, WEDNESDAY, random.Random(1)))


class StubHandler(http.server.BaseHTTPRequestHandler):
    answers: dict = {}
    requests: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"] or 0))
        self.requests.append((self.path, self.headers["Authorization"], body))
        status, answer = self.answers.get(self.path, (200, {"accepted": 1, "duplicates": 0}))
        payload = orjson.dumps(answer)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub_server():
    StubHandler.answers, StubHandler.requests = {}, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", StubHandler
    server.shutdown()
    server.server_close()


def test_http_posts_json_and_pings_with_the_feeds_token(stub_server):
    url, handler = stub_server
    feed = DEMO_INTEGRATIONS[0].feed("k")
    transport = HttpTransport(url + "/", {"k": "ldr_secret"})
    points = sample(feed.signals, WEDNESDAY, random.Random(1))
    transport.points(feed, points)
    assert transport.ping(feed, failed=False) is True
    transport.ping(feed, failed=True)
    paths = [(path, auth) for path, auth, _ in handler.requests]
    assert paths == [
        ("/api/v1/telemetry", "Bearer ldr_secret"),
        ("/api/v1/ping", "Bearer ldr_secret"),
        ("/api/v1/ping/fail", "Bearer ldr_secret"),
    ]
    assert jsonpoints.parse(handler.requests[0][2], now=WEDNESDAY) == points


def test_http_errors_are_refusals_and_server_errors_unavailable(stub_server):
    url, handler = stub_server
    handler.answers = {
        "/api/v1/telemetry": (409, {"code": "paused", "message": "integration k is paused"}),
        "/api/v1/ping": (503, {"code": "unavailable", "message": "later"}),
    }
    feed = DEMO_INTEGRATIONS[0].feed("k")
    transport = HttpTransport(url, {"k": "ldr_secret"})
    with pytest.raises(Refused, match="HTTP 409: integration k is paused") as refused:
        transport.points(feed, sample(feed.signals, WEDNESDAY, random.Random(1)))
    assert refused.value.status == 409
    with pytest.raises(Unavailable, match="HTTP 503"):
        transport.ping(feed, failed=False)


def test_mqtt_refuses_a_url_that_is_not_mqtt():
    with pytest.raises(ValueError, match="mqtt://"):
        MqttTransport("http://127.0.0.1:1883")


def test_mqtt_to_a_broker_that_is_not_up_is_unavailable():
    transport = MqttTransport(f"mqtt://127.0.0.1:{closed_port()}", timeout=0.5)
    feed = DEMO_INTEGRATIONS[0].feed("k")
    try:
        with pytest.raises(Unavailable, match="not connected"):
            transport.points(feed, sample(feed.signals, WEDNESDAY, random.Random(1)))
    finally:
        transport.close()


def test_mqtt_publishes_at_qos_1_with_a_bounded_number_in_flight():
    need_mqtt()
    import paho.mqtt.client as mqtt

    prefix, key = f"test-{uuid.uuid4().hex[:12]}", str(uuid.uuid4())
    received, subscribed = [], threading.Event()
    subscriber = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    subscriber.on_subscribe = lambda *args: subscribed.set()
    subscriber.on_message = lambda client, userdata, message: received.append(message)
    subscriber.connect("127.0.0.1", 1883)
    subscriber.subscribe(f"{prefix}/+/telemetry", qos=1)
    subscriber.loop_start()
    transport = MqttTransport("mqtt://127.0.0.1:1883", prefix=prefix, max_inflight=10)
    try:
        assert subscribed.wait(5)
        feed = DEMO_INTEGRATIONS[0].feed(key)
        rng = random.Random(1)
        batches = [sample(feed.signals, WEDNESDAY + timedelta(seconds=i), rng) for i in range(300)]
        for points in batches:
            transport.points(feed, points)
            assert len(transport._unacked) <= 10
        transport.flush()
        assert not transport._unacked
        deadline = time.monotonic() + 10
        while len(received) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert {message.topic for message in received} == {f"{prefix}/{key}/telemetry"}
        got = [jsonpoints.parse(message.payload, now=WEDNESDAY) for message in received]
        assert sorted(got, key=lambda points: points[0].ts) == batches
        assert transport.ping(feed, failed=True) is False  # MQTT carries telemetry only
    finally:
        transport.close()
        subscriber.disconnect()
        subscriber.loop_stop()
