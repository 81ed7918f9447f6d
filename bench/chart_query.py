"""Chart reads with 10 million points stored: `telemetry_series` against raw-point SQL.

    .venv/bin/python bench/chart_query.py                 # 4 series x 30 days at 1 s: 10.4M
    .venv/bin/python bench/chart_query.py --runs 11 --raw-runs 3 --keep

PostgreSQL only. Creates its own database (--db, default ladder_bench_chart, dropped and
re-created, dropped again at the end unless --keep), migrates it and creates the daily
partitions of the points table as `manage.py telemetry_partitions` does (retention set to
cover the data). One integration, one metric (`vibration.rms`) with --series series (a
`sensor` label), one point per series every --interval seconds for --days days up to the last
full hour: 4 x 2,592,000 = 10,368,000 points by default, written by `generate_series` SQL one
day at a time, then the minute and hour rollups computed from them by the same aggregates the
ingest service uses (count, min, max, sum, last), then VACUUM ANALYZE (what autovacuum does to
a table that stops growing). The setup prints its own timings.

Timed, each --runs times (the median, the fastest and the slowest; the first run apart):

- the app: `telemetry_series(step="1h")` over the 30 days and `step="1m"` over the last 24 h,
  exactly as the integration page charts them (every series of the metric combined per
  bucket: count, min, max, mean), including the series look-up and the ORM; and the read API
  `GET /api/v1/integrations/<id>/series` for the 30 days in process (Django test client:
  session, query, JSON); and the rollup query alone, as SQL, to show the database's share;
- the baseline, --raw-runs times: the same per-bucket aggregate straight from the raw points
  in SQL (`date_bin`, GROUP BY), what a chart would cost without rollups.

The app's rows must equal the baseline's (same buckets, counts, min and max; means to 1e-9).
A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = "postgres://postgres@127.0.0.1:5432"
SECRET = "bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
METRIC = "vibration.rms"
ORIGIN = "timestamptz '2000-01-01 00:00:00+00'"
# One row per series and second; the value: a daily wave plus a deterministic jitter.
GENERATE = """
INSERT INTO integration_point (series_id, ts, value)
SELECT s.id, t,
       20 + 5 * sin(extract(epoch FROM t) / 13751) + ((extract(epoch FROM t)::bigint * 7919
           + s.id * 104729) %% 1000) / 250.0
FROM unnest(%(ids)s::bigint[]) AS s(id)
CROSS JOIN generate_series(%(start)s::timestamptz, %(end)s::timestamptz - %(step)s::interval,
                           %(step)s::interval) AS t
ORDER BY s.id, t
"""
MINUTES = f"""
INSERT INTO integration_minuterollup (series_id, bucket, count, min, max, sum, last, last_ts)
SELECT series_id, date_bin('1 minute', ts, {ORIGIN}), count(*), min(value), max(value),
       sum(value), (array_agg(value ORDER BY ts DESC))[1], max(ts)
FROM integration_point
WHERE ts >= %(start)s AND ts < %(end)s
GROUP BY 1, 2
"""
HOURS = f"""
INSERT INTO integration_hourrollup (series_id, bucket, count, min, max, sum, last, last_ts)
SELECT series_id, date_bin('1 hour', bucket, {ORIGIN}), sum(count), min(min), max(max),
       sum(sum), (array_agg(last ORDER BY last_ts DESC))[1], max(last_ts)
FROM integration_minuterollup
GROUP BY 1, 2
"""
ROLLUP = """
SELECT bucket, sum(count), min(min), max(max), sum(sum) / sum(count)
FROM {table}
WHERE series_id = ANY(%(ids)s) AND bucket >= %(start)s AND bucket < %(end)s
GROUP BY 1
ORDER BY 1
"""
RAW = f"""
SELECT date_bin(%(step)s::interval, ts, {ORIGIN}) AS bucket, count(*), min(value), max(value),
       avg(value)
