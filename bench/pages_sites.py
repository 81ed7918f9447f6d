"""The pages bench/breadth.py's users browse, timed one at a time in process, at breadth.

    .venv/bin/python bench/pages_sites.py --db pages_sites_bench            # seed, time, drop
    .venv/bin/python bench/pages_sites.py --db pages_sites_bench --keep     # keep it to reuse
    .venv/bin/python bench/pages_sites.py --db pages_sites_bench --reuse    # time a kept one

Seeds PostgreSQL (its own database) with bench/breadth_seed.py's `sites` shape: one
organisation of --integrations/100 sites, a process of 10 integrations each with the 9
manufacturing checks bound (9,000 at 10,000), plus what a few minutes of the breadth run leave
behind: a metric and series per integration, its last data 30 s ago (one in 50 silent for two
hours, so down), a minute rollup every 5 minutes over the last hour and an hour rollup over the
last day, so that status and uptime have data.

Times each page of bench/breadth_seed.py's `pages` (the overview, the integrations list: page
1, another page, a site, the down ones; an integration's page, the processes, the bound checks)
with the Django test client as the organisation's owner: --runs times each, medians, with the
number of queries and the response's size. A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import check_database_name, drop_database, recreate_database  # noqa: E402

SECRET = "bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", default="pages_sites_bench", help="database to create and drop")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="time a kept database, no seeding")
    args = parser.parse_args()
    check_database_name(parser, args.db)
    if args.integrations < 100 or args.integrations % 100 or not 1 <= args.runs <= 200:
        parser.error("--integrations: a multiple of 100; --runs: 1 to 200")
    return args


def main():
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="pages-sites-"))
    if args.reuse:
        url = f"postgres://postgres@127.0.0.1:5432/{args.db}"
    else:
        url = recreate_database(args.db)
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=SECRET,
        HTTPS="0",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        STATIC_ROOT=str(work / "static"),
        ALLOWED_HOSTS="testserver",
    )
    try:
        import django

        django.setup()
        from django.conf import settings

        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        if not args.reuse:
            seed_all(args)
        measure(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            drop_database(args.db)


def seed_all(args) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.breadth_seed import seed
    from integration.models import HourRollup, Integration, Metric, MinuteRollup, Series
    from integration.services import seen_minutes_fill

    started = time.perf_counter()
    seeded = seed(
        SimpleNamespace(
            integrations=args.integrations,
            shape="sites",
            users=20,
            grace=60,
            shares=(1 / 3, 1 / 3, 1 / 3),
            seed=7,
            silent_every=50,
        )
    )
    now = timezone.now().astimezone(UTC)
    minute = now.replace(second=0, microsecond=0)
    hour = now.replace(minute=0, second=0, microsecond=0)
    silent = {d.integration for d in seeded["devices"] if d.silent}
    with transaction.atomic():
        ids = list(Integration.objects.order_by("pk").values_list("pk", flat=True))
        Integration.objects.update(last_seen=now - timedelta(seconds=30))
        Integration.objects.filter(pk__in=silent).update(last_seen=now - timedelta(hours=2))
        metrics = Metric.objects.bulk_create(
            (Metric(integration_id=pk, name="machine.temp", unit="°C") for pk in ids),
            batch_size=5000,
        )
        series = Series.objects.bulk_create((Series(metric=m) for m in metrics), batch_size=5000)
        minutes, hours = [], []
        for one, pk in zip(series, ids, strict=True):
            gone = str(pk) in silent
            for k in range(0, 60, 5):
                bucket = minute - timedelta(minutes=k)
                if not gone:
                    minutes.append(_rollup(MinuteRollup, one, bucket))
            for k in range(24):
                bucket = hour - timedelta(hours=k)
                if not (gone and k < 2):
                    hours.append(_rollup(HourRollup, one, bucket))
        MinuteRollup.objects.bulk_create(minutes, batch_size=10000)
        HourRollup.objects.bulk_create(hours, batch_size=10000)
        seen_minutes_fill()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"seeded {seeded['summary']}; {len(minutes):,} minute and {len(hours):,} hour rollups"
        f" in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def _rollup(model, series, bucket):
    return model(
        series=series, bucket=bucket, count=1, min=20.0, max=22.0, sum=21.0, last=21.0,
        last_ts=bucket,
    )  # fmt: skip


def measure(args) -> None:
    from django.core import signals
    from django.db import close_old_connections, connection
    from django.test import Client

    from accounts.models import Organization, User
    from bench.breadth_seed import pages

    # One connection throughout, as a worker keeps it (DB_CONN_MAX_AGE); the queries counted.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    org = Organization.objects.get()
    owner = User.objects.get(email=f"owner@{org.slug}.test")
    people = {owner.email: org.slug}
    paths = pages(None, {"people": people})[owner.email]
    client = Client()
    client.force_login(owner)
    chosen = {name: found[len(found) // 3] for name, found in paths.items()}
    print(f"medians of {args.runs} runs, one user in process (load average before "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())})", flush=True)  # fmt: skip
    print("| page | ms (median) | CPU ms (median) | queries | KB |")
    print("|---|--:|--:|--:|--:|")
    for name, path in chosen.items():
        response = client.get(path)  # warm
        assert response.status_code == 200, (path, response.status_code)
        queries = []

        def counted(run, sql, *rest, queries=queries):
            queries.append(sql)
            return run(sql, *rest)

        with connection.execute_wrapper(counted):
            response = client.get(path)
        size = len(response.content) / 1024
        walls, cpus = [], []
        for _ in range(args.runs):
            wall, cpu = time.perf_counter(), time.process_time()
            client.get(path)
            cpus.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - wall)
        print(
            f"| {name} | {statistics.median(walls) * 1000:.0f} | "
            f"{statistics.median(cpus) * 1000:.0f} | {len(queries)} | {size:.0f} |",
            flush=True,
        )
    print(f"load average after {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
