"""Migration 0017 fills `SeenMinutes` from the minute rollups already stored: uptime reads the
same before and after an upgrade."""

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
    telemetry_ingest(integration=line, points=points, now=NOW)
    written = set(SeenMinutes.objects.values_list("integration", "hour", "minutes"))
    windows = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
    before = telemetry_uptime(integration=line, windows=windows, now=NOW)
    try:
        migrate(("integration", "0016_token_generation"))
        assert "integration_seenminutes" not in connection.introspection.table_names()
    finally:
        migrate(None)
    assert len(written) > 90
    assert set(SeenMinutes.objects.values_list("integration", "hour", "minutes")) == written
    assert telemetry_uptime(integration=line, windows=windows, now=NOW) == before
    assert 0.3 < before["24h"] < 0.4  # one minute in three
