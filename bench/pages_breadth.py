"""The integrations list and an integration's page with 2,000 integrations in one organisation.

    .venv/bin/python bench/pages_breadth.py                      # SQLite, 2,000 integrations
    .venv/bin/python bench/pages_breadth.py --integrations 500 --runs 21
    .venv/bin/python bench/pages_breadth.py --pg ladder_bench_pages   # PostgreSQL, own database
    .venv/bin/python bench/pages_breadth.py --integrations 200 --series 3 --every 60  # dense

Seeds a throw-away database (SQLite in a temporary directory, or with --pg a PostgreSQL
database it creates and drops): one organisation with one site, 20 processes (every tenth
integration linked to one), --integrations integrations of --series metrics each, reporting
every --every seconds (5 minutes) for the last 24 hours (one minute rollup per report and
series; every 7th silent for the last 2 hours, so down), and one of them with a point every
minute (the detail page's 24-hour chart: 1,440 rows). The minutes uptime counts
(`SeenMinutes`) are derived from those rollups, as an import does.

Timed in process (Django test client, a logged-in owner; session, queries, template), each
--runs times, medians:

- the list: page 1, a status filter ("down"), a process and a site filter, and the htmx poll
  of page 1; against, in the same run, the list as it was before issue 19 (every integration
  on one page, their minutes with data read back and uptime counted in Python);
- the uptime alone: a page of 50 and every integration in one query, against the same read
  from the minute rollups and counted in Python, as before issue 19 (asserted equal);
- the integration page with its 24-hour chart; and its timestamps alone: the bulk formatting
  against one by one three times per row, as before.

Ratios against the baselines of the same run; a benchmark, never a test.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = "postgres://postgres@127.0.0.1:5432"
SECRET = "bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--series", type=int, default=1, help="metrics per integration")
    parser.add_argument("--every", type=int, default=300, help="seconds between reports")
    parser.add_argument("--pg", default="", help="a PostgreSQL database to create and drop")
    args = parser.parse_args()
    if not 10 <= args.integrations <= 20000 or not 1 <= args.runs <= 200:
        parser.error("--integrations: 10 to 20,000, --runs: 1 to 200")
    if not 1 <= args.series <= 10 or args.every not in (60, 120, 300, 600):
        parser.error("--series: 1 to 10; --every: 60, 120, 300 or 600")
    if args.pg in ("ladder", "postgres", "template0", "template1") or args.pg.startswith("test"):
        parser.error(f"refusing to drop database {args.pg!r}")
    return args


def main():
    args = parse_args()
    tmp = tempfile.TemporaryDirectory()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=SECRET,
        HTTPS="0",
        DEBUG="0",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
        SQLITE_PATH=str(Path(tmp.name) / "bench.sqlite3"),
    )
    admin = None
    if args.pg:
        import psycopg

        os.environ["DATABASE_URL"] = f"{PG}/{args.pg}"
        admin = psycopg.connect(f"{PG}/postgres", autocommit=True)
        admin.execute(f'DROP DATABASE IF EXISTS "{args.pg}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.pg}"')
    try:
        import django

        django.setup()
        from django.conf import settings

        # The pages name their static files; served as they are, no collectstatic needed.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        measure(args, seed(args))
    finally:
        from django.db import connections

        connections.close_all()
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{args.pg}" WITH (FORCE)')
            admin.close()
        tmp.cleanup()


def seed(args) -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Membership, Organization, Role, Site, User
    from assessments.models import Process
    from integration.models import Integration, Metric, MinuteRollup, SeenMinutes, Series
    from integration.services import seen_minutes_fill

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    now = timezone.now().astimezone(UTC)
    org = Organization.objects.create(name="Breadth Plant Group", slug="breadth")
    site = Site.objects.create(organization=org, name="Plant 1")
    user = User.objects.create_user(email="owner@breadth.test", password="x" * 20)
    Membership.objects.create(user=user, organization=org, role=Role.OWNER)
    processes = [
        Process.objects.create(organization=org, name=f"Line {n}", area="manufacturing", site=site)
        for n in range(20)
    ]
    first = now.replace(second=0, microsecond=0) - timedelta(hours=24)
    with transaction.atomic():
        integrations = Integration.objects.bulk_create(
            Integration(
                organization=org,
                name=f"Sensor {n:05d}",
                interval_seconds=300,
                grace_seconds=300,
                created=now - timedelta(days=3),
                last_seen=now - (timedelta(hours=2) if n % 7 == 0 else timedelta(seconds=30)),
            )
            for n in range(args.integrations)
        )
        names = ["temperature", *(f"reading {n}" for n in range(1, args.series))]
        metrics = Metric.objects.bulk_create(
            Metric(integration=i, name=name, unit="°C") for i in integrations for name in names
        )
        series = Series.objects.bulk_create(Series(metric=m) for m in metrics)
        for n, integration in enumerate(integrations):
            if n % 10 == 0:
                processes[n // 10 % 20].integrations.add(integration)
        rows = []
        every = timedelta(seconds=args.every)
        for n, one in enumerate(series):
            silent = n // args.series % 7 == 0
            step = timedelta(minutes=1) if n == args.series else every
            bucket = first
            while bucket < now - (timedelta(hours=2) if silent else timedelta(0)):
                rows.append(
                    MinuteRollup(
                        series=one, bucket=bucket, count=1, min=20.0, max=22.0, sum=21.0,
                        last=21.0, last_ts=bucket,
                    )
                )  # fmt: skip
                bucket += step
            if len(rows) > 50_000:
                MinuteRollup.objects.bulk_create(rows, batch_size=5000)
                rows = []
        MinuteRollup.objects.bulk_create(rows, batch_size=5000)
        seen_minutes_fill()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(
        f"seeded {args.integrations} integrations, {MinuteRollup.objects.count()} minute rollups"
        f" ({SeenMinutes.objects.count()} hours of seen minutes)"
        f" on {connection.vendor} in {time.perf_counter() - started:.1f} s"
        f" (load average {os.getloadavg()[0]:.1f})"
    )
    first_process, chart = processes[0], integrations[1]
    return {"org": org, "user": user, "site": site, "process": first_process, "chart": chart}


def timed(runs: int, call) -> float:
    call()  # warm: the session, the template cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def old_uptimes(*, integrations, window, now):
    """The list's uptime as computed before issue 19: every minute with data read back, and
    counted in Python."""
    from collections import defaultdict

    from integration import health
    from integration.models import MinuteRollup

    integrations = list(integrations)
    start = (now - window).replace(second=0, microsecond=0)
    seen = defaultdict(list)
    rows = (
        MinuteRollup.objects.filter(
            series__metric__integration__in=[i.pk for i in integrations],
            bucket__gte=start,
            bucket__lt=now,
        )
        .values_list("series__metric__integration_id", "bucket")
        .distinct()
        .order_by("series__metric__integration_id", "bucket")
    )
    for pk, bucket in rows:
        seen[pk].append(bucket)
    return {
        i.pk: health.uptime(
            seen=seen[i.pk],
            interval=i.interval,
            window_start=now - window,
            window_end=now,
            created=i.created,
        )
        for i in integrations
    }


def measure(args, setup):
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from integration import charts, listing
    from integration.models import Integration
    from integration.services import health as health_service
    from integration.services import telemetry_series, telemetry_uptimes

    org, runs = setup["org"], args.runs
    client = Client()
    client.force_login(setup["user"])
    url = reverse("integration:integration-list", args=[org.slug])
    detail = reverse("integration:integration-detail", args=[org.slug, setup["chart"].pk])
    poll = {"HX-Request": "true", "HX-Target": "integration-live"}

    def get(path, **headers):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        return response

    results = {
        "list, page 1": timed(runs, lambda: get(url)),
        "list, status down": timed(runs, lambda: get(f"{url}?status=down")),
        "list, one process": timed(runs, lambda: get(f"{url}?process={setup['process'].pk}")),
        "list, site and status up": timed(
            runs, lambda: get(f"{url}?site={setup['site'].pk}&status=up")
        ),
        "list poll, page 1": timed(runs, lambda: get(url, **poll)),
        "integration page, 24 h chart": timed(runs, lambda: get(detail)),
    }
    # The list before: every integration on one page, its uptime counted in Python.
    page_size, uptimes = listing.PAGE_SIZE, health_service.telemetry_uptimes
    listing.PAGE_SIZE, health_service.telemetry_uptimes = args.integrations, old_uptimes
    try:
        results["before: list unpaged"] = timed(max(3, runs // 3), lambda: get(url))
    finally:
        listing.PAGE_SIZE, health_service.telemetry_uptimes = page_size, uptimes
    now = timezone.now()
    everyone = list(Integration.objects.filter(organization=org))
    window = timedelta(hours=24)
    results["uptime: page of 50, one query"] = timed(
        runs, lambda: telemetry_uptimes(integrations=everyone[:page_size], window=window, now=now)
    )
    results["before: uptime of 50, in Python"] = timed(
        runs, lambda: old_uptimes(integrations=everyone[:page_size], window=window, now=now)
    )
    results["uptime: all, one query"] = timed(
        max(3, runs // 3),
        lambda: telemetry_uptimes(integrations=everyone, window=window, now=now),
    )
    results["before: uptime of all, in Python"] = timed(
        max(3, runs // 3), lambda: old_uptimes(integrations=everyone, window=window, now=now)
    )
    assert telemetry_uptimes(integrations=everyone, window=window, now=now) == old_uptimes(
        integrations=everyone, window=window, now=now
    )
    rows = telemetry_series(
        integration=setup["chart"], metric="temperature", start=now - window, end=now, step="1m"
    )
    stamps = [row[0] for row in rows]
    results[f"chart times, bulk ({len(stamps)} rows)"] = timed(
        runs, lambda: charts.local_times(stamps)
    )
    results["before: chart times one by one, x3"] = timed(
        runs, lambda: [charts._time(ts) for _ in range(3) for ts in stamps]
    )
    width = max(len(name) for name in results)
    print(f"medians of {runs} runs (load average {os.getloadavg()[0]:.1f})")
    for name, ms in results.items():
        print(f"  {name:<{width}}  {ms:9.1f} ms")
    ratios = {
        "list page 1 / unpaged list": results["list, page 1"] / results["before: list unpaged"],
        "uptime of 50: one query / in Python": results["uptime: page of 50, one query"]
        / results["before: uptime of 50, in Python"],
        "uptime of all: one query / in Python": results["uptime: all, one query"]
        / results["before: uptime of all, in Python"],
        "chart times bulk / one by one": results[f"chart times, bulk ({len(stamps)} rows)"]
        / results["before: chart times one by one, x3"],
    }
    for name, ratio in ratios.items():
        print(f"  {name:<{width}}  {ratio:9.3f}")


if __name__ == "__main__":
    main()
