"""`integration.checks`: each check kind, each planted fake, judged from plain buckets."""

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from integration.checks import Bucket, Check, measure

END = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def varied(i: int) -> float:
    return 20.0 + (i * 7) % 11


def buckets(*, start, count, step=MINUTE, value=varied, arrival=lambda b: b.start + b.step, n=1):
    """`count` buckets of `step` from `start`, each of `n` points; `arrival(bucket)` stamps it."""
    rows = []
    for i in range(count):
        at, v = start + i * step, value(i)
        bucket = Bucket(at, step, n, v, v, v * n, v, at + step - timedelta(seconds=1))
        rows.append(replace(bucket, first_arrival=arrival(bucket), last_arrival=arrival(bucket)))
    return rows


def live(window, step=MINUTE, **kwargs):
    return buckets(start=END - window, count=window // step, step=step, **kwargs)


def judge(check, *series, as_of=END, created=()):
    return measure(check, list(series), end=END, as_of=as_of, created=created)


HOUR_LIVE = live(HOUR)
DAY_LIVE = live(DAY, HOUR, n=60)


@pytest.mark.parametrize(
    ("check", "rows", "passed", "measured"),
    [
        (Check("freshness", 120, HOUR), HOUR_LIVE, True, 1),
        (Check("freshness", 120, HOUR), HOUR_LIVE[:-5], False, 301),
        (Check("uptime", 0.99, HOUR), HOUR_LIVE, True, 1.0),
        (Check("uptime", 0.99, HOUR), HOUR_LIVE[::2], False, 0.5),
        (Check("uptime", 0.5, HOUR, interval=timedelta(minutes=5)), HOUR_LIVE[::5], True, 1.0),
        (Check("uptime", 0.99, DAY), DAY_LIVE, True, 1.0),  # hour buckets of 60 points
        (Check("uptime", 0.9, DAY), live(DAY, HOUR, n=30), False, 0.5),  # half the minutes
        (Check("aggregate", 20, HOUR, aggregate="min"), HOUR_LIVE, True, 20),
        (Check("aggregate", 21, HOUR, aggregate="min"), HOUR_LIVE, False, 20),
        (Check("aggregate", 30, HOUR, aggregate="max", op="<="), HOUR_LIVE, True, 30),
        (Check("aggregate", 29, HOUR, aggregate="max", op="<="), HOUR_LIVE, False, 30),
        (Check("aggregate", 60, HOUR, aggregate="count"), HOUR_LIVE, True, 60),
        (Check("aggregate", 61, HOUR, aggregate="count"), HOUR_LIVE, False, 60),
        (Check("aggregate", 25, HOUR, aggregate="last"), HOUR_LIVE, True, varied(59)),
        (Check("aggregate", 24, HOUR), HOUR_LIVE, True, sum(map(varied, range(60))) / 60),
        (Check("aggregate", 26, HOUR), HOUR_LIVE, False, sum(map(varied, range(60))) / 60),
        (Check("variation", 10, HOUR), HOUR_LIVE, True, 10),
        (Check("variation", 11, HOUR), HOUR_LIVE, False, 10),
    ],
)
def test_each_kind_passes_and_fails_on_live_data(check, rows, passed, measured):
    result = judge(check, rows)
    assert (result.passed, result.measured) == (passed, pytest.approx(measured)), result.reason


def test_heartbeats_measure_the_share_that_succeeded():
    pings = live(HOUR, value=lambda i: 0.0 if i % 10 == 0 else 1.0)
    assert judge(Check("heartbeat", 0.9, HOUR), pings).passed is True
    result = judge(Check("heartbeat", 0.95, HOUR), pings)
    assert (result.passed, result.measured) == (False, pytest.approx(0.9))


def test_both_directions_needs_each_integration_up():
    check = Check("both_directions", 0.9, HOUR)
    assert judge(check, HOUR_LIVE, HOUR_LIVE).passed is True
    result = judge(check, HOUR_LIVE, HOUR_LIVE[::2])
    assert (result.passed, result.measured) == (False, 0.5)
    assert result.reason.startswith("integration 2:")
    assert judge(check, HOUR_LIVE, []).passed is False


def test_aggregate_within_operating_hours_reads_only_those_buckets():
    # Wednesday 09:00-09:30 Berlin time is 08:00-08:30 UTC.
    rows = buckets(start=END - 2 * HOUR, count=120, value=lambda i: 100.0 + i if i < 30 else i)
    open_ = Check(
        "aggregate",
        100,
        2 * HOUR,
        aggregate="min",
        hours=((2, time(9), time(9, 30)),),
        tz="Europe/Berlin",
    )
    result = judge(open_, rows)
    assert (result.passed, result.measured) == (True, 100.0)
    weekend = Check("aggregate", 100, 2 * HOUR, hours=((5, time(0), time(23, 59)),))
    assert judge(weekend, rows).passed is None


def test_a_window_with_no_complete_interval_is_not_tested():
    result = judge(Check("uptime", 0.5, HOUR), HOUR_LIVE, created=[END - timedelta(seconds=30)])
    assert (result.passed, result.reason) == (None, "no complete interval in the window")


def test_no_data_fails():
    result = judge(Check("aggregate", 1, HOUR), [])
    assert (result.passed, result.reason) == (False, "no data in the window")


WEEK = 7 * DAY
CONSTANT = live(WEEK, HOUR, n=60, value=lambda i: 42.0)
BURST = live(WEEK, HOUR, n=60, arrival=lambda b: END - timedelta(minutes=3))
DEAD = live(WEEK, HOUR, n=60, value=lambda i: varied(i) if i < 48 else varied(47))


@pytest.mark.parametrize(
    ("check", "rows", "reason"),
    [
        (Check("aggregate", 40, WEEK), CONSTANT, "the value never changes over the window"),
        (Check("variation", 0, WEEK), CONSTANT, "the value never changes over the window"),
        (Check("uptime", 0.9, WEEK, require_variation=True), CONSTANT, "never changes"),
        (Check("aggregate", 20, WEEK), BURST, "arrived in one burst at 2026-11-25 09:57"),
        (Check("uptime", 0.5, WEEK, allow_backfill_lag=True), BURST, "arrived in one burst"),
        (Check("heartbeat", 0.5, WEEK), BURST, "arrived in one burst"),
        (Check("aggregate", 20, WEEK), DEAD, "a dead device's last value looks repeated"),
        (Check("variation", 5, WEEK), DEAD, "has not changed since 2026-11-20 10:00"),
    ],
)
def test_planted_data_never_verifies(check, rows, reason):
    result = judge(check, rows)
    assert result.passed is False
    assert reason in result.reason


def test_the_same_data_live_verifies():
    assert judge(Check("aggregate", 20, WEEK), live(WEEK, HOUR, n=60)).passed is True
    assert judge(Check("uptime", 0.9, WEEK), live(WEEK, HOUR, n=60)).passed is True


NOTHING_MOVED = "looks staged: no value it sent changes over the window"
DEAD_SINCE = (
    "looks staged: no value it sent has changed since 2026-11-20 10:00 UTC "
    "(a dead device's last values repeated)"
)


@pytest.mark.parametrize(
    ("check", "changed", "reason"),
    [
        (Check("uptime", 0.9, WEEK), [None], NOTHING_MOVED),
        (Check("freshness", 3600, WEEK), [None], NOTHING_MOVED),
        (Check("uptime", 0.9, WEEK), [END - 5 * DAY], DEAD_SINCE),
        (Check("freshness", 3600, WEEK), [END - 5 * DAY], DEAD_SINCE),
        (Check("both_directions", 0.9, WEEK), [END, None], "integration 2: " + NOTHING_MOVED),
        (Check("both_directions", 0.9, WEEK), [END - 5 * DAY, END], "integration 1: " + DEAD_SINCE),
    ],
)
def test_data_in_which_nothing_moves_fails_the_arrival_kinds(check, changed, reason):
    """Freshness, uptime and both_directions fail when none of an integration's values moved
    over the window, or none since more than half of it (a dead device's values repeated)."""
    rows = [CONSTANT] * len(changed)
    result = measure(check, rows, end=END, as_of=END, changed=changed)
    assert (result.passed, result.reason) == (False, reason)
    moving = measure(check, rows, end=END, as_of=END, changed=[END - HOUR] * len(changed))
    assert moving.passed is True, moving.reason


def test_a_constant_heartbeat_passes():
    """A job that always succeeds pings a constant 1: heartbeat is judged on burst and arrival,
    not on moving values (docs/VERIFICATION.md)."""
    pings = live(WEEK, HOUR, n=1, value=lambda i: 1.0)
    result = measure(Check("heartbeat", 0.9, WEEK), [pings], end=END, as_of=END, changed=[None])
    assert (result.passed, result.measured) == (True, 1.0)


def test_buckets_that_arrived_after_the_judgement_do_not_count():
    late = live(HOUR, arrival=lambda b: END + DAY)
    assert judge(Check("aggregate", 1, HOUR, aggregate="count"), late).reason == (
        "no data in the window"
    )
    later = judge(Check("aggregate", 1, HOUR, aggregate="count"), late, as_of=END + 2 * DAY)
    # Arrived at once, a day late: a later judgement sees it, and calls it a burst.
    assert (later.passed, later.measured) == (False, 60)
    assert "one burst" in later.reason


def test_uptime_counts_late_data_only_for_store_and_forward():
    # A day of minutes uploaded every 6 hours: up to 6 hours late, not one burst.
    def upload(b):
        return END - DAY + ((b.start - (END - DAY)) // (6 * HOUR) + 1) * 6 * HOUR

    rows = live(DAY, arrival=upload)
    strict = judge(Check("uptime", 0.9, DAY), rows, as_of=END + HOUR)
    assert strict.passed is False and strict.measured < 0.1
    relaxed = judge(Check("uptime", 0.9, DAY, allow_backfill_lag=True), rows, as_of=END + HOUR)
    assert (relaxed.passed, relaxed.measured) == (True, 1.0)


def test_rows_stored_before_arrivals_were_kept_count_as_arrived_at_their_bucket():
    rows = live(HOUR, arrival=lambda b: None)
    assert judge(Check("uptime", 0.99, HOUR), rows).passed is True


def test_unknown_parameters_are_refused():
    with pytest.raises(ValueError, match="unknown check kind"):
        Check("vibes", 1, HOUR)
    with pytest.raises(ValueError, match="op must be"):
        Check("aggregate", 1, HOUR, op="==")
