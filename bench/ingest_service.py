"""Ingest rate of the telemetry service, in process (no web server), against a plain COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ladder .venv/bin/python bench/ingest_service.py
    .venv/bin/python bench/ingest_service.py            # SQLite (a temporary file)

Runs in a throw-away test database. Measures, for batches of --batch points (5,000 default):
parsing line protocol alone; `telemetry_ingest` on parsed points (validation, series look-up,
dedup-safe bulk write, rollups, one transaction per batch); the whole HTTP view through
Django's test client (auth, body, parse, ingest; no network); a retry of stored batches (all
duplicates); and on PostgreSQL a plain psycopg COPY of the same rows into the points table,
the ceiling. Points per second, and the ratio to COPY. A benchmark, never a test.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("HTTPS", "0")
if not os.environ.get("DATABASE_URL"):
    os.environ.setdefault("SQLITE_TEST_PATH", tempfile.mktemp(suffix=".sqlite3"))

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

START = datetime(2026, 11, 1, tzinfo=UTC)
SENSORS = 10  # series per batch: one metric, ten label values


def lines(batch: int, offset: int) -> str:
    """`batch` points, SENSORS series, one timestamp per SENSORS lines, from START + offset s."""
    out = []
    base_ns = int(START.timestamp()) * 10**9 + offset * 10**9
    for i in range(batch):
        ts = base_ns + (i // SENSORS) * 10**9
        out.append(f"vibration,line=3,sensor=s{i % SENSORS} rms={i * 0.001:.3f} {ts}")
    return "\n".join(out)


def rate(label, points, seconds, baseline=None):
    per_second = points / seconds
    ratio = f"  ({per_second / baseline:.2f}x COPY)" if baseline else ""
    print(f"{label:<46} {per_second:>12,.0f} points/s{ratio}")
    return per_second


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--batches", type=int, default=40)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.batch, args.batches)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(batch, batches):
    from accounts.models import Organization
    from integration import lineprotocol
    from integration.models import IngestToken, Integration
    from integration.services import telemetry_ingest

    org = Organization.objects.create(name="Bench", slug="bench")
    integration = Integration.objects.create(organization=org, name="Bench")
    raw_token = IngestToken.objects.issue(integration=integration)[1]
    now = START + timedelta(days=20)
    seconds_per_batch = batch // SENSORS
    print(f"{connection.vendor}, {batches} batches of {batch} points\n")

    # Warm-up: series created, caches and connection ready.
    telemetry_ingest(
        integration=integration,
        points=lineprotocol.parse(lines(batch, -seconds_per_batch), precision="ns", now=now),
        now=now,
    )

    bodies = [lines(batch, n * seconds_per_batch) for n in range(batches)]
    started = time.perf_counter()
    parsed = [lineprotocol.parse(body, precision="ns", now=now) for body in bodies]
    rate("parse line protocol", batch * batches, time.perf_counter() - started)

    copy_rate = None
    if connection.vendor == "postgresql":
        copy_rate = copy_baseline(integration, parsed, now)

    started = time.perf_counter()
    for points in parsed:
        telemetry_ingest(integration=integration, points=points, now=now)
    rate(
        "telemetry_ingest (parsed points)",
        batch * batches,
        time.perf_counter() - started,
        copy_rate,
    )

    started = time.perf_counter()
    for points in parsed:
        result = telemetry_ingest(integration=integration, points=points, now=now)
        assert result.accepted == 0
    rate(
        "telemetry_ingest, retried (all duplicates)",
        batch * batches,
        time.perf_counter() - started,
        copy_rate,
    )

    client = Client()
    offset = batches * seconds_per_batch
    http_bodies = [lines(batch, offset + n * seconds_per_batch).encode() for n in range(batches)]
    started = time.perf_counter()
    for body in http_bodies:
        response = client.post(
            "/api/v2/write?precision=ns",
            body,
            content_type="text/plain",
            headers={"Authorization": f"Token {raw_token}"},
            SERVER_NAME="localhost",
        )
        assert response.status_code == 204, response.content
    rate(
        "POST /api/v2/write, in process", batch * batches, time.perf_counter() - started, copy_rate
    )


def copy_baseline(integration, parsed, now):
    """A plain COPY of the same rows (shifted a year back, fresh keys): the ceiling."""
    from integration.models import Series

    series = {labels: pk for pk, labels in Series.objects.values_list("id", "labels")}
    from integration.services import labels_text

    shift = timedelta(days=365)
    rows = [
        [(series[labels_text(p.labels)], p.ts - shift, p.value) for p in points]
        for points in parsed
    ]
    started = time.perf_counter()
    for batch_rows in rows:
        sql = "COPY integration_point (series_id, ts, value) FROM STDIN"
        with transaction.atomic(), connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in batch_rows:
                copy.write_row(row)
    return rate(
        "COPY into integration_point (baseline)", sum(map(len, rows)), time.perf_counter() - started
    )


if __name__ == "__main__":
    main()
