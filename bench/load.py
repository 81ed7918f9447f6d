"""Browsing under telemetry load: 50 users on the read pages while 20,000 points/s come in.

    .venv/bin/python bench/load.py                       # 50 users, 300 s, 20,000 points/s
    .venv/bin/python bench/load.py --duration 30 --baseline-duration 20 --think-duration 0
    .venv/bin/python bench/load.py --profile             # queries and time per page, in process
    .venv/bin/python bench/load.py --profile --keep      # then --profile --reuse: no new seeding
    .venv/bin/python bench/load.py --tree /tmp/ladder-before   # serve another checkout's app

PostgreSQL only. Creates its own database (--db, default ladder_load, dropped and re-created,
dropped again at the end unless --keep), migrates it, seeds the demo (`seed_demo`: Acme and
Northwind, 6 and 5 processes) and --orgs bigger organisations ("Globex 1", ...) of --processes
processes each (default 2 x 40), with 8 integrations, a final baseline and a current draft
answered by two assessors who disagree here and there, and a generated roadmap with milestones
in every status. Static files are collected into a temporary STATIC_ROOT (DEBUG is off, so the
templates need WhiteNoise's manifest).

The server is the README's production command: gunicorn `config.wsgi` with --workers (2) sync
workers (--threads > 1: gthread), DEBUG off, DB_CONN_MAX_AGE=600, HTTPS=0, and the settings
module `bench.load_settings`, which is the app's plus one URL, `/bench/bare/`: the baseline, a
~2 KB template rendered without the request (no session, no user, no query) behind the same
middleware. --users (50) sessions log in over HTTP (the demo users and the Globex people, each
several times); each is a thread of one load-generator process that sends raw HTTP/1.1 GETs with
its session cookie (`Connection: close`, as sync workers close anyway) and reads the whole answer;
any status but 200 is an error.

Phases, all with the same ingest running:

- ingest alone: --baseline-duration / 2 s, no pages: what the ingest costs the workers, taken
  off their CPU in the other phases to give CPU milliseconds per page request;
- bare, before: --baseline-duration / 2 s, every user GETs the bare page, closed loop;
- pages: --duration s, every user closed loop (no think time) on a mix of pages of its
  organisations, by weight: the organisation's overview (15), an assessment's dashboard (15), a
  process's scoring page (20), a readiness dimension (15), the roadmap's milestone board (15),
  the integrations list (15) and an integration's page with its 24-hour chart (5);
- paced: --think-duration s, the same mix with an exponential think time of mean --think s
  between a user's pages: page times with the server not saturated;
- bare, after: --baseline-duration / 2 s; the pages' throughput is given as a share of the mean
  of the two bare phases.

Ingest: a second process posts line protocol to `/api/v2/write?precision=ns` for --integrations
(10) integrations spread over the organisations, each with its own token, paced on a fixed
schedule at --rate (20,000) points/s in --batch (1,000)-point bodies (20 series per integration,
timestamps at the schedule's time): a batch is due every batch/rate s whatever the answers, and
--senders (64) threads send them, so a slow server shows as lag behind the schedule, not as a lower
offered rate. Anything but 204 (or no answer) is an error. Reported: points acknowledged per
second, errors, request p50/p95, the worst lag behind schedule.

CPU, in cores (CPU seconds / wall seconds, from /proc): the gunicorn workers, the PostgreSQL
backends of the database (persistent connections), the page load generator, the ingest process,
and the whole machine (busy share of its CPUs, other sessions' work included). A benchmark,
never a test.

This file has the command line and the run's phases; bench/load_seed.py seeds the data,
bench/load_users.py logs the users in and browses, bench/load_ingest.py paces the ingest,
bench/load_report.py prints the tables and bench/load_profile.py does --profile.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_ingest import SERIES, ingest  # noqa: E402
from bench.load_profile import profile  # noqa: E402
from bench.load_report import report, summary  # noqa: E402
from bench.load_seed import prepare, site_map  # noqa: E402
from bench.load_users import BARE, MIX, browse, sessions_for  # noqa: E402
from bench.serving import (  # noqa: E402
    PG,
    SECRET,
    Gunicorn,
    backends,
    check_database_name,
    cpu_seconds,
    drop_database,
    get,
    machine_busy,
    recreate_database,
)

SETTINGS = "bench.load_settings"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="ladder_load", help="database to create and drop")
    parser.add_argument("--users", type=int, default=50, help="simulated users (sessions)")
    parser.add_argument("--duration", type=float, default=300, help="seconds of the pages phase")
    parser.add_argument(
        "--baseline-duration", type=float, default=60, help="seconds of bare page, split in two"
    )
    parser.add_argument("--think-duration", type=float, default=60, help="seconds paced (0: skip)")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time when paced")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (>1: gthread)")
    parser.add_argument("--rate", type=int, default=20_000, help="points per second ingested")
    parser.add_argument("--batch", type=int, default=1000, help="points per ingest request")
    parser.add_argument("--integrations", type=int, default=10, help="integrations ingested to")
    parser.add_argument("--senders", type=int, default=64, help="ingest sender threads")
    parser.add_argument("--orgs", type=int, default=2, help="big organisations besides the demo")
    parser.add_argument("--processes", type=int, default=40, help="processes per big organisation")
    parser.add_argument("--profile", action="store_true", help="only profile pages in process")
    parser.add_argument(
        "--tree",
        type=Path,
        default=ROOT,
        help="serve the app of this checkout (e.g. before a change)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="use the database a --keep run left, as it is"
    )
    args = parser.parse_args()
    check_database_name(parser, args.db)
    if not (args.tree / "bench" / "load_urls.py").is_file():
        parser.error(f"--tree: no bench/load_urls.py in {args.tree}")
    if not 1 <= args.users <= 500 or not 1 <= args.workers <= 16:
        parser.error("--users: 1 to 500, --workers: 1 to 16")
    if args.batch % SERIES or args.rate < 0:
        parser.error(f"--batch: a multiple of {SERIES}")
    return args


def main():
    args = parse_args()
    static_root = tempfile.mkdtemp(prefix="load-static-")
    url = f"{PG}/{args.db}" if args.reuse else recreate_database(args.db)
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE=SETTINGS,
        SECRET_KEY=SECRET,
        HTTPS="0",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        STATIC_ROOT=static_root,
        ALLOWED_HOSTS="127.0.0.1,testserver",
        DB_CONN_MAX_AGE="600",
    )
    server = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("collectstatic", verbosity=0, interactive=False)
        started = time.monotonic()
        site = site_map(args) if args.reuse else prepare(args)
        print(f"seeded in {time.monotonic() - started:.0f} s: {site['summary']}", flush=True)
        if args.profile:
            profile(site)
            return
        from django.db import connections

        connections.close_all()
        server = Gunicorn(
            "pages",
            args.workers,
            url,
            600,
            False,
            args.tree.resolve(),
            threads=args.threads,
            env={"DJANGO_SETTINGS_MODULE": SETTINGS, "STATIC_ROOT": static_root},
            ready=("GET", BARE),
            ready_status=200,
            prefix="load-",
        )
        run(args, server, site)
    finally:
        if server:
            server.stop()
        from django.db import connections

        connections.close_all()
        shutil.rmtree(static_root, ignore_errors=True)
        if not args.keep:
            drop_database(args.db)


def run_phase(args, server, users, mix, duration, think, tokens) -> dict:
    from django.db import connections

    connections.close_all()  # never share the parent's connection with a fork
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    start = time.monotonic() + 1.0
    processes = [
        ctx.Process(
            target=browse,
            args=(server.port, users, mix, start, duration, think, args.seed, results),
        )
    ]
    if args.rate:
        processes.append(
            ctx.Process(
                target=ingest,
                args=(
                    server.port,
                    tokens,
                    args.rate,
                    args.batch,
                    args.senders,
                    start,
                    duration,
                    results,
                ),
            )
        )
    for process in processes:
        process.start()
    time.sleep(max(0.0, start - time.monotonic()))
    workers, pg = server.workers(), backends(args.db)
    before = {pid: cpu_seconds(pid) for pid in workers + pg}
    machine = machine_busy()
    load = []
    while time.monotonic() < start + duration:
        time.sleep(min(10.0, max(0.0, start + duration - time.monotonic())))
        load.append(os.getloadavg()[0])
    wall = time.monotonic() - start
    busy = machine_busy()
    pg = backends(args.db)  # connections opened during the phase count from 0
    app_cpu = sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in server.workers())
    pg_cpu = sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in pg)
    found = {}
    for _ in processes:
        name, records, cpu = results.get(timeout=duration + 600)
        found[name] = (records, cpu)
    for process in processes:
        process.join(timeout=60)
        if process.exitcode != 0:
            raise SystemExit(f"a load process failed (exit code {process.exitcode})")
    (busy0, total0), (busy1, total1) = machine, busy
    return {
        "start": start,
        "duration": duration,
        "wall": wall,
        "pages": found["browse"][0],
        "browse_cpu": found["browse"][1],
        "ingest": found["ingest"][0] if "ingest" in found else [],
        "ingest_cpu": found["ingest"][1] if "ingest" in found else 0.0,
        "app_cpu": app_cpu,
        "pg_cpu": pg_cpu,
        "machine": (busy1 - busy0) / (total1 - total0) if total1 > total0 else 0.0,
        "load": max(load) if load else os.getloadavg()[0],
    }


def run(args, server, site):
    started = time.monotonic()
    users = sessions_for(args, server.port, site)
    print(f"{len(users)} sessions logged in in {time.monotonic() - started:.0f} s", flush=True)
    bare = [(session, {"bare": [BARE]}) for session, _ in users]
    # Warm-up: every page of every kind once per worker, and a short ingest.
    for session, pages in users[: len(site["people"])]:
        for kind in MIX:
            for path in pages[kind][:2]:
                for _ in range(args.workers):
                    status, _ = get(server.port, path, {"Cookie": f"sessionid={session}"})
                    assert status == 200, (path, status)
    run_phase(args, server, users, MIX, 5, 0.0, site["tokens"])
    with __import__("psycopg").connect(os.environ["DATABASE_URL"]) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    print(
        f"PostgreSQL {version}, {os.cpu_count()} CPUs, gunicorn {args.workers} "
        f"{'gthread x ' + str(args.threads) if args.threads > 1 else 'sync'} workers, "
        f"DB_CONN_MAX_AGE=600; {args.users} users; ingest {args.rate:,} points/s in "
        f"{args.batch}-point batches to {len(site['tokens'])} integrations",
        flush=True,
    )
    results = {}
    half = args.baseline_duration / 2
    tokens = site["tokens"]
    alone = run_phase(args, server, [], {}, half, 0.0, tokens)
    results["ingest alone"] = report("ingest alone", alone, args)
    ingest_cores = alone["app_cpu"] / alone["wall"]
    results["bare, before"] = report(
        "bare, before",
        run_phase(args, server, bare, {"bare": 1}, half, 0.0, tokens),
        args,
        ingest_cores,
    )
    results["pages"] = report(
        "pages, closed loop",
        run_phase(args, server, users, MIX, args.duration, 0.0, tokens),
        args,
        ingest_cores,
    )
    if args.think_duration:
        results["paced"] = report(
            f"pages, paced (think time {args.think} s)",
            run_phase(args, server, users, MIX, args.think_duration, args.think, tokens),
            args,
            ingest_cores,
        )
    results["bare, after"] = report(
        "bare, after",
        run_phase(args, server, bare, {"bare": 1}, half, 0.0, tokens),
        args,
        ingest_cores,
    )
    summary(results)


if __name__ == "__main__":
    main()
