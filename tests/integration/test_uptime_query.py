"""Uptime counted from `SeenMinutes` gives exactly what `health.uptime` gives over the minute
rollups."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from integration import health
from integration.lineprotocol import Point
from integration.models import Integration, SeenMinutes
from integration.services import (
    seen_minutes_fill,
    telemetry_ingest,
    telemetry_ping,
    telemetry_seen_buckets,
    telemetry_uptime,
    telemetry_uptimes,
)

NOW = datetime(2026, 11, 25, 10, 0, 17, 250_000, tzinfo=UTC)
WEEK = timedelta(days=7)
WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


def pure_uptime(integration, *, window, now):
    """`health.uptime` over the minutes the minute rollups hold: what the database's count
    must equal."""
    return health.uptime(
        seen=telemetry_seen_buckets(integration=integration, start=now - window, end=now),
        interval=integration.interval,
        window_start=now - window,
        window_end=now,
        created=integration.created,
    )


@pytest.mark.parametrize("interval_seconds", [60, 300, 420, 3600])
@pytest.mark.parametrize("created_days_ago", [40, 3.3])
def test_uptime_from_the_database_matches_the_pure_count(org, interval_seconds, created_days_ago):
    created = NOW - timedelta(days=created_days_ago, microseconds=123_457)
    integration = Integration.objects.create(
        organization=org, name="Line", interval_seconds=interval_seconds, created=created
    )
    rng = random.Random(interval_seconds)
    minutes = rng.sample(range(1, 40 * 24 * 60), 6000)
    points = [Point("temp", (), NOW - timedelta(minutes=m, seconds=rng.randrange(60)), 1.0)
              for m in minutes]  # fmt: skip
    telemetry_ingest(integration=integration, points=points, now=NOW)
    expected = {
        key: pure_uptime(integration, window=length, now=NOW) for key, length in WINDOWS.items()
    }
    assert telemetry_uptime(integration=integration, windows=WINDOWS, now=NOW) == expected
    assert expected["30d"] > 0


def test_no_complete_interval_is_no_figure(org):
    integration = Integration.objects.create(
        organization=org, name="New", interval_seconds=3600, created=NOW - timedelta(minutes=5)
    )
    assert telemetry_uptime(integration=integration, windows=WINDOWS, now=NOW) == {
        "24h": None,
        "7d": None,
        "30d": None,
    }


def test_a_page_of_uptimes_in_one_query_matches_each_pure_count(org, django_assert_num_queries):
    """Integrations of different intervals and ages (younger than the window too, created on
    a whole second or not), one never sending and one too new for a complete interval: one
    query, each figure `health.uptime`'s."""
    rng = random.Random(7)
    integrations = []
    shapes = [(60, 3), (300, 0.4), (420, 40), (3600, 2), (60, 1), (60, 0.9), (120, 0.2)]
    for n, (interval, age) in enumerate(shapes):
        created = NOW - timedelta(days=age, microseconds=rng.randrange(10**6))
        integration = Integration.objects.create(
            organization=org,
            name=f"Line {n}",
            interval_seconds=interval,
            created=created.replace(microsecond=0) if n == len(shapes) - 1 else created,
        )
        minutes = rng.sample(range(1, 30 * 60), 700)
        points = [Point("temp", (), NOW - timedelta(minutes=m, seconds=rng.randrange(60)), 1.0)
                  for m in minutes]  # fmt: skip
        telemetry_ingest(integration=integration, points=points, now=NOW)
        integrations.append(integration)
    silent = Integration.objects.create(organization=org, name="Silent", created=NOW - WEEK)
    fresh = Integration.objects.create(organization=org, name="Fresh", created=NOW)
    integrations += [silent, fresh]
    day = WINDOWS["24h"]
    expected = {i.pk: pure_uptime(i, window=day, now=NOW) for i in integrations}
    with django_assert_num_queries(1):
        figures = telemetry_uptimes(integrations=integrations, window=day, now=NOW)
    assert figures == expected
    assert figures[silent.pk] == 0 and figures[fresh.pk] is None
    assert len({v for v in figures.values() if v}) >= 6


