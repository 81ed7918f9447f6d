"""`check_measure` on rollups written by the real ingest, `now=` standing for arrival."""

from datetime import timedelta

import pytest

from integration.checks import Check
from integration.lineprotocol import Point
from integration.models import HourRollup, Integration, MinuteRollup
from integration.services import telemetry_ingest, telemetry_ping
from integration.services.checkreads import _reads
from integration.services.checks import check_measure, checks_measure_many
from tests.integration.conftest import NOW

END = NOW  # the windows end here
STEP = timedelta(minutes=5)  # the integrations' interval
DAY, WEEK = timedelta(days=1), timedelta(days=7)
HOUR = timedelta(hours=1)
BATCH = timedelta(minutes=10)


def varied(i: int) -> float:
    return 20.0 + (i * 7) % 11


def feed(integration, *, start, end, every=STEP, value=varied, arrival=None):
    """Points of `temp` every `every` in [start, end), posted as live data (a batch every ten
    minutes), or all at `arrival`."""
    batches: dict = {}
    ts, i = start, 0
    while ts < end:
        at = arrival or ts - (ts - start) % BATCH + BATCH
        batches.setdefault(at, []).append(Point("temp", (), ts, value(i)))
        ts, i = ts + every, i + 1
    for at, points in batches.items():
        telemetry_ingest(integration=integration, points=points, now=at)


@pytest.fixture
def line(org):
    return Integration.objects.create(
        organization=org, name="Press line", created=END - 30 * DAY, interval_seconds=300
    )


@pytest.fixture
def other(org):
    return Integration.objects.create(
        organization=org, name="Boiler", created=END - 30 * DAY, interval_seconds=300
    )


def measure(kind, integrations, as_of=END, window=DAY, end=END, **params):
    return check_measure(
        kind=kind,
        integrations=integrations,
        params={"window": window, "metric": "temp", **params},
        window_end=end,
        as_of=as_of,
    )


@pytest.fixture
def live(line, other):
    """A day of live data from `line`, one point every other interval from `other`."""
    feed(line, start=END - DAY, end=END)
    feed(other, start=END - DAY, end=END, every=2 * STEP)
    return line, other


@pytest.mark.parametrize(
    ("kind", "params", "as_of", "passed", "measured"),
    [
        ("freshness", {"threshold": 600}, END, True, 300),
        ("freshness", {"threshold": 600}, END + timedelta(hours=2), False, 7500),
        ("uptime", {"threshold": 0.99}, END, True, 1.0),
        ("aggregate", {"threshold": 20, "aggregate": "min"}, END, True, 20),
        ("aggregate", {"threshold": 21, "aggregate": "min"}, END, False, 20),
        ("aggregate", {"threshold": 30, "aggregate": "max", "op": "<="}, END, True, 30),
        ("aggregate", {"threshold": 288, "aggregate": "count"}, END, True, 288),
        ("variation", {"threshold": 10}, END, True, 10),
        ("variation", {"threshold": 11}, END, False, 10),
    ],
)
def test_each_kind_measures_live_data(live, kind, params, as_of, passed, measured):
    result = measure(kind, [live[0]], as_of=as_of, **params)
    assert (result.passed, result.measured) == (passed, pytest.approx(measured)), result.reason


def test_uptime_and_both_directions_fail_on_missing_intervals(live):
    line, other = live
    result = measure("uptime", [other], threshold=0.9)
    assert (result.passed, result.measured) == (False, 0.5)
    assert measure("both_directions", [line, line], threshold=0.9).passed is True
    result = measure("both_directions", [line, other], threshold=0.9)
    assert (result.passed, result.measured) == (False, 0.5)
    assert result.reason.startswith("integration 2:")


def test_heartbeats_measure_the_successful_share(line):
    for hour in range(24):
        at = END - DAY + timedelta(hours=hour, minutes=30)
        telemetry_ping(integration=line, now=at, failed=hour % 8 == 0)
    assert measure("heartbeat", [line], threshold=0.8).passed is True
    result = measure("heartbeat", [line], threshold=0.9)
    assert (result.passed, result.measured) == (False, pytest.approx(21 / 24))


def test_no_integration_or_metric_bound_is_not_tested(line):
    assert (
        check_measure(
            kind="uptime",
            integrations=[],
            params={"window": DAY, "threshold": 1},
            window_end=END,
            as_of=END,
        ).passed
        is None
    )
    result = check_measure(
        kind="aggregate",
        integrations=[line],
        params={"window": DAY, "threshold": 1},
        window_end=END,
        as_of=END,
    )
    assert (result.passed, result.reason) == (None, "no metric bound")


