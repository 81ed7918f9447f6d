"""Uptime checks judged from `SeenMinutes` (`services.checkminutes._by_minutes`) give what the same
checks judged from the rollups give, on data that arrived live, late, stored and forwarded,
and in one burst, judged now and at earlier times."""

import random
from datetime import timedelta

import pytest
from django.urls import reverse

from integration.checks import Bucket, Check, Seen, measure, measure_seen
from integration.lineprotocol import Point
from integration.models import Integration, SeenMinutes
from integration.services import checkminutes, seen_minutes_fill, telemetry_ingest
from integration.services import checks as service
from integration.services.checks import checks_measure_many
from tests.integration.conftest import NOW

SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
BATCH = timedelta(minutes=3)
WINDOWS = (timedelta(minutes=30), HOUR, 6 * HOUR, DAY, 7 * DAY)


def feed(integration, rng, *, every, mode, constant=False):
    """Two days of `temp` (and most of the time `flow`) every `every` seconds, with gaps, in
    batches arriving as `mode` says (then up to BATCH later): "live" seconds after, "late"
    16-40 minutes after, "mixed" some of each and some stored for hours, "burst" all at once
    ten minutes before NOW."""
    start = NOW - 2 * DAY + timedelta(seconds=rng.randrange(60))
    batches: dict = {}
    ts, i, gap = start, 0, 0
    while ts < NOW - timedelta(seconds=rng.randrange(1, 300)):
        if gap:
            gap -= 1
        elif rng.random() < 0.02:
            gap = rng.randrange(1, 90)
        else:
            if mode == "burst":
                at = NOW - timedelta(minutes=10)
            else:
                kind = mode if mode != "mixed" else rng.choice(("live", "live", "late", "stored"))
                delay = {"live": (5, 50), "late": (16 * 60, 40 * 60), "stored": (3600, 5 * 3600)}
                at = ts + timedelta(seconds=rng.randrange(*delay[kind]))
                at += (NOW - at) % BATCH  # arrivals in batches, not a write a point
                at -= timedelta(microseconds=at.microsecond)
            value = 20.0 if constant else 20.0 + (i * 7) % 11
            points = [Point("temp", (), ts, value)]
            if rng.random() < 0.8:
                points.append(Point("flow", (), ts, value * 2))
            batches.setdefault(at, []).extend(points)
            i += 1
        ts += timedelta(seconds=every)
    for at in sorted(batches):
        telemetry_ingest(integration=integration, points=batches[at], now=at)


@pytest.fixture
def fleet(org):
    rng = random.Random(7)
    shapes = [
        (60, 60, "live", False),
        (60, 45, "mixed", False),
        (120, 60, "late", False),
        (300, 100, "mixed", False),
        (900, 240, "live", False),
        (60, 60, "burst", False),
        (300, 60, "live", True),
        (90, 60, "live", False),  # not whole minutes: always the rollups
    ]
    fleet = []
    for n, (interval, every, mode, constant) in enumerate(shapes):
        created = NOW - timedelta(hours=rng.randrange(20, 60), seconds=rng.randrange(3600))
        created += timedelta(microseconds=rng.randrange(10**6))
        one = Integration.objects.create(
            organization=org, name=f"line {n}", created=created, interval_seconds=interval
        )
        feed(one, rng, every=every, mode=mode, constant=constant)
        fleet.append(one)
    return fleet


def test_minutes_and_rollups_judge_uptime_alike(fleet, monkeypatch):
    checks = []
    for window in WINDOWS:
        for backfill in (False, True):
            params = {"window": window, "threshold": 0.9, "allow_backfill_lag": backfill}
            checks += [("uptime", [one], params) for one in fleet]
            checks += [
                ("both_directions", list(pair), params)
                for pair in zip(fleet, fleet[1:], strict=False)
            ]
    checks.append(("uptime", [fleet[0]], {"window": DAY, "threshold": 0.5, "interval": HOUR}))
    seen = []
    monkeypatch.setattr(
        service, "measure_seen", lambda *a, **k: seen.append(1) or measure_seen(*a, **k)
    )
    late = NOW - timedelta(hours=3, minutes=7, seconds=13, microseconds=5)
    for end, as_of in ((NOW, NOW), (late, late), (late - HOUR, late)):
        by_minutes = checks_measure_many(checks=checks, window_end=end, as_of=as_of)
        with monkeypatch.context() as rollups_only:
            rollups_only.setattr(service, "_by_minutes", lambda *args: False)
            by_rollups = checks_measure_many(checks=checks, window_end=end, as_of=as_of)
        for check, one, other in zip(checks, by_minutes, by_rollups, strict=True):
            assert one == other, (check, end, as_of)
    results = {m.reason.split(":")[0] for m in by_rollups}
    assert len(seen) > len(checks)  # most judged by minutes, each time
    assert any(m.passed for m in by_rollups) and any(m.passed is False for m in by_rollups)
    assert len(results) > 3, results  # passes, failures, no data, bursts, nothing moves