FROM integration_point
WHERE series_id = ANY(%(ids)s) AND ts >= %(start)s AND ts < %(end)s
GROUP BY 1
ORDER BY 1
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="ladder_bench_chart", help="database to create and drop")
    parser.add_argument("--series", type=int, default=4, help="series of the metric")
    parser.add_argument("--interval", type=int, default=1, help="seconds between points")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=21, help="runs of each app query")
    parser.add_argument("--raw-runs", type=int, default=5, help="runs of each raw SQL query")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if not 1 <= args.series <= 100 or not 1 <= args.interval <= 3600:
        parser.error("--series: 1 to 100, --interval: 1 to 3600")
    if not 1 <= args.days <= 60 or not 1 <= args.runs <= 200 or not 1 <= args.raw_runs <= 50:
        parser.error("--days: 1 to 60, --runs: 1 to 200, --raw-runs: 1 to 50")
    if args.db in ("ladder", "postgres", "template0", "template1") or args.db.startswith("test"):
        parser.error(f"refusing to drop database {args.db!r}")
    return args


def main():
    args = parse_args()
    os.environ.update(
        DATABASE_URL=f"{PG}/{args.db}",
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=SECRET,
        HTTPS="0",
        DEBUG="0",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
    )
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.db}"')
    try:
        import django

        django.setup()
        setup = prepare(args)
        measure(args, setup)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')


def step_timer(label: str):
    started = time.perf_counter()

    def done(extra=""):
        print(f"  {label:<52} {time.perf_counter() - started:7.1f} s {extra}", flush=True)

    return done


def prepare(args) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Membership, Organization, User
    from integration.models import Integration, Metric, Series
    from integration.services import labels_text, telemetry_retention_apply

    print(f"setup (load average {os.getloadavg()[0]:.1f})")
    started = time.perf_counter()
    done = step_timer("migrate, partitions")
    call_command("migrate", verbosity=0)
    now = datetime.now(UTC)
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=args.days)
    telemetry_retention_apply(now=now, retention_days=args.days + 2)
    org = Organization.objects.create(name="Bench", slug="bench")
    integration = Integration.objects.create(organization=org, name="Press line 3 vibration")
    metric = Metric.objects.create(integration=integration, name=METRIC)
    ids = [
        Series.objects.create(metric=metric, labels=labels_text({"sensor": f"s{n}"})).pk
        for n in range(args.series)
    ]
    user = User.objects.create_user("bench@example.com", "bench-password-1234")
    Membership.objects.create(user=user, organization=org)
    done()

    step = f"{args.interval} seconds"
    done = step_timer(f"points: {args.series} series x {args.days} days, every {step}")
    with connection.cursor() as cursor:
        for day in range(args.days):
            day_start = start + timedelta(days=day)
            cursor.execute(
                GENERATE,
                {"ids": ids, "start": day_start, "end": day_start + timedelta(1), "step": step},
            )
        cursor.execute("SELECT count(*) FROM integration_point")
        total = cursor.fetchone()[0]
    done(f"({total:,} points)")

    done = step_timer("minute and hour rollups")
    with connection.cursor() as cursor:
        for day in range(args.days):
            day_start = start + timedelta(days=day)
            cursor.execute(MINUTES, {"start": day_start, "end": day_start + timedelta(1)})
        cursor.execute(HOURS)
        cursor.execute(
            "SELECT (SELECT count(*) FROM integration_minuterollup), "
            "(SELECT count(*) FROM integration_hourrollup), "
            "(SELECT sum(count) FROM integration_hourrollup)"
        )
        minutes, hours, counted = cursor.fetchone()
    assert counted == total, (counted, total)
    done(f"({minutes:,} minute, {hours:,} hour rows)")

    done = step_timer("VACUUM ANALYZE")
    with connection.cursor() as cursor:
        for table in ("integration_point", "integration_minuterollup", "integration_hourrollup"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits "
            "WHERE inhparent = 'integration_point'::regclass"
        )
        size = cursor.fetchone()[0]
    done(f"(points: {size} with the primary key)")
    print(f"  {'setup in all':<52} {time.perf_counter() - started:7.1f} s\n")
    return {
        "integration": integration,
        "ids": ids,
        "start": start,
        "end": end,
        "total": total,
        "user": user,
    }