def test_a_loop_posting_a_constant_value_never_verifies(line):
    feed(line, start=END - WEEK, end=END, value=lambda i: 42.0)
    result = measure("aggregate", [line], window=WEEK, threshold=40)
    assert result.passed is False
    assert "the value never changes over the window: looks staged" in result.reason
    result = measure("uptime", [line], window=WEEK, threshold=0.9, require_variation=True)
    assert "never changes" in result.reason


def test_a_week_posted_in_one_burst_never_verifies(line):
    feed(line, start=END - WEEK, end=END, arrival=END)
    for kind in ("aggregate", "variation", "uptime"):
        result = measure(kind, [line], window=WEEK, threshold=1, allow_backfill_lag=True)
        assert result.passed is False
        assert "arrived in one burst at 2026-11-25 10:00" in result.reason, kind


def test_a_dead_devices_last_value_repeated_never_verifies(line):
    feed(line, start=END - WEEK, end=END, value=lambda i: varied(min(i, 500)))
    result = measure("aggregate", [line], window=WEEK, threshold=20)
    assert result.passed is False
    assert "a dead device's last value looks repeated" in result.reason


def test_a_live_week_verifies(line):
    feed(line, start=END - WEEK, end=END)
    assert measure("aggregate", [line], window=WEEK, threshold=20).passed is True
    assert measure("uptime", [line], window=WEEK, threshold=0.99).passed is True


def test_backfill_after_a_judgement_never_turns_it_but_counts_later(line):
    feed(line, start=END - DAY, end=END - 18 * timedelta(hours=1))  # six live hours
    count = {"threshold": 200, "aggregate": "count"}
    before = measure("aggregate", [line], **count)
    assert (before.passed, before.measured) == (False, 72)
    uptime = measure("uptime", [line], threshold=0.9, allow_backfill_lag=True)
    assert (uptime.passed, uptime.measured) == (False, 0.25)

    feed(line, start=END - 18 * timedelta(hours=1), end=END, arrival=END + timedelta(hours=1))
    assert measure("aggregate", [line], **count) == before
    assert measure("uptime", [line], threshold=0.9, allow_backfill_lag=True) == uptime

    later = END + timedelta(hours=2)
    result = measure("aggregate", [line], as_of=later, end=later, **count)
    assert (result.passed, result.measured) == (True, 264)
    # Uptime counts the backfilled intervals only for store-and-forward data.
    assert measure("uptime", [line], as_of=later, end=later, threshold=0.5).passed is False
    lagging = measure(
        "uptime", [line], as_of=later, end=later, threshold=0.5, allow_backfill_lag=True
    )
    assert lagging.passed is True


def test_beyond_the_minute_retention_hours_are_read(line, settings, django_assert_num_queries):
    settings.TELEMETRY_MINUTE_ROLLUP_RETENTION_DAYS = 1
    feed(line, start=END - WEEK, end=END)
    MinuteRollup.objects.filter(bucket__lt=END - DAY).delete()
    with django_assert_num_queries(3):  # one per resolution, one for when the values changed
        result = measure("uptime", [line], window=WEEK, threshold=0.99)
    assert (result.passed, result.measured) == (True, 1.0)


def test_many_checks_measure_as_one_each_reading_shared_rollups_once(
    live, django_assert_num_queries
):
    line, other = live
    checks = [
        ("freshness", [line], {"window": DAY, "threshold": 600}),
        ("uptime", [other], {"window": DAY, "threshold": 0.9}),
        ("uptime", [line], {"window": DAY, "threshold": 0.5}),
        ("aggregate", [line], {"window": DAY, "threshold": 20, "metric": "temp"}),
        ("aggregate", [other], {"window": DAY, "threshold": 30, "metric": "temp"}),
        ("both_directions", [line, other], {"window": DAY, "threshold": 0.9}),
        ("variation", [line], {"window": WEEK, "threshold": 5, "metric": "temp"}),
        ("aggregate", [line], {"window": DAY, "threshold": 1}),  # no metric
    ]
    one_by_one = [
        check_measure(kind=k, integrations=i, params=p, window_end=END, as_of=END)
        for k, i, p in checks
    ]
    # Reads: the uptime kinds' seen minutes (one window), every metric in 5-minute groups
    # (freshness), the temp values of the day and of the week, when each integration's values
    # last changed.
    with django_assert_num_queries(5):
        together = checks_measure_many(checks=checks, window_end=END, as_of=END)
    assert together == one_by_one
    assert [r.passed for r in together] == [True, False, True, True, False, False, True, None]


