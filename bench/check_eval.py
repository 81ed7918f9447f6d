"""A full round of bound checks through `check_measure` against one hand-written SQL per check.

    .venv/bin/python bench/check_eval.py                       # PostgreSQL, 100 x 100 checks
    .venv/bin/python bench/check_eval.py --sqlite /tmp/checks.sqlite3
    .venv/bin/python bench/check_eval.py --integrations 10     # a quick look

Creates its own database (PostgreSQL: --db, default ladder_bench_checks, dropped and re-created,
dropped again at the end unless --keep; SQLite: the file given, replaced), migrates it, and
seeds --integrations integrations (interval 5 minutes) directly in the rollup tables (bulk
INSERT, not through the ingest): a `temp` metric with 90 days of hour rollups and the last 7
days of minute rollups (6 points a minute, a daily wave plus jitter), and heartbeats (`_ping`,
one every 5 minutes, 1 in 12 failed) the same way; every row stamped as first arrived 10 s
into its bucket, last 10 s after it. Minute rollups are kept 7 days
(`TELEMETRY_MINUTE_ROLLUP_RETENTION_DAYS=7`).

Then --checks checks per integration (kinds freshness, uptime, aggregate (avg >= 10),
heartbeat, variation, both_directions (with the next integration) in turn, windows 24 h, 7 d
and 30 d in turn), all ending at the last full hour and judged then:

- app: `check_measure` for each (its queries, the staged-data rules);
- many: `checks_measure_many` of all of them (each distinct read once, all integrations at once);
- the baseline: one hand-written SQL query per check computing the kind's figure in the
  database (max(last_ts); count of distinct intervals; min/max/avg/count; ping sums) from the
  same table the app reads (minutes for windows up to a day and for uptime up to 7 days, else
  hours), without the staged-data rules.

Reports checks per second of each, its speed over the baseline's, and how many checks passed,
failed and were not tested. A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = "postgres://postgres@127.0.0.1:5432"
SECRET = "bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
KINDS = ("freshness", "uptime", "aggregate", "heartbeat", "variation", "both_directions")
WINDOWS = (timedelta(days=1), timedelta(days=7), timedelta(days=30))
INTERVAL = timedelta(minutes=5)
COLUMNS = (
    "series_id, bucket, count, min, max, sum, last, last_ts, uncertain, bad, "
    "first_arrival, last_arrival"
)
EPOCH = {
    "postgresql": "EXTRACT(EPOCH FROM r.bucket)::bigint",
    "sqlite": "CAST(strftime('%%s', r.bucket) AS INTEGER)",
}
FROM = """
FROM {table} r JOIN integration_series s ON s.id = r.series_id
JOIN integration_metric m ON m.id = s.metric_id
WHERE m.integration_id {who} AND r.bucket >= %s AND r.bucket < %s
  AND coalesce(r.first_arrival, r.bucket) <= %s {metric}
