from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from integration.health import (
    Status,
    error_rate,
    freshness,
    is_down_event,
    is_recovery_event,
    is_transition,
    status,
    uptime,
)

T0 = datetime(2025, 11, 25, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
INTERVAL = timedelta(minutes=5)
GRACE = timedelta(minutes=2)


def status_at(now, *, last_seen=T0, paused=False, last_failed=None):
    return status(
        last_seen=last_seen,
        interval=INTERVAL,
        grace=GRACE,
        paused=paused,
        now=now,
        last_failed=last_failed,
    )


# status


def test_it_is_new_when_never_seen():
    assert status_at(T0, last_seen=None) == Status.NEW


def test_it_is_up_right_after_a_point():
    assert status_at(T0) == Status.UP


def test_it_is_up_until_the_interval_has_passed_inclusive():
    assert status_at(T0 + INTERVAL) == Status.UP


def test_it_is_late_just_after_the_interval():
    assert status_at(T0 + INTERVAL + timedelta(microseconds=1)) == Status.LATE


def test_it_is_late_until_the_grace_period_has_passed_inclusive():
    assert status_at(T0 + INTERVAL + GRACE) == Status.LATE


def test_it_is_down_after_interval_and_grace():
    assert status_at(T0 + INTERVAL + GRACE + timedelta(microseconds=1)) == Status.DOWN


def test_a_point_from_the_future_counts_as_up():
    assert status_at(T0, last_seen=T0 + MINUTE) == Status.UP


def test_states_over_time_follow_the_heartbeat():
    # points at 10:00 and 10:04, then silence; now -> last point seen by then
    timeline = {
        T0 - MINUTE: None,
        T0 + 3 * MINUTE: T0,
        T0 + 9 * MINUTE: T0 + 4 * MINUTE,
        T0 + 10 * MINUTE: T0 + 4 * MINUTE,
        T0 + 11 * MINUTE: T0 + 4 * MINUTE,
        T0 + 12 * MINUTE: T0 + 4 * MINUTE,
    }
    assert [status_at(now, last_seen=last) for now, last in timeline.items()] == [
        Status.NEW,
        Status.UP,
        Status.UP,
        Status.LATE,
        Status.LATE,
        Status.DOWN,
    ]


def test_it_reads_the_clock_the_caller_passes_in():
    with time_machine.travel(T0 + 6 * MINUTE, tick=False):
        assert status_at(datetime.now(UTC)) == Status.LATE
    with time_machine.travel(T0 + 8 * MINUTE, tick=False):
        assert status_at(datetime.now(UTC)) == Status.DOWN


def test_paused_wins_over_every_other_state():
    assert status_at(T0, paused=True) == Status.PAUSED
    assert status_at(T0, last_seen=None, paused=True) == Status.PAUSED
    assert status_at(T0 + timedelta(days=9), paused=True) == Status.PAUSED
    assert status_at(T0, paused=True, last_failed=T0 + MINUTE) == Status.PAUSED


def test_a_fail_ping_after_the_last_point_means_down():
    assert status_at(T0 + MINUTE, last_failed=T0 + MINUTE) == Status.DOWN


def test_a_fail_ping_at_the_same_time_as_the_last_point_means_down():
    assert status_at(T0 + MINUTE, last_failed=T0) == Status.DOWN


def test_a_point_after_a_fail_ping_clears_it():
    assert status_at(T0 + MINUTE, last_failed=T0 - MINUTE) == Status.UP


def test_a_fail_ping_when_never_seen_means_down():
    assert status_at(T0, last_seen=None, last_failed=T0) == Status.DOWN


def test_status_values_are_plain_strings():
    assert [str(s) for s in Status] == ["new", "up", "degraded", "late", "down", "paused"]
    assert Status("late") is Status.LATE


# freshness


def test_freshness_is_none_when_never_seen():
    assert freshness(None, T0) is None


def test_freshness_is_the_age_of_the_last_point():
    assert freshness(T0, T0 + 90 * timedelta(seconds=1)) == timedelta(seconds=90)


def test_freshness_is_never_negative():
    assert freshness(T0 + MINUTE, T0) == timedelta(0)


# uptime

HOUR = timedelta(hours=1)
TEN = timedelta(minutes=10)


def hour_uptime(seen, **kwargs):
    return uptime(seen=seen, interval=TEN, window_start=T0, window_end=T0 + HOUR, **kwargs)


def at(*minutes):
    return [T0 + timedelta(minutes=m) for m in minutes]


def test_uptime_is_one_when_every_interval_had_data():
    assert hour_uptime(at(1, 11, 21, 31, 41, 51)) == 1.0


def test_uptime_is_zero_without_data():
    assert hour_uptime([]) == 0.0


def test_uptime_counts_an_interval_once_however_many_points_it_had():
    # intervals 10:00, 10:20 and 10:50 had data: 3 of 6
    assert hour_uptime(at(1, 2, 5, 9, 25, 29, 59)) == 0.5


def test_uptime_intervals_are_half_open():
    # 10:00 opens the first interval, 10:10 the second; 10:20 to 11:00 are empty
    assert hour_uptime(at(0, 10)) == pytest.approx(2 / 6)


def test_uptime_ignores_points_outside_the_window():
    assert hour_uptime(at(-30, -1, 60, 61, 120)) == 0.0
    assert hour_uptime(at(-30, -1, 0, 60, 61)) == pytest.approx(1 / 6)


def test_uptime_ignores_the_incomplete_last_interval():
    # 10:00-10:35 holds 3 complete intervals; the point at 10:32 is in the incomplete one
    result = uptime(seen=at(5, 32), interval=TEN, window_start=T0, window_end=T0 + 35 * MINUTE)
    assert result == pytest.approx(1 / 3)


def test_uptime_starts_at_creation_when_created_mid_window():
    # created 10:30: intervals 10:30, 10:40, 10:50; data in the first and the last
    assert hour_uptime(at(5, 31, 55), created=T0 + 30 * MINUTE) == pytest.approx(2 / 3)


def test_uptime_lays_intervals_from_the_creation_time():
    # created 10:25: intervals 10:25, 10:35, 10:45 (10:55-11:00 is incomplete)
    assert hour_uptime(at(34, 35), created=T0 + 25 * MINUTE) == pytest.approx(2 / 3)


def test_uptime_uses_the_window_start_when_created_before_it():
    assert hour_uptime(at(1, 11, 21), created=T0 - HOUR) == 0.5


def test_uptime_is_none_when_created_after_the_window():
    assert hour_uptime(at(1), created=T0 + 2 * HOUR) is None


def test_uptime_is_none_when_no_interval_is_complete():
    assert uptime(seen=at(1), interval=TEN, window_start=T0, window_end=T0 + 9 * MINUTE) is None
    assert hour_uptime(at(55), created=T0 + 51 * MINUTE) is None


def test_uptime_is_none_for_an_empty_or_reversed_window():
    assert uptime(seen=[], interval=TEN, window_start=T0, window_end=T0) is None
    assert uptime(seen=[], interval=TEN, window_start=T0, window_end=T0 - HOUR) is None


def test_uptime_takes_one_timestamp_per_bucket_with_data():
    # 30 days of hourly buckets with an hourly interval; the integration was silent for a day
    start = T0
    buckets = [start + i * HOUR for i in range(30 * 24) if not 48 <= i < 72]
    result = uptime(
        seen=buckets, interval=HOUR, window_start=start, window_end=start + 30 * 24 * HOUR
    )
    assert result == pytest.approx(29 / 30)


def test_uptime_refuses_unsorted_timestamps():
    with pytest.raises(ValueError, match="sorted"):
        hour_uptime(at(20, 10))


def test_uptime_refuses_a_non_positive_interval():
    with pytest.raises(ValueError, match="positive"):
        uptime(seen=[], interval=timedelta(0), window_start=T0, window_end=T0 + HOUR)


# error rate


def test_error_rate_is_the_failed_share():
    assert error_rate(ok=9, failed=3) == 0.25


def test_error_rate_is_zero_without_failures():
    assert error_rate(ok=5, failed=0) == 0.0


def test_error_rate_is_none_when_nothing_was_reported():
    assert error_rate(ok=0, failed=0) is None


def test_error_rate_refuses_negative_counts():
    with pytest.raises(ValueError):
        error_rate(ok=-1, failed=2)


# events

NEW, UP, DEGRADED, LATE, DOWN, PAUSED = Status


@pytest.mark.parametrize(
    ("previous", "current", "recorded", "down", "recovery"),
    [
        (NEW, UP, True, False, False),
        (UP, LATE, True, False, False),
        (LATE, UP, True, False, False),
        (UP, DOWN, True, True, False),
        (LATE, DOWN, True, True, False),
        (NEW, DOWN, True, True, False),
        (PAUSED, DOWN, True, True, False),
        (DOWN, UP, True, False, True),
        (DOWN, LATE, True, False, True),
        (DOWN, DEGRADED, True, False, True),
        (UP, DEGRADED, True, False, False),
        (DEGRADED, UP, True, False, False),
        (DEGRADED, DOWN, True, True, False),
        (DOWN, PAUSED, True, False, False),
        (UP, PAUSED, True, False, False),
        (PAUSED, UP, True, False, False),
        (UP, UP, False, False, False),
        (DOWN, DOWN, False, False, False),
        (None, UP, False, False, False),
        (None, DOWN, False, False, False),
    ],
)
def test_events_by_transition(previous, current, recorded, down, recovery):
    assert is_transition(previous, current) is recorded
    assert is_down_event(previous, current) is down
    assert is_recovery_event(previous, current) is recovery


def test_while_unpaused_every_down_email_is_followed_by_a_recovery_before_the_next():
    walk = [NEW, UP, LATE, DOWN, LATE, DOWN, UP, DEGRADED, LATE, UP, DOWN, DEGRADED, UP]
    emails = []
    for previous, current in zip(walk, walk[1:], strict=False):
        if is_down_event(previous, current):
            emails.append("down")
        if is_recovery_event(previous, current):
            emails.append("recovered")
    assert emails == ["down", "recovered", "down", "recovered", "down", "recovered"]
