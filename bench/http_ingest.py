"""Line-protocol ingest over HTTP (gunicorn) against a plain psycopg COPY of the same rows.

    .venv/bin/python bench/http_ingest.py                 # 4 clients, 3 rounds, 500K points each
    .venv/bin/python bench/http_ingest.py --variants app --rounds 1
    .venv/bin/python bench/http_ingest.py --compare-tree /tmp/ladder-before   # before/after

PostgreSQL only. Creates its own database (--db, default ladder_bench, dropped and re-created,
dropped again at the end unless --keep), migrates it, creates the points table's daily
partitions as `manage.py telemetry_partitions` does, and one integration with one ingest token
per client (as if each client were its own Telegraf agent). Then starts the app under gunicorn
(--workers sync workers, DEBUG off, HTTPS=0, ALLOWED_HOSTS=127.0.0.1) on free ports on
127.0.0.1, once per --variants entry, all at once (an idle server costs nothing):

- app: the defaults, as the README deploys it: DB_CONN_MAX_AGE unset (the settings' default;
  since issue 19, 600 s on PostgreSQL: persistent connections) and the tree's
  `config/gunicorn.conf.py` when it has one (its worker count is overridden by --workers);
- no-reuse: DB_CONN_MAX_AGE=0, a new database connection per request (the default before);
- reuse: DB_CONN_MAX_AGE=600 (persistent database connections, none renewed during a run);
- reuse+freeze: the same, and `gc.freeze()` once a worker has loaded the app (a gunicorn
  `post_worker_init` hook), so garbage collections stop walking Django's own objects (what
  `config/wsgi.py` now does itself: for older trees);
- with --compare-tree DIR, also the app of another checkout (e.g. before a change) with the
  settings of --compare-variant (default app), to compare code in the same run.

Every client owns --series series (one metric, a `sensor` tag) and sends --batches bodies of
--batch points (one point per line, nanosecond timestamps, one second apart per series), all
built before the clock starts. Each round, on emptied tables (TRUNCATE of the points and both
rollup tables, then CHECKPOINT), these phases, in an order rotated from round to round so that
load from other processes falls on each in turn:

- COPY, one connection: `COPY integration_point (series_id, ts, value) FROM STDIN` with psycopg
  `write_row`, one transaction per batch, of exactly the rows the app stores for those bodies
  (parsed and mapped to the app's series ids before the clock starts); no rollups, no dedup;
- COPY, --clients connections (processes) at once, the same rows split between them;
- HTTP, once per server: --clients processes POST the bodies to `/api/v2/write?precision=ns`
  (`Authorization: Token ...`), one request at a time each; every answer must be 204. This is
  the whole service: token check, parse, validation, series look-up, dedup-safe insert, minute
  and hour rollups, `last_seen`, one transaction per request.

After each phase the stored rows are checksummed (count, sums of series ids, values and epoch
seconds) and must match the COPY's; after HTTP the rollups must count every point. After the
last round the HTTP bodies are posted again to the first server (every point a duplicate: the
retry path).

Points per second of each phase, wall clock from the first client's start to the last one's
end; the ratios HTTP / COPY against each COPY of the same round; medians over rounds. CPU
milliseconds per batch, from /proc (Linux): the Python side (the COPY client itself, or the
gunicorn workers; not the HTTP load generator) and PostgreSQL (the COPY connections' backends,
or the app's when it keeps its connections; a backend per request exits before it can be read:
"-"). "COPY 1 CPU / CPU" is the one-connection COPY's CPU per batch over the phase's: what the
throughput ratio would be with the cores to itself, which load from other processes barely
moves. A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_clients import copy_client, http_client, run_clients  # noqa: E402
from bench.serving import PG, SECRET, Gunicorn, post  # noqa: E402

TABLES = "integration_point, integration_minuterollup, integration_hourrollup"
CONFIG = "config/gunicorn.conf.py"  # the README's gunicorn --config
# name: (label, DB_CONN_MAX_AGE (None: unset), gc.freeze() in each worker)
VARIANTS = {
    "app": ("HTTP, app defaults", None, False),
    "no-reuse": ("HTTP, DB_CONN_MAX_AGE=0", 0, False),
    "reuse": ("HTTP, DB_CONN_MAX_AGE=600", 600, False),
    "reuse+freeze": ("HTTP, CONN_MAX_AGE=600 + gc.freeze", 600, True),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="ladder_bench", help="database to create and drop")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (1-8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--batch", type=int, default=5000, help="points per request")
    parser.add_argument("--batches", type=int, default=25, help="requests per client per round")
    parser.add_argument("--series", type=int, default=10, help="series per client")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--variants",
        default="app,no-reuse,reuse+freeze",
        help=f"servers to run, comma-separated, of: {', '.join(VARIANTS)}",
    )
    parser.add_argument("--compare-tree", type=Path, help="also run the app of this checkout")
    parser.add_argument(
        "--compare-variant", default="app", help="the settings for --compare-tree (default app)"
    )
    parser.add_argument("--gzip", action="store_true", help="send gzip bodies")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if not 1 <= args.clients <= 8 or not 1 <= args.workers <= 8:
        parser.error("--clients and --workers: 1 to 8")
    if not 1 <= args.rounds <= 10 or not 1 <= args.batches <= 1000:
        parser.error("--rounds: 1 to 10, --batches: 1 to 1000")
    if args.db in ("ladder", "postgres", "template0", "template1") or args.db.startswith("test"):
        parser.error(f"refusing to drop database {args.db!r}")
    args.variants = [name.strip() for name in args.variants.split(",") if name.strip()]
    unknown = {*args.variants, args.compare_variant} - set(VARIANTS)
    if unknown or not args.variants:
        parser.error(f"--variants: choose from {', '.join(VARIANTS)}")
    if args.compare_tree and not (args.compare_tree / "config" / "wsgi.py").is_file():
        parser.error(f"--compare-tree: no config/wsgi.py in {args.compare_tree}")
    return args


def main():
    args = parse_args()
    url = f"{PG}/{args.db}"
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=SECRET,
        HTTPS="0",
        DEBUG="0",
        LOG_LEVEL="WARNING",
    )
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.db}"')
    servers = []
    try:
        import django

        django.setup()
        setup = prepare(args)
        for name in args.variants:
            label, conn_max_age, freeze = VARIANTS[name]
            servers.append(
                Gunicorn(label, args.workers, url, conn_max_age, freeze, ROOT, config=CONFIG)
            )
        if args.compare_tree:
            tree = args.compare_tree.resolve()
            _, conn_max_age, freeze = VARIANTS[args.compare_variant]
            label = f"HTTP, {tree.name} ({args.compare_variant})"
            servers.append(
                Gunicorn(label, args.workers, url, conn_max_age, freeze, tree, config=CONFIG)
            )
        run(args, url, servers, setup)
    finally:
        for server in servers:
            server.stop()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')


# Setup


def prepare(args) -> dict:
    from django.core.management import call_command

    from accounts.models import Organization
    from integration.models import IngestToken, Integration
    from integration.services import telemetry_retention_apply

    call_command("migrate", verbosity=0)
    now = datetime.now(UTC)
    telemetry_retention_apply(now=now)
    org = Organization.objects.create(name="Bench", slug="bench")
    tokens = []
    for c in range(args.clients):
        integration = Integration.objects.create(organization=org, name=f"Agent {c}")
        tokens.append((integration, IngestToken.objects.issue(integration=integration)[1]))
    # Measured points: from a day ago, one second apart per series; warm-up points before.
    base = (now - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    bodies = [[body(c, b, args, base) for b in range(args.batches)] for c in range(args.clients)]
    warmup = [body(c, 0, args, base - timedelta(days=1)) for c in range(args.clients)]
    return {"now": now, "base": base, "tokens": tokens, "bodies": bodies, "warmup": warmup}


def body(client: int, batch: int, args, base: datetime) -> bytes:
    """One request: `args.batch` lines, one point each, `args.series` series, 1 s apart."""
    per_batch = args.batch // args.series
    first_s = int(base.timestamp()) + batch * per_batch
    lines = []
    for i in range(args.batch):
        ts = (first_s + i // args.series) * 10**9
        value = ((client * 7 + batch * 31 + i * 7919) % 100_000) / 100
        lines.append(f"vibration,agent=a{client},sensor=s{i % args.series} rms={value} {ts}")
    return "\n".join(lines).encode()


def copy_rows(args, setup) -> list[list[tuple]]:
    """The (series_id, ts, value) rows the app stores for each body, in the app's series ids."""
    from integration import lineprotocol
    from integration.models import Series
    from integration.services import labels_text

    batches = []
    for (integration, _), bodies in zip(setup["tokens"], setup["bodies"], strict=True):
        ids = {
            (name, labels): pk
            for pk, name, labels in Series.objects.filter(
                metric__integration=integration
            ).values_list("id", "metric__name", "labels")
        }
        for raw in bodies:
            points = lineprotocol.parse(raw.decode(), precision="ns", now=setup["now"])
            batches.append([(ids[p.metric, labels_text(p.labels)], p.ts, p.value) for p in points])
    return batches


