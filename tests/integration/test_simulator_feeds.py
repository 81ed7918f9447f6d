"""The demo telemetry simulator's feeds: outages, rounds, the JSON body and the send loop."""

import random
import statistics
from datetime import timedelta

import pytest

from integration import jsonpoints
from integration.demo import DEMO_INTEGRATIONS, FLAKY, HEALTHY
from integration.lineprotocol import Point
from integration.simulator.feeds import Flaky, history
from integration.simulator.transports import Refused, Unavailable, json_body, run
from tests.integration.conftest import WEDNESDAY

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