def timed(function, runs: int) -> tuple[float, list[float], object]:
    """The first run's seconds, the other runs' seconds, and the last result."""
    times = []
    result = None
    for _ in range(runs + 1):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return times[0], times[1:], result


def raw_rows(ids, start, end, step):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(RAW, {"ids": ids, "start": start, "end": end, "step": step})
        return cursor.fetchall()


def rollup_rows(ids, start, end, table):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(ROLLUP.format(table=table), {"ids": ids, "start": start, "end": end})
        return cursor.fetchall()


def same_rows(app, raw) -> bool:
    if len(app) != len(raw):
        return False
    for (bucket, count, low, high, mean), (r_bucket, r_count, r_low, r_high, r_mean) in zip(
        app, raw, strict=True
    ):
        if (bucket, count, low, high) != (r_bucket, r_count, r_low, r_high):
            return False
        if not math.isclose(mean, r_mean, rel_tol=1e-9):
            return False
    return True


def measure(args, setup):
    from django.test import Client

    from integration.services import telemetry_series

    integration, ids, end = setup["integration"], setup["ids"], setup["end"]
    windows = [
        (f"{args.days} days per hour", setup["start"], "1h", "1 hour", "integration_hourrollup"),
        (
            "24 hours per minute",
            end - timedelta(hours=24),
            "1m",
            "1 minute",
            "integration_minuterollup",
        ),
    ]
    client = Client()
    client.force_login(setup["user"])
    api_url = (
        f"/api/v1/integrations/{integration.pk}/series?metric={METRIC}&step=1h"
        f"&start={setup['start'].isoformat().replace('+00:00', 'Z')}"
        f"&end={end.isoformat().replace('+00:00', 'Z')}"
    )

    def api():
        response = client.get(api_url)
        assert response.status_code == 200, response.content[:300]
        return response

    print(
        f"{setup['total']:,} points; load average {os.getloadavg()[0]:.1f}\n\n"
        f"{'query':<62}{'rows':>6}{'first':>9}{'median':>9}{'fastest':>9}{'slowest':>9}"
    )

    def show(label, rows, first, times):
        cells = [first, statistics.median(times), min(times), max(times)]
        print(f"{label:<62}{rows:>6}" + "".join(f"{t * 1000:>7.1f}ms" for t in cells), flush=True)
        return statistics.median(times)

    medians = {}
    for label, start, step, interval, table in windows:
        first, times, rows = timed(
            lambda start=start, step=step: telemetry_series(
                integration=integration, metric=METRIC, start=start, end=end, step=step
            ),
            args.runs,
        )
        medians[label, "app"] = show(f"telemetry_series, {label}", len(rows), first, times)
        sql_first, sql_times, sql = timed(
            lambda start=start, table=table: rollup_rows(ids, start, end, table), args.runs
        )
        show(
            "  its rollup query alone (SQL through a cursor, no ORM)",
            len(sql),
            sql_first,
            sql_times,
        )
        raw_first, raw_times, raw = timed(
            lambda start=start, interval=interval: raw_rows(ids, start, end, interval),
            args.raw_runs,
        )
        assert same_rows(rows, raw), f"{label}: the rollups disagree with the raw points"
        medians[label, "raw"] = show(
            f"  raw points, SQL GROUP BY ({label})", len(raw), raw_first, raw_times
        )
    first, times, response = timed(api, args.runs)
    points = len(response.json()["points"])
    show(f"GET /api/v1/.../series, {windows[0][0]} (in process)", points, first, times)

    print("\nrollups against raw points (medians):")
    for label, *_ in windows:
        app, raw = medians[label, "app"], medians[label, "raw"]
        print(f"  {label:<30} {app * 1000:7.1f} ms against {raw * 1000:8.1f} ms: {raw / app:,.0f}x")


if __name__ == "__main__":
    main()