"""
SELECTS = {
    "freshness": "SELECT max(r.last_ts)",
    "uptime": "SELECT count(DISTINCT ({epoch} - %s) / %s)",
    "aggregate": "SELECT min(r.min), max(r.max), sum(r.sum) / sum(r.count), sum(r.count)",
    "heartbeat": "SELECT sum(r.sum) / sum(r.count)",
    "variation": "SELECT max(r.max) - min(r.min)",
    "both_directions": "SELECT m.integration_id, count(DISTINCT ({epoch} - %s) / %s)",
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="ladder_bench_checks", help="PostgreSQL database")
    parser.add_argument("--sqlite", type=Path, help="use this SQLite file instead")
    parser.add_argument("--integrations", type=int, default=100)
    parser.add_argument("--checks", type=int, default=100, help="checks per integration")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--phases",
        default="app,many,sql",
        help="of app (check_measure each), many (checks_measure_many), sql (the baseline)",
    )
    args = parser.parse_args()
    if not 2 <= args.integrations <= 1000 or not 1 <= args.checks <= 1000:
        parser.error("--integrations: 2 to 1000, --checks: 1 to 1000")
    if args.db in ("ladder", "postgres", "template0", "template1") or args.db.startswith("test"):
        parser.error(f"refusing to drop database {args.db!r}")
    return args


def main():
    args = parse_args()
    with_seeded_database(args, lambda integrations, end: run(args, integrations, end))


def with_seeded_database(args, body, *, fresh=True):
    """Create the database (`args.sqlite` or `args.db`), seed it, call `body(integrations,
    end)`, and drop it afterwards (PostgreSQL, unless `args.keep`). Not `fresh`: use the
    database an earlier run kept as it is. bench/check_round.py uses this too."""
    if args.sqlite:
        if fresh:
            args.sqlite.unlink(missing_ok=True)
        url = f"sqlite:///{args.sqlite.resolve()}"
    else:
        url = f"{PG}/{args.db}"
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=SECRET,
        HTTPS="0",
        DEBUG="0",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
        TELEMETRY_MINUTE_ROLLUP_RETENTION_DAYS="7",
    )
    if not args.sqlite and fresh:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{args.db}"')
    try:
        import django

        django.setup()
        body(*(seed(args) if fresh else seeded()))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.sqlite and not args.keep:
            import psycopg

            with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')


def temp(t: float, sid: int) -> float:
    return 20 + 5 * math.sin(t / 13751) + ((int(t) * 7919 + sid * 104729) % 1000) / 250.0


def stored(ts: datetime, vendor: str):
    """A time as the database takes it (SQLite: Django's naive UTC text)."""
    return str(ts.astimezone(UTC).replace(tzinfo=None)) if vendor == "sqlite" else ts


def rollups(sid, start, end, spacing, width, ping, vendor):
    """Rollup rows of one series every `spacing`, `width` wide, arrived 30 s after each."""
    hour = width == timedelta(hours=1)
    per = (12 if hour else 1) if ping else round(width / timedelta(seconds=10))
    at = start
    while at < end:
        t = at.timestamp()
        if ping and hour:
            low, high, total, last = 0.0, 1.0, 11.0, 1.0  # one of the 12 failed
        elif ping:
            v = 0.0 if int(t // 300) % 12 == 0 else 1.0
            low, high, total, last = v, v, v, v
        else:
            v = temp(t, sid)
            low, high, total, last = v - 0.5, v + 0.5, v * per, v
        first = stored(at + timedelta(seconds=10), vendor)
        latest = stored(at + width + timedelta(seconds=10), vendor)
        last_ts = stored(at + width - timedelta(seconds=1), vendor)
        yield (sid, stored(at, vendor), per, low, high, total, last, last_ts, 0, 0,
               first, latest)  # fmt: skip
        at += spacing


def seed(args):
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import Organization
    from integration.models import Integration, Metric, Series
    from integration.services import seen_minutes_fill

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    org = Organization.objects.create(name="Bench", slug="bench")
    integrations = []
    rows = 0
    for n in range(args.integrations):
        with transaction.atomic():
            integration = Integration.objects.create(
                organization=org,
                name=f"Line {n}",
                interval_seconds=300,
                created=end - timedelta(days=120),
            )
            integrations.append(integration)
            for name in ("temp", "_ping"):
                metric = Metric.objects.create(integration=integration, name=name)
                sid = Series.objects.create(metric=metric).pk
                ping = name == "_ping"
                hour, minute = timedelta(hours=1), timedelta(minutes=1)
                for table, days, spacing, width in (
                    ("integration_hourrollup", 90, hour, hour),
                    ("integration_minuterollup", 7, INTERVAL if ping else minute, minute),
                ):
                    start = end - timedelta(days=days)
                    batch = list(rollups(sid, start, end, spacing, width, ping, connection.vendor))
                    with connection.cursor() as cursor:
                        cursor.executemany(
                            f"INSERT INTO {table} ({COLUMNS}) VALUES ({', '.join(['%s'] * 12)})",
                            batch,
                        )
                    rows += len(batch)
    seen_minutes_fill()  # what ingest writes with the rollups, from the rollups written here
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"seeded {args.integrations} integrations, {rows:,} rollup rows "
        f"in {time.perf_counter() - started:.1f} s ({connection.vendor})",
        flush=True,
    )
    return integrations, end


def seeded():
    """The integrations (in seeding order) and the end of the data of a kept database."""
    from django.db.models import Max

    from integration.models import HourRollup, Integration

    integrations = sorted(Integration.objects.all(), key=lambda i: int(i.name.split()[-1]))
    end = HourRollup.objects.aggregate(end=Max("bucket"))["end"] + timedelta(hours=1)
    print(f"{len(integrations)} integrations seeded before, data up to {end:%Y-%m-%d %H:%M}")
    return integrations, end


def plan(args, integrations):
    """(kind, integrations, params) of every check."""
    checks = []
    for i, integration in enumerate(integrations):
        for c in range(args.checks):
            kind, window = KINDS[c % len(KINDS)], WINDOWS[(c // len(KINDS)) % len(WINDOWS)]
            bound = [integration]
            if kind == "both_directions":
                bound.append(integrations[(i + 1) % len(integrations)])
            params = {"window": window, "threshold": {"freshness": 600}.get(kind, 0.5)}
            if kind in ("aggregate", "variation"):
                params |= {"metric": "temp", "threshold": 10 if kind == "aggregate" else 1}
            checks.append((kind, bound, params))
    return checks


def baseline(cursor, vendor, kind, bound, params, end):
    """The kind's figure by one SQL query (no staged-data rules)."""
    window = params["window"]
    start = end - window
    fine = window <= timedelta(days=1) or (
        kind in ("uptime", "both_directions") and window <= timedelta(days=7)
    )
    table = "integration_minuterollup" if fine else "integration_hourrollup"
    metric = {"heartbeat": "AND m.name = '_ping'", "aggregate": "AND m.name = 'temp'"}
    metric["variation"] = metric["aggregate"]
    who = "IN (%s, %s)" if kind == "both_directions" else "= %s"
    sql = SELECTS[kind].format(epoch=EPOCH[vendor]) + FROM.format(
        table=table, who=who, metric=metric.get(kind, "")
    )
    args = [str(i.pk).replace("-", "") if vendor == "sqlite" else i.pk for i in bound]
    args += [stored(start, vendor), stored(end, vendor), stored(end, vendor)]
    if kind in ("uptime", "both_directions"):
        args = [int(start.timestamp()), int(INTERVAL.total_seconds()), *args]
    if kind == "both_directions":
        sql += " GROUP BY m.integration_id"
    cursor.execute(sql, args)
    return cursor.fetchall()


def run(args, integrations, end):
    from django.db import connection

    from integration.services.checks import check_measure, checks_measure_many

    checks = plan(args, integrations)
    n = len(checks)
    print(f"{n:,} checks, load average {os.getloadavg()[0]:.1f}", flush=True)
    times: dict[str, Counter] = {}
    totals: dict[str, float] = {}
    if "app" in args.phases:
        started, results, times["app"] = time.perf_counter(), Counter(), Counter()
        for kind, bound, params in checks:
            t = time.perf_counter()
            result = check_measure(
                kind=kind, integrations=bound, params=params, window_end=end, as_of=end
            )
            times["app"][kind] += time.perf_counter() - t
            results[{True: "passed", False: "failed", None: "not tested"}[result.passed]] += 1
        totals["app"] = time.perf_counter() - started
        print(f"  check_measure: {totals['app']:.1f} s, {dict(results)}", flush=True)
    if "many" in args.phases:
        started = time.perf_counter()
        results = checks_measure_many(checks=checks, window_end=end, as_of=end)
        totals["many"] = time.perf_counter() - started
        counted = Counter({True: "passed", False: "failed", None: "not tested"}[r.passed]
                          for r in results)  # fmt: skip
        print(f"  checks_measure_many: {totals['many']:.1f} s, {dict(counted)}", flush=True)
    if "sql" in args.phases:
        started, times["sql"] = time.perf_counter(), Counter()
        with connection.cursor() as cursor:
            for kind, bound, params in checks:
                t = time.perf_counter()
                baseline(cursor, connection.vendor, kind, bound, params, end)
                times["sql"][kind] += time.perf_counter() - t
        totals["sql"] = time.perf_counter() - started
        print(f"  one SQL per check: {totals['sql']:.1f} s", flush=True)

    print(f"load average {os.getloadavg()[0]:.1f}; seconds, checks/s, speed / one SQL per check")
    for name, total in totals.items():
        ratio = f"{totals['sql'] / total:.2f}x" if "sql" in totals else "-"
        print(f"  {name:<6} {total:8.1f} s {n / total:8,.0f}/s {ratio:>8}")
    if "app" in times and "sql" in times:
        for kind in KINDS:
            ratio = times["sql"][kind] / times["app"][kind]
            print(f"  {kind:<18} app {times['app'][kind]:7.1f} s  SQL {times['sql'][kind]:7.1f} s"
                  f"  {ratio:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
