"""Migrations 0017 and 0018 fill `SeenMinutes` (its minutes, then the on-time ones and when
they arrived) from the minute rollups already stored: uptime and uptime checks read the same
before and after an upgrade."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from integration.lineprotocol import Point
from integration.models import Integration, SeenMinutes
from integration.services import telemetry_ingest, telemetry_uptime
from tests.integration.conftest import NOW

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())


def test_the_migration_fills_seen_minutes_from_the_rollups(org):
    line = Integration.objects.create(
        organization=org, name="Line", interval_seconds=60, created=NOW - timedelta(7)
    )
    points = [Point(metric, (), NOW - timedelta(minutes=3 * m), 1.0)
              for m in range(1, 2000) for metric in ("temp", "flow")]  # fmt: skip
    telemetry_ingest(integration=line, points=points[1000:], now=NOW - timedelta(hours=2))
    telemetry_ingest(integration=line, points=points, now=NOW)
    columns = ("integration", "hour", "minutes", "on_time", "arrived")
    written = set(SeenMinutes.objects.values_list(*columns))
    windows = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
    before = telemetry_uptime(integration=line, windows=windows, now=NOW)
    try:
        migrate(("integration", "0016_token_generation"))
        assert "integration_seenminutes" not in connection.introspection.table_names()
    finally:
        migrate(None)
    assert len(written) > 90
    assert set(SeenMinutes.objects.values_list(*columns)) == written
    assert {arrived for *_, arrived in written} == {NOW - timedelta(hours=2), NOW}
    assert sum(on_time.bit_count() for *_, on_time, _ in written) == 5  # 3, 6, .. 15 minutes ago
    assert telemetry_uptime(integration=line, windows=windows, now=NOW) == before
    assert 0.3 < before["24h"] < 0.4  # one minute in three


def test_the_on_time_minutes_are_filled_in_where_rollups_are(org):
    line = Integration.objects.create(organization=org, name="Line", created=NOW - timedelta(1))
    points = [Point("temp", (), NOW - timedelta(minutes=m), 1.0) for m in range(1, 120)]
    telemetry_ingest(integration=line, points=points, now=NOW)
    written = set(SeenMinutes.objects.values_list("hour", "minutes", "on_time", "arrived"))
    try:
        migrate(("integration", "0017_seen_minutes"))
    finally:
        migrate(None)
    assert set(SeenMinutes.objects.values_list("hour", "minutes", "on_time", "arrived")) == written
    assert sum(on_time.bit_count() for _, _, on_time, _ in written) == 16  # the last 16 minutes
