"""Minute and hour rollups always equal the aggregates of the raw points they cover."""

from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration.lineprotocol import Point
from integration.models import HourRollup, MinuteRollup
from integration.models import Point as StoredPoint
from integration.services import telemetry_ingest
from tests.integration.conftest import NOW


def expected_rollups(integration, step: timedelta) -> dict:
    """(series id, bucket) -> (count, min, max, sum, last) computed from the raw points."""
    groups = defaultdict(list)
    points = StoredPoint.objects.filter(series__metric__integration=integration)
    for series_id, ts, value in points.values_list("series_id", "ts", "value"):
        bucket = ts - (ts - NOW.replace(hour=0, minute=0)) % step
        groups[series_id, bucket].append((ts, value))
    result = {}
    for key, rows in groups.items():
        values = [value for _, value in rows]
        result[key] = (len(rows), min(values), max(values), sum(values), max(rows)[1])
    return result


def actual_rollups(integration, model) -> dict:
    rows = model.objects.filter(series__metric__integration=integration).values_list(
        "series_id", "bucket", "count", "min", "max", "sum", "last"
    )
    return {(sid, bucket): tuple(rest) for sid, bucket, *rest in rows}


def assert_rollups_match(integration):
    for model, step in ((MinuteRollup, timedelta(minutes=1)), (HourRollup, timedelta(hours=1))):
        expected = expected_rollups(integration, step)
        actual = actual_rollups(integration, model)
        assert actual.keys() == expected.keys()
        for key, (count, low, high, total, last) in expected.items():
            assert actual[key] == (count, low, high, pytest.approx(total), last), key


def ingest(integration, points):
    return telemetry_ingest(integration=integration, points=points, now=NOW)


def test_rollups_sum_up_one_batch(integration):
    ingest(
        integration,
        [
            Point("temp", (), NOW - timedelta(seconds=70), 5.0),
            Point("temp", (), NOW - timedelta(seconds=50), 1.0),
            Point("temp", (), NOW - timedelta(seconds=10), 3.0),
            Point("temp", (), NOW - timedelta(seconds=30), 2.0),
        ],
    )
    minutes = MinuteRollup.objects.order_by("bucket").values_list(
        "bucket", "count", "min", "max", "sum", "last", "last_ts"
    )
    assert list(minutes) == [
        (NOW - timedelta(minutes=2), 1, 5.0, 5.0, 5.0, 5.0, NOW - timedelta(seconds=70)),
        (NOW - timedelta(minutes=1), 3, 1.0, 3.0, 6.0, 3.0, NOW - timedelta(seconds=10)),
    ]
    hour = HourRollup.objects.values_list("bucket", "count", "min", "max", "sum", "last").get()
    assert hour == (NOW - timedelta(hours=1), 4, 1.0, 5.0, 11.0, 3.0)


def test_last_is_the_latest_point_even_when_it_arrives_first(integration):
    ingest(integration, [Point("temp", (), NOW - timedelta(seconds=5), 9.0)])
    ingest(integration, [Point("temp", (), NOW - timedelta(seconds=30), 1.0)])
    rollup = MinuteRollup.objects.get()
    assert (rollup.count, rollup.last, rollup.last_ts) == (2, 9.0, NOW - timedelta(seconds=5))
    assert rollup.avg == 5.0


def test_duplicates_do_not_count_in_rollups(integration):
    batch = [Point("temp", (), NOW - timedelta(seconds=s), float(s)) for s in range(0, 300, 7)]
    ingest(integration, batch)
    ingest(integration, batch)
    ingest(integration, [*batch[:5], Point("temp", (), NOW - timedelta(seconds=1), 100.0)])
    assert sum(r.count for r in MinuteRollup.objects.all()) == len(batch) + 1
    assert sum(r.count for r in HourRollup.objects.all()) == len(batch) + 1
    assert_rollups_match(integration)


batches = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(["temp", "rpm"]),
            st.sampled_from([(), (("line", "3"),)]),
            st.integers(min_value=0, max_value=3 * 3600),  # seconds before NOW
            st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
        ),
        max_size=40,
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=batches)
def test_rollups_equal_aggregates_of_raw_points_after_any_batches(integration, batches):
    # The database is shared by the examples: the property must hold on whatever came before.
    for batch in batches:
        points = [
            Point(metric, labels, NOW - timedelta(seconds=ago), value)
            for metric, labels, ago, value in batch
        ]
        ingest(integration, points)
    assert_rollups_match(integration)


def arrivals(integration, model) -> dict:
    rows = model.objects.filter(series__metric__integration=integration)
    return {r.bucket: (r.first_arrival, r.last_arrival) for r in rows}


