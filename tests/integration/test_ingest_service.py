"""The one ingest service: validation shared by every path, all-or-nothing, dedup."""

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from integration.lineprotocol import Point
from integration.models import Integration, Metric, Series
from integration.services import (
    BatchTooLarge,
    IngestResult,
    IntegrationPaused,
    InvalidPoint,
    telemetry_ingest,
    telemetry_ingest_many,
)
from tests.integration.conftest import NOW, minute_rollups, stored

MINUTE = timedelta(minutes=1)
LINE3 = (("line", "3"),)


def ingest(integration, points, now=NOW):
    return telemetry_ingest(integration=integration, points=points, now=now)


def refusal(integration, points, now=NOW, kind=InvalidPoint):
    with pytest.raises(kind) as info:
        ingest(integration, points, now)
    return info.value


def test_it_stores_a_batch_and_creates_metrics_and_series_on_first_sight(integration):
    result = ingest(
        integration,
        [
            Point("temp", LINE3, NOW - MINUTE, 21.5),
            Point("temp", LINE3, NOW, 21.7),
            Point("temp", (("line", "4"),), NOW, 19.0),
            Point("rpm", (), NOW, 1200.0),
        ],
    )
    assert result == IngestResult(accepted=4, duplicates=0)
    assert stored(integration) == [
        ("rpm", "{}", NOW, 1200.0),
        ("temp", '{"line":"3"}', NOW - MINUTE, 21.5),
        ("temp", '{"line":"3"}', NOW, 21.7),
        ("temp", '{"line":"4"}', NOW, 19.0),
    ]
    assert sorted(Metric.objects.values_list("name", flat=True)) == ["rpm", "temp"]
    assert Series.objects.count() == 3


def test_a_retried_batch_stores_nothing_twice(integration):
    batch = [Point("temp", LINE3, NOW - i * MINUTE, float(i)) for i in range(10)]
    assert ingest(integration, batch) == IngestResult(accepted=10, duplicates=0)
    assert ingest(integration, batch) == IngestResult(accepted=0, duplicates=10)
    assert len(stored(integration)) == 10
    assert Series.objects.count() == 1


def test_a_partly_new_batch_stores_only_the_new_points(integration):
    ingest(integration, [Point("temp", (), NOW - MINUTE, 1.0)])
    result = ingest(
        integration, [Point("temp", (), NOW - MINUTE, 1.0), Point("temp", (), NOW, 2.0)]
    )
    assert result == IngestResult(accepted=1, duplicates=1)


def test_the_first_value_stored_wins_within_and_across_batches(integration):
    result = ingest(integration, [Point("temp", (), NOW, 1.0), Point("temp", (), NOW, 2.0)])
    assert result == IngestResult(accepted=1, duplicates=1)
    ingest(integration, [Point("temp", (), NOW, 3.0)])
    assert stored(integration) == [("temp", "{}", NOW, 1.0)]


def test_the_same_time_in_another_series_is_not_a_duplicate(integration):
    result = ingest(
        integration,
        [Point("temp", (), NOW, 1.0), Point("temp", LINE3, NOW, 1.0), Point("rpm", (), NOW, 1.0)],
    )
    assert result.accepted == 3


def test_labels_are_one_series_whatever_their_order(integration):
    ingest(integration, [Point("temp", (("a", "1"), ("b", "2")), NOW, 1.0)])
    result = ingest(integration, [Point("temp", (("b", "2"), ("a", "1")), NOW, 1.0)])
    assert result.duplicates == 1
    assert Series.objects.get().labels == '{"a":"1","b":"2"}'


def test_integers_are_stored_as_floats(integration):
    ingest(integration, [Point("count", (), NOW, 3)])
    assert stored(integration) == [("count", "{}", NOW, 3.0)]


def test_time_zones_are_normalised_to_utc(integration):
    paris = datetime(2026, 11, 25, 11, 0, tzinfo=ZoneInfo("Europe/Paris"))  # 10:00 UTC
    ingest(integration, [Point("temp", (), paris, 1.0)])
    assert ingest(integration, [Point("temp", (), NOW, 1.0)]).duplicates == 1
    assert stored(integration)[0][2] == NOW


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused_naming_the_point(integration, value):
    error = refusal(integration, [Point("temp", (), NOW, 1.0), Point("temp", (), NOW, value)])
    assert (error.index, error.field) == (1, "value")
    assert str(error) == "points[1].value: is not a finite number"


@pytest.mark.parametrize("value", [1.0000001e300, -1e301, 1.7976931348623157e308, 10**301])
def test_values_whose_sums_could_overflow_are_refused(integration, value):
    error = refusal(integration, [Point("temp", (), NOW, 1.0), Point("temp", (), NOW, value)])
    assert (error.index, error.field) == (1, "value")
    assert str(error) == "points[1].value: is beyond ±1e+300: sums of such values overflow"


