"""Breadth: 10,000 integrations on HTTP, MQTT and Sparkplug, with the health loop and users.

Issue 19: many integrations each reporting every 10 to 60 s, the health loop, the check
evaluator and 20 people browsing, all at once.

    .venv/bin/python bench/breadth.py --shape orgs       # 1,000 organisations of 10, 600 s
    .venv/bin/python bench/breadth.py --shape sites      # one organisation, 100 sites of 100
    .venv/bin/python bench/breadth.py --shape orgs --integrations 300 --duration 90 --users 3
    .venv/bin/python bench/breadth.py --shape sites --history 24   # a day of data before

PostgreSQL only. Creates its own database (--db, dropped and re-created, dropped again at the
end unless --keep), migrates it and seeds it in bulk (bench/breadth_seed.py): --integrations
integrations as organisations of 10 (`orgs`) or as one organisation of 100 sites of 100
(`sites`), processes of 10 integrations with the manufacturing checks bound, the people;
with --history H, H hours of rollups already (steady state: the 24-hour uptime and charts
read a full day). With --reuse (and --users-only), a database kept by an earlier run with the
same arguments is used as it is: two schemas compared on the same data without seeding again.

Runs what production runs, each its own process: the app under gunicorn for the pages
(--workers sync workers, DEBUG off, DB_CONN_MAX_AGE=600, the README's command) and another
instance on its own port for the HTTP ingest (--http-workers; 0: the pages' workers serve it
too), one `telemetry_listen` (MQTT and the Sparkplug host) on a private mosquitto on a free
port, `telemetry_health --loop` (a pass every 30 s) and `evaluate_checks --loop --every`
--check-every s. Then for --duration s:

- every integration's device reports three values every 10 to 60 s (spread deterministically),
  over HTTP, MQTT or Sparkplug by --shares (default a third each; bench/breadth_send.py);
- one device in --silent-every stops at --silent-at s (default a third of the run);
- --users people browse their organisation's pages with an exponential think time of mean
  --think s: the overview, the integrations list (page 1, another page, a site, the down
  ones), an integration's page, the processes and the bound checks. With --users-only no
  device sends: the pages' own p95 at this breadth (listener, health loop and evaluator on).

Afterwards the listener is given time to drain (the stored count stops moving) and the health
loop time to see the silent devices down (until each is, or interval + grace + 90 s after its
last value). Reported, as Markdown tables (bench/breadth_report.py): values stored against
acknowledged per transport (lost, doubled), the time from each silent device's last value to
its "down" event against interval + grace + 60 s, "down" events of devices still sending, CPU
per process group from /proc (over the sending window) per 1,000 integrations, and p50/p95 per
page kind. A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import breadth_report as report  # noqa: E402
from bench.breadth_seed import INTERVAL, MIX, pages, reuse, seed  # noqa: E402
from bench.breadth_send import send  # noqa: E402
from bench.broker import private_broker  # noqa: E402
from bench.load_users import browse, login  # noqa: E402
from bench.serving import (  # noqa: E402
    PG,
    Gunicorn,
    autovacuum,
    backends,
    check_database_name,
    drop_database,
    get,
    machine_busy,
    recreate_database,
)

HOST_ID = "breadth"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=("orgs", "sites"), default="orgs")
    parser.add_argument("--integrations", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=600, help="seconds of sending")
    parser.add_argument("--users", type=int, default=20, help="people browsing")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time, s")
    parser.add_argument("--shares", default="1,1,1", help="HTTP,MQTT,Sparkplug weights")
    parser.add_argument("--grace", type=int, default=60, help="integrations' grace, s")
    parser.add_argument("--silent-every", type=int, default=50, help="one device in N falls silent")
    parser.add_argument("--silent-at", type=float, help="s into the run (default: a third)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers, pages")
    parser.add_argument(
        "--http-workers",
        type=int,
        default=2,
        help="sync workers of a second gunicorn for the HTTP ingest (0: the pages' serve it)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run the HTTP ingest's gunicorn (with --http-workers), the listener, the health "
        "loop and the evaluator at this nice value, 0 to 19 (docs/SCALING.md)",
    )
    parser.add_argument("--check-every", type=int, default=60, help="s between check rounds")
    parser.add_argument("--db", default="breadth_bench", help="database to create and drop")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--history", type=int, default=0, help="hours of data the integrations already have"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the services' logs"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --users-only: run on the database an earlier run with the same arguments "
        "kept (--keep), without seeding it again; it is kept again",
    )
    parser.add_argument(
        "--users-only",
        action="store_true",
        help="no device sends: the users alone (with the listener, the health loop and the "
        "evaluator running), for the pages' own p95 at this breadth",
    )
    args = parser.parse_args()
    check_database_name(parser, args.db)
    step = 10 if args.shape == "orgs" else 100
    if args.integrations < step or args.integrations % step or args.integrations > 100_000:
        parser.error(f"--integrations: a multiple of {step}, at most 100,000")
    if not 0 <= args.nice <= 19:
        parser.error("--nice: 0 to 19 (a lower priority; raising one needs root)")
    if args.workers < 1 or args.http_workers < 0:
        parser.error("--workers: at least 1; --http-workers: 0 or more")
    if not 0 <= args.history <= 168:
        parser.error("--history: 0 to 168 hours")
    if not 1 <= args.users <= 200 or args.duration < 30 or args.silent_every < 2:
        parser.error("--users: 1 to 200; --duration: at least 30 s; --silent-every: 2 or more")
    if args.reuse and not args.users_only:
        parser.error("--reuse: only with --users-only (the devices' tokens are new each run)")
    weights = [float(x) for x in args.shares.split(",")]
    if len(weights) != 3 or min(weights) < 0 or not sum(weights):
        parser.error("--shares: three weights, e.g. 1,1,1 or 2,1,0")
    args.shares = [w / sum(weights) for w in weights]
    args.silent_at = args.duration / 3 if args.silent_at is None else args.silent_at
    return args


def main():
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="breadth-"))
    url = f"{PG}/{args.db}" if args.reuse else recreate_database(args.db)
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        HTTPS="0",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        STATIC_ROOT=str(work / "static"),
        ALLOWED_HOSTS="127.0.0.1,testserver",
        DB_CONN_MAX_AGE="600",
        SPARKPLUG_HOST_ID=HOST_ID,
    )
    running, server, ingest, broker = [], None, None, None
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("collectstatic", verbosity=0, interactive=False)
        started = time.monotonic()
        seeded = reuse(args) if args.reuse else seed(args)
        people = pages(args, seeded)
        print(f"seeded in {time.monotonic() - started:.0f} s: {seeded['summary']}", flush=True)
        connections.close_all()
        broker, mqtt_url = private_broker(work)
        os.environ["MQTT_URL"] = mqtt_url
        server = Gunicorn("breadth", args.workers, url, 600, False, ROOT, prefix="breadth-")
        ingest = server
        if args.http_workers:
            ingest = Gunicorn(
                "breadth-http",
                args.http_workers,
                url,
                600,
                False,
                ROOT,
                prefix="breadth-http-",
                nice=args.nice,
            )
        for name, command in (
            ("listener", ["telemetry_listen", "--client-id", "breadth"]),
            ("health loop", ["telemetry_health", "--loop"]),
            ("check evaluator", ["evaluate_checks", "--loop", "--every", str(args.check_every)]),
        ):
            log = open(work / f"{name.replace(' ', '-')}.log", "wb")  # noqa: SIM115
            process = subprocess.Popen(
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                stdout=log,
                stderr=log,
                preexec_fn=(lambda: os.nice(args.nice)) if args.nice else None,  # noqa: PLW1509
            )
            running.append((name, process, log))
        host_online(mqtt_url)
        run(args, seeded, people, server, broker, running, mqtt_url, work, ingest=ingest)
    except BaseException:
        for name, _, log in running:  # what the services said before the run failed
            log.flush()
            text = (work / Path(log.name).name).read_text(errors="replace")[-1500:]
            print(f"--- {name} log ---\n{text}", file=sys.stderr)
        raise
    finally:
        for _, process, log in running:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
        if ingest and ingest is not server:
            ingest.stop()
        if server:
            server.stop()
        if broker:
            broker.terminate()
            broker.wait()
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            drop_database(args.db)
            shutil.rmtree(work, ignore_errors=True)
        else:  # the services' logs: e.g. the listener's and the Sparkplug host's counters
            print(f"kept the database {args.db} and the services' logs in {work}")


def host_online(url: str, timeout: float = 180) -> None:
    """Wait for the listener's Sparkplug host to publish its online STATE (it subscribes to
    the MQTT telemetry before it starts the host)."""
    from integration.mqtt.decoding import broker_from_url

    broker, online = broker_from_url(url), threading.Event()
    client = broker.client(client_id="bench-breadth-wait")

    def on_message(client, userdata, message):
        if json.loads(message.payload or b"{}").get("online"):
            online.set()

    client.on_message = on_message
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.subscribe(f"spBv1.0/STATE/{HOST_ID}", 1)
    try:
        if not online.wait(timeout):
            raise SystemExit("the listener's Sparkplug host did not come online")
    finally:
        client.disconnect()
        client.loop_stop()
    time.sleep(1.0)


def run(args, seeded, people, server, broker, running, mqtt_url, work, ingest=None):
    """`server` serves the pages; `ingest` the HTTP ingest (None: `server` does)."""
    from django.db import connection, connections

    ingest = ingest or server
    devices = seeded["devices"]
    sessions = [(login(server.port, email), paths) for email, paths in people.items()]
    for session, paths in sessions[:1]:  # warm-up, and every page kind answers
        for kind in MIX:
            for _ in range(args.workers):
                status, _ = get(server.port, paths[kind][0], {"Cookie": f"sessionid={session}"})
                assert status == 200, (kind, paths[kind][0], status)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    connections.close_all()  # never share the parent's connection with a fork
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    start = time.monotonic() + 2.0
    end = start + args.duration
    silent_at = start + args.silent_at
    targets = {"http": ingest.port, "mqtt": mqtt_url, "sparkplug": (mqtt_url, HOST_ID)}
    if args.users_only:
        targets = {}
    processes = [
        ctx.Process(target=send, args=(t, devices, targets[t], start, end, silent_at, results))
        for t in targets
    ]
    processes.append(
        ctx.Process(
            target=browse,
            args=(server.port, sessions, MIX, start, args.duration, args.think, args.seed, results),
        )
    )
    by_name = {name: process.pid for name, process, _ in running}
    web = {"web workers (gunicorn), pages and HTTP ingest": server.workers}
    if ingest is not server:
        web = {
            "web workers (gunicorn), pages": server.workers,
            "web workers (gunicorn), HTTP ingest": ingest.workers,
        }
    sampler = report.CpuSampler(
        {
            **web,
            "listener (MQTT + Sparkplug host)": lambda: [by_name["listener"]],
            "health loop": lambda: [by_name["health loop"]],
            "check evaluator": lambda: [by_name["check evaluator"]],
            "PostgreSQL backends": lambda: backends(args.db),
            "mosquitto": lambda: [broker.pid],
        }
    )
    for process in processes:
        process.start()
    time.sleep(max(0.0, start - time.monotonic()))
    sampler.start()
    machine, loads = machine_busy(), [os.getloadavg()[0]]
    while time.monotonic() < end:
        time.sleep(min(10.0, max(0.0, end - time.monotonic())))
        loads.append(os.getloadavg()[0])
    cpu = sampler.stop()
    wall = time.monotonic() - start
    (busy0, total0), (busy1, total1) = machine, machine_busy()
    end_ns = time.time_ns()
    found = collect(processes, results)
    sent = {i: entry for t in targets for i, entry in found[t][0].items()}
    for t in targets:
        cpu[f"{t} devices (load generator)"] = found[t][1]
    cpu["users (load generator)"] = found["browse"][1]
    # Every page request, for a look at when the slow ones came (kept with --keep): the wall
    # clock of its start (the services' logs stamp theirs so), its kind, seconds and status.
    offset = time.time() - time.monotonic()
    with open(work / "pages.csv", "w", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(("started", "kind", "seconds", "status"))
        for kind, began, seconds, status, _ in sorted(found["browse"][0], key=lambda r: r[1]):
            rows.writerow((f"{began + offset:.3f}", kind, f"{seconds:.4f}", status))
    values, silence = [], None
    if targets:
        drain(args, devices, sent, running, seeded["since"])
        stored, folded = report.stored_counts(seeded["since"])
        values = report.values_table(devices, sent, stored, folded)
        silence = report.silence_table(
            devices, sent, report.first_downs(), INTERVAL, args.grace, end_ns
        )
    report.print_markdown(
        {
            "args": args,
            "summary": seeded["summary"],
            "duration": args.duration,
            "wall": wall,
            "pg_version": pg_version,
            "load": (loads[0], max(loads)),
            "machine": (busy1 - busy0) / (total1 - total0) if total1 > total0 else 0.0,
            "values": values,
            "silence": silence,
            "cpu": cpu,
            "browse": {"pages": found["browse"][0], "start": start, "duration": args.duration},
        }
    )


def collect(processes, results, most: float = 600.0) -> dict:
    """Each sender's and the users' results; stops all of them if one fails."""
    import queue

    found, deadline = {}, time.monotonic() + most
    try:
        while len(found) < len(processes):
            try:
                name, records, seconds = results.get(timeout=2.0)
                found[name] = (records, seconds)
            except queue.Empty:
                failed = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
                if failed or time.monotonic() > deadline:
                    raise SystemExit(
                        f"a sender or the users failed (exit codes {failed})"
                    ) from None
    finally:
        for process in processes:
            process.join(timeout=10 if len(found) == len(processes) else 0)
            if process.is_alive():
                process.terminate()
                process.join()
    return found


def drain(args, devices, sent, running, since, quiet: float = 6.0, most: float = 120.0):
    """Until the stored count stops moving (the listener's last batches), then until every
    silent device is down or interval + grace + 90 s after its last value has passed."""
    for name, process, _ in running:
        if process.poll() is not None:
            raise SystemExit(f"the {name} exited ({process.returncode})")
    last, still, deadline = -1, 0.0, time.monotonic() + most
    while still < quiet and time.monotonic() < deadline:
        total = sum(report.stored_counts(since)[0].values())
        still = still + 1.0 if total == last else 0.0
        last = total
        time.sleep(1.0)
    silent = [d for d in devices if d.silent and sent[d.index][2]]
    wait_until = max((sent[d.index][2] / 1e9 for d in silent), default=0.0)
    wait_until += INTERVAL + args.grace + 90
    print(f"drained; waiting up to {max(0.0, wait_until - time.time()):.0f} s for the silent "
          f"devices' down events", flush=True)  # fmt: skip
    while time.time() < wait_until:
        downs = report.first_downs()
        if all(any(at.timestamp() * 1e9 > sent[d.index][2] for at in downs.get(d.integration, []))
               for d in silent):  # fmt: skip
            break
        time.sleep(5.0)


if __name__ == "__main__":
    with autovacuum():
        main()