def reset(url):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {TABLES}")
        conn.execute("CHECKPOINT")


def checksum(url, base) -> tuple:
    import psycopg

    with psycopg.connect(url) as conn:
        points = conn.execute(
            "SELECT count(*), coalesce(sum(series_id), 0), coalesce(sum(value), 0), "
            "coalesce(sum(extract(epoch FROM ts)), 0) FROM integration_point WHERE ts >= %s",
            [base],
        ).fetchone()
        minutes, hours = (
            conn.execute(f"SELECT coalesce(sum(count), 0) FROM {table}").fetchone()[0]
            for table in ("integration_minuterollup", "integration_hourrollup")
        )
    return tuple(float(x) for x in points), int(minutes), int(hours)


def same(a: tuple, b: tuple) -> bool:
    return all(math.isclose(x, y, rel_tol=1e-12) for x, y in zip(a, b, strict=True))


# The run


def run(args, url, servers, setup):
    import gzip

    import psycopg

    clients, total = args.clients, args.clients * args.batches * args.batch
    batches = clients * args.batches
    bodies = setup["bodies"]
    if args.gzip:
        bodies = [[gzip.compress(data, 1) for data in client] for client in bodies]
    tokens = [raw for _, raw in setup["tokens"]]
    for server in servers:
        for token, data in zip(tokens, setup["warmup"], strict=True):
            for _ in range(args.workers):  # most workers' first request: imports, connections
                status, answer = post(server.port, "/api/v2/write?precision=ns", data, token)
                assert status == 204, (server.label, status, answer)
    rows = copy_rows(args, setup)
    per_client_rows = [rows[c * args.batches : (c + 1) * args.batches] for c in range(clients)]
    with psycopg.connect(url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    size = sum(len(data) for client in bodies for data in client) / batches
    print(
        f"PostgreSQL {version}, {os.cpu_count()} CPUs, gunicorn {args.workers} sync workers, "
        f"load average {os.getloadavg()[0]:.1f} before the run\n"
        f"{clients} clients x {args.batches} requests x {args.batch} points = {total:,} points "
        f"per phase, {args.series} series per client, {size / 1024:.0f} KiB per body"
        f"{' (gzip)' if args.gzip else ''}\n"
        f"CPU: milliseconds per {args.batch}-point batch, of the Python side (the COPY client, "
        f"or the gunicorn workers) and of PostgreSQL\n"
    )
    print(
        f"{'round':<6}{'phase':<36}{'points/s':>10}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'CPU py':>8}{'CPU pg':>8}  load"
    )

    def per_batch(seconds):
        return None if seconds is None else seconds * 1000 / batches

    def report(round_no, label, result):
        latencies = result["latencies"]
        p50 = latencies[len(latencies) // 2] * 1000
        p95 = latencies[int(len(latencies) * 0.95)] * 1000
        py, pg = per_batch(result["app_cpu"]), per_batch(result["pg_cpu"])
        print(
            f"{round_no:<6}{label:<36}{total / result['wall']:>10,.0f}{p50:>8.0f}{p95:>8.0f}"
            f"{py:>8.1f}{'-' if pg is None else f'{pg:.1f}':>8}  {os.getloadavg()[0]:.1f}",
            flush=True,
        )

    copy_1, copy_n = "COPY, 1 connection", f"COPY, {clients} connections"
    phases = [
        (copy_1, copy_client, [(url, rows)], None),
        (copy_n, copy_client, [(url, per_client_rows[c]) for c in range(clients)], None),
    ] + [
        (
            server.label,
            http_client,
            [(server.port, tokens[c], bodies[c], args.gzip) for c in range(clients)],
            server,
        )
        for server in servers
    ]
    results: dict[str, list[dict]] = {label: [] for label, *_ in phases}
    expected = None
    for r in range(args.rounds):
        shift = r % len(phases)
        for label, target, per_client_args, server in phases[shift:] + phases[:shift]:
            reset(url)
            result = run_clients(target, per_client_args, server, args.db)
            results[label].append(result)
            report(r + 1, label, result)
            points, minutes, hours = checksum(url, setup["base"])
            expected = expected or points
            assert same(points, expected), (label, "stored other rows", points, expected)
            if server:
                assert minutes == hours == total, (label, "rollups miss points", minutes, hours)

    # Retry: the same bodies again onto the stored rows, every point a duplicate.
    server = servers[0]
    result = run_clients(
        http_client,
        [(server.port, tokens[c], bodies[c], args.gzip) for c in range(clients)],
        server,
        args.db,
    )
    assert same(checksum(url, setup["base"])[0], expected)
    report("", f"{server.label}, retry (duplicates)", result)

    # Each round's ratio to that round's COPY, then the median over rounds; CPU: medians.
    print(
        f"\nmedians of {args.rounds} rounds{'points/s':>37}{'/ COPY 1':>10}{'/ COPY N':>10}"
        f"{'CPU py':>8}{'CPU pg':>8}{'COPY 1 CPU / CPU':>18}"
    )
    rates = {label: [total / r["wall"] for r in rounds] for label, rounds in results.items()}

    def cpu(label, key):
        values = [per_batch(r[key]) for r in results[label]]
        return None if None in values else statistics.median(values)

    copy_cpu = cpu(copy_1, "app_cpu") + cpu(copy_1, "pg_cpu")
    for label, values in rates.items():
        to_1, to_n = (
            statistics.median(v / c for v, c in zip(values, rates[copy], strict=True))
            for copy in (copy_1, copy_n)
        )
        py, pg = cpu(label, "app_cpu"), cpu(label, "pg_cpu")
        efficiency = "-" if pg is None else f"{copy_cpu / (py + pg):.2f}x"
        print(
            f"  {label:<46}{statistics.median(values):>10,.0f}{to_1:>9.2f}x{to_n:>9.2f}x"
            f"{py:>8.1f}{'-' if pg is None else f'{pg:.1f}':>8}{efficiency:>18}"
        )


if __name__ == "__main__":
    main()
