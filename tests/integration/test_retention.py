"""manage.py telemetry_partitions: daily partitions on PostgreSQL, retention everywhere."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from integration.lineprotocol import Point
from integration.models import HourRollup, MinuteRollup, MqttCount, MqttStrayCount, SeenMinutes
from integration.services import telemetry_ingest, telemetry_retention_apply
from integration.services.retention import existing_partitions, partition_name
from tests.integration.conftest import NOW, stored
from tests.services import need_postgresql

DAY = timedelta(days=1)


def ingest(integration, *times, now=NOW):
    points = [Point("temp", (), ts, 1.0) for ts in times]
    return telemetry_ingest(integration=integration, points=points, now=now)


def partition_of(ts: datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM integration_point WHERE ts = %s", [ts])
        return cursor.fetchone()[0]


def test_partitions_are_created_from_the_cutoff_to_days_ahead(db):
    need_postgresql()
    report = telemetry_retention_apply(now=NOW, retention_days=3, ahead_days=2)
    days = [date(2026, 11, 22) + i * DAY for i in range(6)]  # 22nd (cutoff day) to 27th
    assert report.created == [partition_name(day) for day in days]
    assert sorted(existing_partitions()) == days


def test_running_again_changes_nothing(db):
    need_postgresql()
    telemetry_retention_apply(now=NOW, retention_days=3, ahead_days=2)
    report = telemetry_retention_apply(now=NOW, retention_days=3, ahead_days=2)
    assert (report.created, report.dropped, report.moved, report.deleted) == ([], [], 0, 0)


def test_points_land_in_their_days_partition(integration):
    need_postgresql()
    telemetry_retention_apply(now=NOW, retention_days=3, ahead_days=2)
    ingest(integration, NOW, NOW - DAY)
    assert partition_of(NOW) == "integration_point_p20261125"
    assert partition_of(NOW - DAY) == "integration_point_p20261124"


def test_points_of_a_day_without_partition_are_moved_into_it_when_created(integration):
    need_postgresql()
    ingest(integration, NOW, NOW - DAY)
    assert partition_of(NOW) == "integration_point_default"
    report = telemetry_retention_apply(now=NOW, retention_days=3, ahead_days=2)
    assert report.moved == 2
    assert partition_of(NOW) == "integration_point_p20261125"
    assert partition_of(NOW - DAY) == "integration_point_p20261124"
    assert len(stored(integration)) == 2
    assert ingest(integration, NOW).duplicates == 1  # the key still holds across partitions


def test_expired_partitions_are_dropped_with_their_points_but_rollups_stay(integration):
    need_postgresql()
    telemetry_retention_apply(now=NOW, retention_days=3, ahead_days=2)
    old = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    ingest(integration, old, NOW)
    later = NOW + 2 * DAY  # the cutoff moves to Nov 24th 10:00
    report = telemetry_retention_apply(now=later, retention_days=3, ahead_days=2)
    assert report.dropped == ["integration_point_p20261122", "integration_point_p20261123"]
    assert report.created == ["integration_point_p20261128", "integration_point_p20261129"]
    assert [row[2] for row in stored(integration)] == [NOW]
    assert HourRollup.objects.count() == 2


def test_expired_points_in_the_default_partition_are_deleted(integration):
    need_postgresql()
    telemetry_retention_apply(now=NOW, retention_days=3, ahead_days=2)
    ancient = datetime(2020, 1, 1, tzinfo=UTC)
    ingest(integration, ancient, NOW)
    assert partition_of(ancient) == "integration_point_default"
    report = telemetry_retention_apply(now=NOW, retention_days=3, ahead_days=2)
    assert report.deleted == 1
    assert [row[2] for row in stored(integration)] == [NOW]


def test_expired_points_are_deleted_on_any_database(integration):
    ingest(integration, NOW - 4 * DAY, NOW - 2 * DAY, NOW)
    report = telemetry_retention_apply(now=NOW, retention_days=3)
    assert report.deleted == 1
    assert [row[2] for row in stored(integration)] == [NOW - 2 * DAY, NOW]


def test_old_minute_rollups_are_deleted_and_hour_rollups_kept(integration):
    ingest(integration, NOW - 10 * DAY, NOW)
    report = telemetry_retention_apply(now=NOW, retention_days=30, minute_rollup_days=7)
    assert report.rollups_deleted == 1
    assert list(MinuteRollup.objects.values_list("bucket", flat=True)) == [NOW]
    assert HourRollup.objects.count() == 2


def test_mqtt_counts_of_expired_hours_are_deleted(integration):
    old, recent = NOW - 8 * DAY, NOW - DAY
    for hour in (old, recent):
        MqttCount.objects.create(integration=integration, hour=hour, messages=1)
        MqttStrayCount.objects.create(listener="l1", hour=hour, unknown_topic=1)
    report = telemetry_retention_apply(now=NOW, retention_days=30, minute_rollup_days=7)
    assert report.counts_deleted == 2
    assert list(MqttCount.objects.values_list("hour", flat=True)) == [recent]
    assert list(MqttStrayCount.objects.values_list("hour", flat=True)) == [recent]


def test_seen_minutes_go_with_the_minute_rollups_once_their_whole_hour_has(integration):
    # The cutoff is 10:30 seven days back: the minute rollups before it go, and so does the
    # 09:00 hour; the 10:00 one keeps its row until all of its minutes are past the cutoff.
    now = NOW + timedelta(minutes=30)
    cutoff = now - 7 * DAY
    ingest(integration, cutoff - timedelta(minutes=61), cutoff - timedelta(minutes=20), NOW)
    assert SeenMinutes.objects.count() == 3
    report = telemetry_retention_apply(now=now, retention_days=30, minute_rollup_days=7)
    assert (report.rollups_deleted, report.seen_hours_deleted) == (2, 1)
    hours = SeenMinutes.objects.order_by("hour").values_list("hour", flat=True)
    assert list(hours) == [datetime(2026, 11, 18, 10, tzinfo=UTC), NOW]


def test_the_command_reads_the_retention_setting(integration, settings):
    settings.TELEMETRY_RETENTION_DAYS = 3
    ingest(integration, NOW - 5 * DAY, NOW)
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("telemetry_partitions", "--ahead", "2", stdout=out)
    assert [row[2] for row in stored(integration)] == [NOW]
    assert "created" in out.getvalue() and "hours of seen minutes" in out.getvalue()


def test_the_seen_minutes_command_fills_in_what_old_code_left_out(integration):
    ingest(integration, NOW - 3 * DAY, NOW - timedelta(minutes=5))
    written = set(SeenMinutes.objects.values_list("hour", "minutes"))
    SeenMinutes.objects.all().delete()  # written by a process from before the table
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("telemetry_seen_minutes", "--hours", "2", stdout=out)
        assert set(SeenMinutes.objects.values_list("hour", "minutes")) == {
            (hour, bits) for hour, bits in written if hour > NOW - DAY
        }
        call_command("telemetry_seen_minutes", stdout=out)
    assert set(SeenMinutes.objects.values_list("hour", "minutes")) == written
    assert "of the last 2 hours" in out.getvalue()


def test_the_seen_minutes_command_refuses_hours_below_one(db):
    with pytest.raises(CommandError, match="--hours: 1 or more"):
        call_command("telemetry_seen_minutes", "--hours", "0")