def test_nothing_moves_is_judged_across_every_metric_heartbeats_aside(line):
    feed(line, start=END - DAY, end=END, value=lambda i: 42.0)
    for hour in range(24):  # heartbeats that vary (one in three failed) do not count
        telemetry_ping(integration=line, now=END - DAY + hour * HOUR, failed=hour % 3 == 0)
    staged = "looks staged: no value it sent changes over the window"
    for kind in ("uptime", "freshness"):
        result = measure(kind, [line], metric=None, threshold=0.9 if kind == "uptime" else 600)
        assert (result.passed, result.reason) == (False, staged), kind
    # Another metric that moves (a counter) beside the constant one: the source is live.
    ts = END - DAY
    while ts < END:
        telemetry_ingest(integration=line, points=[Point("count", (), ts, ts.timestamp())], now=ts)
        ts += HOUR
    assert measure("uptime", [line], metric=None, threshold=0.9).passed is True


def test_freshness_judged_now_reads_the_whole_hours_by_the_hour(line):
    """A day's freshness judged on the present reads the hours inside its window from the hour
    rollups, each piece grouped from its own start, its two partial hours by the minute;
    judging the past, every minute; other kinds as before."""
    end = END + timedelta(minutes=17)
    check = Check("freshness", threshold=600, window=DAY)

    def keys(present, check=check):
        return [
            (key[0], key[1], key[2], key[4])
            for key in _reads(check, None, line, end, end, end, present)
        ]

    assert keys(True) == [
        (MinuteRollup, end - DAY, END - DAY + HOUR, end - DAY),
        (HourRollup, END - DAY + HOUR, END, END - DAY + HOUR),
        (MinuteRollup, END, end, END),
    ]
    assert keys(False) == [(MinuteRollup, end - DAY, end, end - DAY)]
    valued = Check("freshness", threshold=600, window=DAY, require_variation=True)
    assert keys(True, valued) == keys(False, valued) == [(MinuteRollup, end - DAY, end, end - DAY)]
    for kind in ("uptime", "aggregate", "variation"):
        other = Check(kind, threshold=1, window=DAY)
        assert keys(True, other) == keys(False, other), kind


def judged(integration, end, now):
    params = {"window": DAY, "threshold": 600}
    return check_measure(
        kind="freshness",
        integrations=[integration],
        params=params,
        window_end=end,
        as_of=end,
        now=now,
    )


@pytest.mark.parametrize("data", ["live", "stale", "burst", "burst in whole hours", "none"])
def test_freshness_by_the_hour_judges_as_by_the_minute(line, data):
    """The same judgement: a burst seen by the hour, whose start stands for its first point, is
    judged again by the minute (11 h 40 min of data sent at once spans 12 h 16 min by the hour,
    past half the window, and 11 h 35 min by the minute)."""
    end = END + timedelta(minutes=17)
    sent = end - timedelta(minutes=4)
    if data == "live":
        feed(line, start=end - DAY - HOUR, end=end)
    elif data == "stale":
        feed(line, start=end - DAY - HOUR, end=end - 3 * HOUR)
    elif data == "burst":
        feed(line, start=end - DAY, end=end, arrival=sent)
    elif data == "burst in whole hours":
        feed(line, start=end - timedelta(hours=11, minutes=40), end=end, arrival=sent)
    by_the_hour, by_the_minute = judged(line, end, now=end), judged(line, end, now=None)
    assert by_the_hour == by_the_minute
    expected = {"live": True, "stale": False, "burst": False, "none": False}.get(data, True)
    assert by_the_hour.passed is expected, by_the_hour.reason
    if data == "burst":
        assert "arrived in one burst" in by_the_hour.reason


def test_freshness_judged_in_the_past_reads_minutes(line):
    """An hour that had arrived by a past judgement may hold points that arrived after it: the
    past is judged by the minute, whether `now` is given or not."""
    end = END + timedelta(minutes=17)
    feed(line, start=end - 6 * HOUR, end=END - timedelta(hours=2, minutes=40))  # to 07:20
    feed(line, start=END - timedelta(hours=2, minutes=40), end=END - 2 * HOUR, arrival=end + HOUR)
    newest = END - timedelta(hours=2, minutes=43)  # 07:17, the last point arrived by `end`
    age = (end - newest).total_seconds()
    for now in (None, end + 2 * HOUR):
        assert (judged(line, end, now).passed, judged(line, end, now).measured) == (False, age)