def test_a_burst_is_left_to_the_rollups(fleet):
    burst = fleet[5]
    hours = checkminutes._seen_hours(NOW - DAY, NOW, NOW, [burst])[burst.pk]
    check = Check("uptime", 0.9, DAY, interval=timedelta(minutes=1), allow_backfill_lag=True)
    assert checkminutes._seen(check, hours, burst, NOW) is None
    (result,) = checks_measure_many(
        checks=[("uptime", [burst], {"window": DAY, "threshold": 0.9, "allow_backfill_lag": True})],
        window_end=NOW,
        as_of=NOW,
    )
    assert "one burst" in result.reason


def test_an_hour_changed_after_the_judgement_is_counted_from_the_rollups(fleet):
    one = fleet[2]  # late: its minutes arrive 16-40 minutes after
    as_of = NOW - HOUR
    hours = checkminutes._seen_hours(NOW - DAY, NOW, as_of, [one])[one.pk]
    stored = {int(row.hour.timestamp()): row for row in SeenMinutes.objects.filter(integration=one)}
    recounted = [row for row in hours if row[3] is None]
    assert recounted
    for hour, bits, on_time, _ in recounted:
        assert stored[hour].arrived > as_of
        assert bits | stored[hour].minutes == stored[hour].minutes
        assert on_time | stored[hour].on_time == stored[hour].on_time
    assert any(bits != stored[hour].minutes for hour, bits, _, _ in recounted)
    kept = [row for row in hours if row[3] is not None]
    assert kept and all(stored[row[0]].minutes == row[1] for row in kept)


def bucket(at, arrival):
    return Bucket(at, MINUTE, 1, 1.0, 2.0, 1.5, 2.0, at, arrival, arrival)


def test_minutes_counted_are_judged_as_buckets_are():
    check = Check("uptime", 0.5, HOUR, interval=5 * MINUTE)
    start = NOW - HOUR
    rows = [bucket(start + k * 5 * MINUTE, start + k * 5 * MINUTE + MINUTE) for k in range(6)]
    assert measure_seen(check, [Seen(6, True)], end=NOW) == measure(
        check, [rows], end=NOW, as_of=NOW
    )
    assert measure(check, [rows], end=NOW, as_of=NOW).passed is True
    assert measure_seen(check, [Seen(0, False)], end=NOW) == measure(
        check, [[]], end=NOW, as_of=NOW
    )
    assert measure_seen(check, [Seen(3, True)], end=NOW).measured == 0.25
    both = Check("both_directions", 0.5, HOUR, interval=5 * MINUTE)
    result = measure_seen(both, [Seen(12, True), Seen(3, True)], end=NOW)
    every = [bucket(start + k * 5 * MINUTE, start + k * 5 * MINUTE + MINUTE) for k in range(12)]
    assert result == measure(both, [every, rows[:3]], end=NOW, as_of=NOW)
    assert (result.passed, result.measured) == (False, 0.25)
    assert result.reason.startswith("integration 2: measured 0.25")
    with pytest.raises(ValueError):
        measure_seen(Check("freshness", 60, HOUR), [Seen(1, True)], end=NOW)


def test_ingest_marks_the_minutes_on_time_and_when_they_last_changed(org):
    line = Integration.objects.create(organization=org, name="Line", created=NOW - DAY)
    hour = NOW - HOUR  # NOW is on the hour: the minutes 0-59 of the hour before

    def ingest(minutes, at, metric="temp"):
        points = [Point(metric, (), hour + m * MINUTE, 1.0) for m in minutes]
        telemetry_ingest(integration=line, points=points, now=at)
        return SeenMinutes.objects.get(integration=line, hour=hour)

    row = ingest(range(30, 50), hour + 55 * MINUTE)  # 39-49 within 16 minutes of starting
    assert (row.minutes, row.on_time) == (bits(range(30, 50)), bits(range(39, 50)))
    assert row.arrived == hour + 55 * MINUTE
    row = ingest([40, 45], NOW, metric="flow")  # nothing new: the row stays as it was
    assert (row.on_time, row.arrived) == (bits(range(39, 50)), hour + 55 * MINUTE)
    row = ingest([10, 58], NOW)  # 10 late, 58 on time
    assert row.minutes == bits([*range(30, 50), 10, 58])
    assert (row.on_time, row.arrived) == (bits([*range(39, 50), 58]), NOW)