def test_values_up_to_1e300_are_stored_and_summed(integration):
    """Within the bound, a minute's and an hour's sums stay finite (a sum past float8's range
    failed the whole batch in PostgreSQL)."""
    points = [
        Point("big", (), NOW + timedelta(seconds=s), v)
        for s, v in enumerate((1e300, 1e300, -1e300, 1e300))
    ]
    assert ingest(integration, points).accepted == 4
    assert ingest(integration, [Point("big", (), NOW + timedelta(seconds=9), 1e300)]).accepted == 1
    from integration.models import HourRollup, MinuteRollup

    for model in (MinuteRollup, HourRollup):
        rollup = model.objects.get(series__metric__integration=integration)
        assert (rollup.count, rollup.sum) == (5, pytest.approx(3e300))


@pytest.mark.parametrize("value", ["1.0", None, True])
def test_values_that_are_not_numbers_are_refused(integration, value):
    error = refusal(integration, [Point("temp", (), NOW, value)])
    assert str(error) == "points[0].value: must be a number"


def test_a_time_more_than_ten_minutes_ahead_is_refused(integration):
    ok = Point("temp", (), NOW + timedelta(minutes=10), 1.0)
    late = Point("temp", (), NOW + timedelta(minutes=10, microseconds=1), 1.0)
    assert ingest(integration, [ok]).accepted == 1
    error = refusal(integration, [late])
    assert str(error) == (
        "points[0].ts: 2026-11-25T10:10:00.000001Z is more than 10 minutes in the future"
    )


def test_a_time_before_2000_is_refused(integration):
    earliest = datetime(2000, 1, 1, tzinfo=UTC)
    assert ingest(integration, [Point("temp", (), earliest, 1.0)]).accepted == 1
    error = refusal(integration, [Point("temp", (), earliest - timedelta(microseconds=1), 1.0)])
    assert str(error) == "points[0].ts: 1999-12-31T23:59:59.999999Z is before 2000-01-01"


@pytest.mark.parametrize(
    "metric,reason",
    [
        ("", "is empty"),
        ("x" * 201, "is longer than 200 characters"),
        ("_ping", "starts with '_', kept for Ladder's own metrics"),
        ("temp\n", "has control characters or leading or trailing spaces"),
        (" temp", "has control characters or leading or trailing spaces"),
    ],
)
def test_bad_metric_names_are_refused(integration, metric, reason):
    error = refusal(integration, [Point("ok", (), NOW, 1.0), Point(metric, (), NOW, 1.0)])
    assert (error.index, error.field) == (1, "metric")
    assert reason in str(error)


def test_a_metric_name_of_200_characters_is_accepted(integration):
    assert ingest(integration, [Point("x" * 200, (), NOW, 1.0)]).accepted == 1


@pytest.mark.parametrize(
    "labels,reason",
    [
        (tuple((f"k{i:02}", "v") for i in range(33)), "33 labels; at most 32"),
        ((("", "v"),), "a label has an empty name"),
        ((("k" * 101, "v"),), "is longer than 100 characters"),
        ((("k", "v" * 201),), "is longer than 200 characters"),
        ((("k", 1),), "must be pairs of strings"),
        (tuple((f"k{i:02}", "v" * 60) for i in range(20)), "more than 1000 characters"),
    ],
)
def test_bad_labels_are_refused(integration, labels, reason):
    error = refusal(integration, [Point("temp", labels, NOW, 1.0)])
    assert error.field == "labels"
    assert reason in str(error)


def test_too_many_points_are_refused_whole(integration, settings):
    settings.TELEMETRY_MAX_POINTS = 5
    assert ingest(integration, [Point("t", (), NOW - i * MINUTE, 1.0) for i in range(5)])
    error = refusal(
        integration, [Point("t", (), NOW - i * MINUTE, 1.0) for i in range(6)], kind=BatchTooLarge
    )
    assert str(error) == "6 points in one batch; at most 5 are accepted"
    assert error.code == "request too large"


def test_a_refused_batch_stores_nothing_even_after_good_points(integration):
    good = [Point(f"m{i}", LINE3, NOW - i * MINUTE, float(i)) for i in range(50)]
    refusal(integration, [*good, Point("m0", LINE3, NOW, math.nan)])
    assert stored(integration) == []
    assert not Metric.objects.exists()
    assert minute_rollups(integration) == []
    integration.refresh_from_db()
    assert integration.last_seen is None


def test_a_paused_integration_refuses_data(integration):
    integration.paused = True
    error = refusal(integration, [Point("temp", (), NOW, 1.0)], kind=IntegrationPaused)
    assert error.code == "paused"
    assert stored(integration) == []