def test_a_creation_in_the_last_half_millisecond_of_a_second_starts_at_the_next_one(org):
    # SQLite's strftime('%s') rounds to the millisecond: …59.9997 read as the next second,
    # rounded up once more, started the intervals a second late (a review found it).
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    created = datetime(2026, 11, 25, 7, 0, 59, 999_700, tzinfo=UTC)
    line = Integration.objects.create(
        organization=org, name="L", interval_seconds=120, created=created
    )
    points = [Point("t", (), now - timedelta(minutes=m), 1.0) for m in (178, 177)]
    telemetry_ingest(integration=line, points=points, now=now)
    day = timedelta(hours=24)
    expected = pure_uptime(line, window=day, now=now)
    assert telemetry_uptimes(integrations=[line], window=day, now=now)[line.pk] == expected


@pytest.mark.parametrize("seed", range(6))
def test_uptime_from_seen_minutes_matches_the_pure_count_for_any_shape(org, seed):
    """Random intervals (not only whole minutes), ages, `now`s off the second and the minute,
    several metrics and heartbeats in the same minutes, hours with every minute and hours with
    a few, points up to the future limit: the list's and the integration page's figures are
    `health.uptime`'s over the minute rollups."""
    rng = random.Random(seed)
    now = NOW + timedelta(seconds=rng.randrange(3600), microseconds=rng.randrange(10**6))
    integrations = []
    for n in range(4):
        created = now - timedelta(
            seconds=rng.randrange(60, 9 * 86400),
            microseconds=rng.randrange(2) * rng.randrange(10**6),
        )
        line = Integration.objects.create(
            organization=org,
            name=f"Line {n}",
            interval_seconds=rng.choice([60, 61, 90, 119, 300, 437, 3600, 5400]),
            created=created,
        )
        seconds = rng.sample(range(-540, 8 * 86400), 2500)
        dense = rng.randrange(86400, 7 * 86400)  # hours with every minute, now and then a gap
        seconds += [dense - 60 * m for m in range(rng.randrange(120, 480)) if rng.random() > 0.01]
        points = [Point(rng.choice(["temp", "flow"]), (), now - timedelta(seconds=s), 1.0)
                  for s in seconds]  # fmt: skip
        telemetry_ingest(integration=line, points=points, now=now)
        for s in sorted(rng.sample(range(1, 8 * 86400), 50), reverse=True):
            telemetry_ping(integration=line, now=now - timedelta(seconds=s))
        integrations.append(line)
    for window in WINDOWS.values():
        expected = {i.pk: pure_uptime(i, window=window, now=now) for i in integrations}
        assert telemetry_uptimes(integrations=integrations, window=window, now=now) == expected
        for i in integrations:
            one = telemetry_uptime(integration=i, windows={"w": window}, now=now)["w"]
            assert one == expected[i.pk]
    assert any(0 < figure < 1 for figure in expected.values())


def test_seen_minutes_filled_from_the_rollups_are_what_ingest_wrote(org, other_org):
    lines = []
    for owner in (org, other_org):
        line = Integration.objects.create(organization=owner, name="Line", created=NOW - WEEK)
        minutes = random.Random(3).sample(range(1, 3 * 24 * 60), 900)
        points = [Point(metric, (), NOW - timedelta(minutes=m), 1.0)
                  for m in minutes for metric in ("temp", "flow")]  # fmt: skip
        telemetry_ingest(integration=line, points=points, now=NOW)
        lines.append(line)
    written = set(SeenMinutes.objects.values_list("integration", "hour", "minutes"))
    assert len(written) > 60

    def rows(line):
        return set(SeenMinutes.objects.filter(integration=line).values_list("hour", "minutes"))

    before = [rows(line) for line in lines]
    SeenMinutes.objects.update(minutes=0)  # as if written by code before the table
    since = NOW.replace(minute=0, second=0, microsecond=0) - timedelta(hours=24)
    seen_minutes_fill(organization=org, since=since)
    day = {(hour, bits) for hour, bits in before[0] if hour >= since}
    assert {(hour, bits) for hour, bits in rows(lines[0]) if bits} == day
    assert {bits for _, bits in rows(lines[1])} == {0}  # another organisation's: as it was
    seen_minutes_fill(integration=lines[1])
    assert rows(lines[1]) == before[1]
    seen_minutes_fill()
    assert [rows(line) for line in lines] == before
    SeenMinutes.objects.filter(integration=lines[1]).delete()
    seen_minutes_fill()  # adds what is missing, changes nothing else
    assert set(SeenMinutes.objects.values_list("integration", "hour", "minutes")) == written