def bits(minutes):
    return sum({1 << m for m in minutes})


def test_the_fill_counts_the_minutes_ingest_counted(fleet):
    written = {(r.integration_id, r.hour): r for r in SeenMinutes.objects.all()}
    SeenMinutes.objects.all().delete()
    seen_minutes_fill()
    filled = {(r.integration_id, r.hour): r for r in SeenMinutes.objects.all()}
    assert filled.keys() == written.keys() and len(filled) > 100
    for key, row in filled.items():
        assert (row.minutes, row.on_time) == (written[key].minutes, written[key].on_time)
        assert row.arrived >= written[key].arrived  # its rollups' latest first arrival


def both_ways(monkeypatch, checks, end=NOW, as_of=NOW):
    by_minutes = checks_measure_many(checks=checks, window_end=end, as_of=as_of)
    with monkeypatch.context() as rollups_only:
        rollups_only.setattr(service, "_by_minutes", lambda *args: False)
        return by_minutes, checks_measure_many(checks=checks, window_end=end, as_of=as_of)


def send(line, metric, minutes, hour=NOW - HOUR, value=None):
    """A point a minute, each arriving ten seconds after it."""
    for m in minutes:
        ts = hour + m * MINUTE
        point = Point(metric, (), ts, float(m % 7) if value is None else value)
        telemetry_ingest(integration=line, points=[point], now=ts + timedelta(seconds=10))


def test_a_metric_deleted_in_the_admin_takes_its_minutes_along(org, admin_client, monkeypatch):
    line = Integration.objects.create(organization=org, name="Line", created=NOW - DAY)
    send(line, "temp", range(0, 30))
    send(line, "flow", range(30, 60))
    flow = line.metrics.get(name="flow")
    checks = [("uptime", [line], {"window": 30 * MINUTE, "threshold": 0.9})]
    assert both_ways(monkeypatch, checks)[0][0].measured == 1.0
    response = admin_client.post(
        reverse("admin:integration_metric_delete", args=[flow.pk]), {"post": "yes"}
    )
    assert response.status_code == 302 and not line.metrics.filter(name="flow").exists()
    by_minutes, by_rollups = both_ways(monkeypatch, checks)
    assert by_minutes == by_rollups and by_minutes[0].reason == "no data in the window"
    assert SeenMinutes.objects.get(integration=line).minutes == bits(range(30))


def test_an_hour_written_by_code_of_before_is_counted_from_the_rollups(org, monkeypatch):
    line = Integration.objects.create(organization=org, name="Line", created=NOW - DAY)
    send(line, "temp", range(0, 50))
    # as the INSERT of before migration 0018 leaves a row: no minute on time, arrival unknown
    SeenMinutes.objects.filter(integration=line).update(on_time=0, arrived=None)
    send(line, "temp", range(50, 60))  # ingest now keeps the arrival unknown
    assert SeenMinutes.objects.get(integration=line).arrived is None
    checks = [("uptime", [line], {"window": 30 * MINUTE, "threshold": 0.9})]
    by_minutes, by_rollups = both_ways(monkeypatch, checks)
    assert by_minutes == by_rollups and by_minutes[0].measured == 1.0
    seen_minutes_fill(since=NOW - 30 * MINUTE)  # from the hour's start
    row = SeenMinutes.objects.get(integration=line)
    assert (row.on_time, row.arrived) == (bits(range(60)), NOW + 10 * SECOND - MINUTE)


def test_the_fill_catches_up_with_a_minute_written_by_code_of_before(org, monkeypatch):
    line = Integration.objects.create(organization=org, name="Line", created=NOW - DAY)
    send(line, "temp", [m for m in range(60) if m != 35])
    before = SeenMinutes.objects.get(integration=line).arrived
    late = Point("temp", (), NOW - 25 * MINUTE, 9.0)
    telemetry_ingest(integration=line, points=[late], now=NOW + 30 * MINUTE)
    # code of before 0018 OR-ed the minute in and left `arrived` as it was
    SeenMinutes.objects.filter(integration=line).update(arrived=before)
    seen_minutes_fill()
    assert SeenMinutes.objects.get(integration=line).arrived == NOW + 30 * MINUTE
    params = {"window": 30 * MINUTE, "threshold": 0.9, "allow_backfill_lag": True}
    params["interval"] = MINUTE  # judged before the minute arrived: 29 of 30
    by_minutes, by_rollups = both_ways(monkeypatch, [("uptime", [line], params)])
    assert by_minutes == by_rollups and by_minutes[0].measured == 29 / 30
