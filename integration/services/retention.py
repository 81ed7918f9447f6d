"""Keeping the raw points table in shape: daily partitions ahead, expired points dropped.

PostgreSQL: `integration_point` is range-partitioned by day (`integration_point_pYYYYMMDD`,
UTC days) with a default partition for points no day covers yet. Each run creates the days from
the retention cutoff to `ahead` days from now (moving any of their points out of the default
partition first), drops the days wholly older than the cutoff, and deletes expired points left
in the default partition. A transaction-level advisory lock makes concurrent runs take turns.

SQLite: expired points are deleted. Both: minute rollups, the hours of `SeenMinutes` wholly
before their cutoff, and the MQTT listeners' hourly counts, older than the minute rollups'
retention are deleted; hourly rollups are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction

from integration import conf
from integration.models import MinuteRollup, MqttCount, MqttStrayCount, Point, SeenMinutes

__all__ = ["RetentionReport", "telemetry_retention_apply", "partition_name"]

PARENT = "integration_point"
DEFAULT_PARTITION = "integration_point_default"
_PARTITION = re.compile(r"^integration_point_p(\d{8})$")
_LOCK_KEY = 7_411_520_004  # any constant shared by every run of this command


@dataclass
class RetentionReport:
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    moved: int = 0  # points moved from the default partition into a new one
    deleted: int = 0  # expired points deleted row by row
    rollups_deleted: int = 0
    seen_hours_deleted: int = 0
    counts_deleted: int = 0  # MQTT counts (per integration and per listener) of expired hours


def partition_name(day: date) -> str:
    return f"integration_point_p{day:%Y%m%d}"


def telemetry_retention_apply(
    *,
    now: datetime,
    retention_days: int | None = None,
    ahead_days: int | None = None,
    minute_rollup_days: int | None = None,
) -> RetentionReport:
    """Create upcoming partitions and remove raw points older than the retention period."""
    retention = timedelta(days=retention_days or conf.retention_days())
    ahead = timedelta(days=ahead_days or conf.partition_ahead_days())
    rollup_retention = timedelta(days=minute_rollup_days or conf.minute_rollup_retention_days())
    cutoff = now - retention
    report = RetentionReport()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _maintain_partitions(report, now=now, cutoff=cutoff, ahead=ahead)
        else:
            report.deleted = Point.objects.filter(ts__lt=cutoff).delete()[0]
        report.rollups_deleted = MinuteRollup.objects.filter(
            bucket__lt=now - rollup_retention
        ).delete()[0]
        report.seen_hours_deleted = SeenMinutes.objects.filter(
            hour__lte=now - rollup_retention - timedelta(hours=1)
        ).delete()[0]
        report.counts_deleted = sum(
            model.objects.filter(hour__lt=now - rollup_retention).delete()[0]
            for model in (MqttCount, MqttStrayCount)
        )
    return report


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def existing_partitions() -> dict[date, str]:
    """Daily partitions of the points table on PostgreSQL, by day."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    days = {}
    for name in names:
        match = _PARTITION.match(name)
        if match:
            days[datetime.strptime(match.group(1), "%Y%m%d").date()] = name
    return days


def _maintain_partitions(report, *, now, cutoff, ahead) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        existing = existing_partitions()
        for day, name in sorted(existing.items()):
            if _day_start(day + timedelta(days=1)) <= cutoff:
                cursor.execute(f"DROP TABLE {quote(name)}")
                report.dropped.append(name)
        day = cutoff.astimezone(UTC).date()
        last = (now + ahead).astimezone(UTC).date()
        while day <= last:
            if day not in existing:
                report.moved += _create_partition(cursor, day)
                report.created.append(partition_name(day))
            day += timedelta(days=1)
        cursor.execute(f"DELETE FROM {quote(DEFAULT_PARTITION)} WHERE ts < %s", [cutoff])
        report.deleted = cursor.rowcount


def _create_partition(cursor, day: date) -> int:
    """Create the day's partition; returns how many points moved in from the default one."""
    quote = connection.ops.quote_name
    name, start, end = partition_name(day), _day_start(day), _day_start(day + timedelta(days=1))
    bounds = f"FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    cursor.execute(
        f"SELECT count(*) FROM {quote(DEFAULT_PARTITION)} WHERE ts >= %s AND ts < %s",
        [start, end],
    )
    if cursor.fetchone()[0] == 0:
        cursor.execute(
            f"CREATE TABLE {quote(name)} PARTITION OF {quote(PARENT)} FOR VALUES {bounds}"
        )
        return 0
    # A new partition may not overlap rows of the default one: move them over, then attach.
    # The lock keeps writers out of the default partition while its rows move.
    cursor.execute(f"LOCK TABLE {quote(DEFAULT_PARTITION)} IN SHARE ROW EXCLUSIVE MODE")
    cursor.execute(f"CREATE TABLE {quote(name)} (LIKE {quote(PARENT)} INCLUDING ALL)")
    cursor.execute(
        f"WITH moved AS (DELETE FROM {quote(DEFAULT_PARTITION)} WHERE ts >= %s AND ts < %s "
        "RETURNING series_id, ts, value) "
        f"INSERT INTO {quote(name)} (series_id, ts, value) SELECT series_id, ts, value FROM moved",
        [start, end],
    )
    moved = cursor.rowcount
    cursor.execute(
        f"ALTER TABLE {quote(PARENT)} ATTACH PARTITION {quote(name)} FOR VALUES {bounds}"
    )
    return moved
