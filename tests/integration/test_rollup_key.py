"""Migration 0019: on PostgreSQL the minute rollups' primary key also holds every column charts
and checks read, so their reads are the index alone (bench/rollup_index.py measures what that
saves); undone, the key is the plain one again and the rows are kept. Run again, it keeps a
finished build, and its swap waits out queries holding the table."""

import importlib
import threading
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from integration.lineprotocol import Point
from integration.models import Integration, MinuteRollup
from integration.services import telemetry_ingest, telemetry_series
from integration.services.checks import check_measure
from tests.integration.conftest import NOW
from tests.services import need_postgresql

pytestmark = pytest.mark.django_db(transaction=True)

COVERED = "count, min, max, sum, last, last_ts, first_arrival, last_arrival"


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())


def table_key() -> tuple[str, list]:
    """The primary key's definition and the table's storage options."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT pg_get_indexdef(i.indexrelid), c.reloptions
               FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
               WHERE c.relname = 'integration_minuterollup' AND i.indisprimary"""
        )
        return cursor.fetchone()


@pytest.fixture
def line(org):
    line = Integration.objects.create(organization=org, name="Line", created=NOW - timedelta(1))
    points = [Point("temp", (("sensor", s),), NOW - timedelta(minutes=m), float(m))
              for m in range(1, 181) for s in ("a", "b")]  # fmt: skip
    telemetry_ingest(integration=line, points=points, now=NOW)
    return line


def plan_of(sql: str) -> str:
    """EXPLAIN ANALYZE of `sql` (parameters in it) after VACUUM, as autovacuum leaves a table."""
    with connection.cursor() as cursor:
        # FREEZE waits for each page's cleanup lock, so every page ends marked all-visible.
        cursor.execute("VACUUM (FREEZE, ANALYZE) integration_minuterollup")
        # The table is small: without these the planner may read it whole.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_bitmapscan = off")
        try:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_bitmapscan")


def minute_read(queries) -> str:
    (sql,) = [q["sql"] for q in queries.captured_queries if "integration_minuterollup" in q["sql"]]
    return sql


def test_a_chart_reads_the_minute_rollups_from_their_key_alone(line):
    need_postgresql()
    with CaptureQueriesContext(connection) as queries:
        rows = telemetry_series(
            integration=line, metric="temp", start=NOW - timedelta(hours=3), end=NOW, step="1m"
        )
    assert len(rows) == 180 and rows[0][1] == 2  # both sensors in each minute
    plan = plan_of(minute_read(queries))
    assert "Index Only Scan using integration_minuterollup_pkey" in plan, plan
    assert "Heap Fetches: 0" in plan, plan


def test_a_check_reads_the_minute_rollups_from_their_key_alone(line):
    need_postgresql()
    params = {"window": timedelta(hours=3), "threshold": 100, "metric": "temp"}
    with CaptureQueriesContext(connection) as queries:
        measured = check_measure(
            kind="variation", integrations=[line], params=params, window_end=NOW, as_of=NOW
        )
    assert measured.measured is not None, measured  # reads `last` too (first_value)
    plan = plan_of(minute_read(queries))
    assert "Index Only Scan using integration_minuterollup_pkey" in plan, plan
    assert "Heap Fetches: 0" in plan, plan


def test_the_migration_swaps_the_key_both_ways_and_keeps_the_rows(line):
    need_postgresql()
    stored = sorted(MinuteRollup.objects.values_list("series_id", "bucket", "count", "sum"))
    key, options = table_key()
    assert key.endswith(f"(series_id, bucket) INCLUDE ({COVERED})"), key
    assert options == [
        "autovacuum_vacuum_insert_scale_factor=0",
        "autovacuum_vacuum_insert_threshold=50000",
    ]
    try:
        migrate(("integration", "0018_seen_minutes_on_time"))
        key, options = table_key()
        assert key.endswith("USING btree (series_id, bucket)") and options is None, key
    finally:
        migrate(None)
    key, options = table_key()
    assert key.endswith(f"INCLUDE ({COVERED})") and options is not None
    assert sorted(MinuteRollup.objects.values_list("series_id", "bucket", "count", "sum")) == stored
    assert len(stored) == 360


MIGRATION = importlib.import_module("integration.migrations.0019_minute_rollup_covering_key")


def test_run_again_it_rebuilds_a_wrong_build_and_its_swap_waits_for_a_lock(line, monkeypatch):
    need_postgresql()
    stored = MinuteRollup.objects.count()
    migrate(("integration", "0018_seen_minutes_on_time"))
    table, built = MIGRATION.TABLE, MIGRATION.BUILT
    with connection.cursor() as cursor:  # left by an earlier run: valid, other columns
        cursor.execute(f"CREATE UNIQUE INDEX {built} ON {table} (series_id, bucket)")
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or None, port=settings["PORT"] or None,
        user=settings["USER"], password=settings["PASSWORD"] or None, dbname=settings["NAME"],
    )  # fmt: skip
    swap_in, held = MIGRATION.swap_in, []

    def while_another_query_holds_the_table(schema_editor):
        other.execute(f"SELECT 1 FROM {table} LIMIT 1")  # its transaction stays open
        threading.Timer(1.0, other.rollback).start()
        held.append(time.monotonic())
        swap_in(schema_editor)
        held.append(time.monotonic())

    monkeypatch.setattr(MIGRATION, "LOCK_WAIT", "200ms")
    monkeypatch.setattr(MIGRATION, "swap_in", while_another_query_holds_the_table)
    try:
        migrate(None)
    finally:
        other.close()
    assert held[1] - held[0] >= 1.0  # waited for the other query, in several tries
    key, _ = table_key()
    assert key.endswith(f"INCLUDE ({COVERED})"), key
    assert MinuteRollup.objects.count() == stored