def test_rollups_keep_the_first_and_the_latest_arrival(integration):
    minute = NOW.replace(second=0, microsecond=0) - timedelta(minutes=5)
    first, later = NOW, NOW + timedelta(hours=1)
    telemetry_ingest(integration=integration, points=[Point("t", (), minute, 1.0)], now=later)
    point = Point("t", (), minute + timedelta(seconds=5), 2.0)
    telemetry_ingest(integration=integration, points=[point], now=first)
    again = Point("t", (), minute + timedelta(seconds=9), 3.0)
    telemetry_ingest(integration=integration, points=[again], now=later + timedelta(minutes=1))

    assert arrivals(integration, MinuteRollup) == {minute: (first, later + timedelta(minutes=1))}
    hour = minute.replace(minute=0)
    assert arrivals(integration, HourRollup) == {hour: (first, later + timedelta(minutes=1))}


def test_a_rollup_stored_before_arrivals_were_kept_counts_as_arrived_at_its_bucket(integration):
    minute = NOW.replace(second=0, microsecond=0) - timedelta(minutes=5)
    telemetry_ingest(integration=integration, points=[Point("t", (), minute, 1.0)], now=NOW)
    MinuteRollup.objects.update(first_arrival=None, last_arrival=None)
    point = Point("t", (), minute + timedelta(seconds=5), 2.0)
    telemetry_ingest(integration=integration, points=[point], now=NOW + timedelta(days=1))

    assert arrivals(integration, MinuteRollup) == {minute: (minute, NOW + timedelta(days=1))}


def test_a_new_batch_and_one_repeating_a_stored_point_sum_up_alike(integration):
    # All new: one COPY; repeating a stored point: the staged insert. Same points, same sums.
    points = [
        Point("t", (), NOW - timedelta(seconds=ago), float(ago), quality)
        for ago, quality in ((50, "bad"), (70, None), (10, "uncertain"), (30, "bad"), (65, None))
    ]
    ingest(integration, [point._replace(metric="new") for point in points])
    ingest(integration, points[:1])
    ingest(integration, points)

    def rollups(model, metric):
        return list(
            model.objects.filter(series__metric__name=metric)
            .order_by("bucket")
            .values_list("bucket", "count", "sum", "last", "last_ts", "uncertain", "bad")
        )

    for model in (MinuteRollup, HourRollup):
        assert rollups(model, "new") == rollups(model, "t")
    assert rollups(MinuteRollup, "new") == [
        (NOW - timedelta(minutes=2), 2, 135.0, 65.0, NOW - timedelta(seconds=65), 0, 0),
        (NOW - timedelta(minutes=1), 3, 90.0, 10.0, NOW - timedelta(seconds=10), 1, 2),
    ]


def test_a_batch_over_two_utc_days_is_stored_in_key_order_not_by_copy(integration):
    """COPY into the partitioned points table writes one day's rows after the other's, taking
    the key's locks out of key order: two such batches sharing points deadlocked (PostgreSQL).
    Such a batch takes the staged INSERT ... SELECT in key order; its sums are the same."""
    midnight = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    points = [
        Point("t", (("s", str(n % 2)),), midnight + timedelta(seconds=ago), float(ago), None)
        for n, ago in enumerate((-90, -30, 20, 70))
    ]
    with CaptureQueriesContext(connection) as queries:
        ingest(integration, points)
    if connection.vendor == "postgresql":
        assert any("integration_point_stage" in q["sql"] for q in queries.captured_queries)
    assert StoredPoint.objects.count() == 4
    assert sorted(HourRollup.objects.values_list("bucket", "count")) == [
        (midnight - timedelta(hours=1), 1),
        (midnight - timedelta(hours=1), 1),
        (midnight, 1),
        (midnight, 1),
    ]


def test_a_batch_within_one_utc_day_is_copied_straight_in(integration):
    points = [Point("t", (), NOW - timedelta(seconds=ago), float(ago), None) for ago in (5, 9)]
    with CaptureQueriesContext(connection) as queries:
        ingest(integration, points)
    assert not any("integration_point_stage" in q["sql"] for q in queries.captured_queries)
    assert StoredPoint.objects.count() == 2


def test_a_point_a_series_is_rolled_up_with_its_quality_marks(integration):
    # One reading a series (MQTT at breadth) takes a path of its own in the rollups.
    qualities = [None, "uncertain", "bad", "good", "uncertain"]
    ingest(
        integration,
        [
            Point("temp", (("sensor", str(n)),), NOW - timedelta(seconds=n), n + 0.5, quality)
            for n, quality in enumerate(qualities)
        ],
    )
    assert_rollups_match(integration)
    for model in (MinuteRollup, HourRollup):
        marks = model.objects.filter(series__metric__integration=integration)
        assert sorted(marks.values_list("series__labels", "uncertain", "bad")) == [
            ('{"sensor":"0"}', 0, 0),
            ('{"sensor":"1"}', 1, 0),
            ('{"sensor":"2"}', 0, 1),
            ('{"sensor":"3"}', 0, 0),
            ('{"sensor":"4"}', 1, 0),
        ]