def test_an_empty_batch_is_a_no_op(integration, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert ingest(integration, []) == IngestResult(0, 0)


def test_last_seen_is_the_newest_point_never_moving_back_nor_past_now(integration):
    ingest(integration, [Point("temp", (), NOW - 5 * MINUTE, 1.0)])
    integration.refresh_from_db()
    assert integration.last_seen == NOW - 5 * MINUTE
    ingest(integration, [Point("temp", (), NOW - 9 * MINUTE, 1.0)])
    integration.refresh_from_db()
    assert integration.last_seen == NOW - 5 * MINUTE
    ingest(integration, [Point("temp", (), NOW + 5 * MINUTE, 1.0)])
    integration.refresh_from_db()
    assert integration.last_seen == NOW


def test_two_batches_of_one_integration_in_one_write_move_last_seen_to_the_newest(integration):
    telemetry_ingest_many(
        batches=[
            (integration, [Point("temp", (), NOW - MINUTE, 1.0)]),
            (integration, [Point("temp", (), NOW - 5 * MINUTE, 1.0)]),
        ],
        now=NOW,
    )
    integration.refresh_from_db()
    assert integration.last_seen == NOW - MINUTE


def test_a_write_over_several_integrations_keeps_each_ones_series_and_last_seen(
    integration, second_integration
):
    result = telemetry_ingest_many(
        batches=[
            (integration, [Point("temp", LINE3, NOW - 2 * MINUTE, 1.0)]),
            (second_integration, [Point("temp", LINE3, NOW - MINUTE, 2.0)]),
            (integration, [Point("temp", LINE3, NOW - 3 * MINUTE, 3.0)]),
        ],
        now=NOW,
    )
    assert result == IngestResult(3, 0)
    line3 = '{"line":"3"}'
    assert stored(integration) == [
        ("temp", line3, NOW - 3 * MINUTE, 3.0),
        ("temp", line3, NOW - 2 * MINUTE, 1.0),
    ]
    assert stored(second_integration) == [("temp", line3, NOW - MINUTE, 2.0)]
    integration.refresh_from_db()
    second_integration.refresh_from_db()
    assert (integration.last_seen, second_integration.last_seen) == (NOW - 2 * MINUTE, NOW - MINUTE)


@pytest.mark.parametrize(
    "bad, field",
    [(Point("temp", (), NOW, math.nan), "value"), (Point("_ping", (), NOW, 1.0), "metric")],
)
def test_a_write_over_several_integrations_names_a_bad_point_as_its_batch_alone_would(
    integration, second_integration, bad, field
):
    good = [Point("temp", (), NOW - MINUTE, 1.0), Point("temp", (), NOW - 2 * MINUTE, 1.0)]
    with pytest.raises(InvalidPoint) as info:
        telemetry_ingest_many(
            batches=[(integration, good), (second_integration, [good[0], bad])], now=NOW
        )
    # Its index within its own batch (1), not within the points of the write (3).
    assert (info.value.index, info.value.field) == (1, field)
    assert stored(integration) == stored(second_integration) == []


def test_a_batch_of_only_duplicates_does_not_move_last_seen(integration):
    ingest(integration, [Point("temp", (), NOW - MINUTE, 1.0)])
    Integration.objects.filter(pk=integration.pk).update(last_seen=None)
    ingest(integration, [Point("temp", (), NOW - MINUTE, 1.0)], now=NOW + MINUTE)
    integration.refresh_from_db()
    assert integration.last_seen is None


def test_a_large_batch_over_many_series_round_trips(integration):
    batch = [
        Point(f"m{i % 7}", (("sensor", str(i % 11)),), NOW - timedelta(seconds=i), float(i))
        for i in range(3000)
    ]
    assert ingest(integration, batch) == IngestResult(accepted=3000, duplicates=0)
    assert ingest(integration, batch[::2]) == IngestResult(accepted=0, duplicates=1500)
    assert Series.objects.count() == 77
    assert sum(value for *_, value in stored(integration)) == sum(range(3000))


def test_names_that_passed_their_checks_are_remembered_within_a_bounded_size(monkeypatch):
    """A client can send any number of distinct names (the series limit refuses them after the
    checks): only short pairs are remembered, at most _MAX_CHECKED of them."""
    from integration.services import ingest as service

    monkeypatch.setattr(service, "_CHECKED", set())
    monkeypatch.setattr(service, "_MAX_CHECKED", 3)
    now = NOW
    long_labels = tuple((f"k{n}", "v" * 60) for n in range(8))  # ~500 characters: not kept
    service._validate([Point("m", long_labels, now, 1.0, None)], now)
    assert not service._CHECKED
    for n in range(5):
        service._validate([Point(f"m{n}", (("s", "1"),), now, 1.0, None)], now)
        assert 1 <= len(service._CHECKED) <= 3
    assert ("m4", (("s", "1"),)) in service._CHECKED
