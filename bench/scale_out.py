"""Past one node: one of each process against two of each, on one PostgreSQL, in the same run.

Issue 19 item 5. Web workers, MQTT listeners and check evaluators are stateless; this runs
(a) ONE gunicorn instance of one sync worker, ONE `telemetry_listen`, ONE `evaluate_checks
--loop` and ONE `telemetry_health --loop`, then (b) TWO of each (two gunicorn instances of one
worker on two ports, two listeners in one shared subscription `$share/ladder/...`, two
evaluators, two health loops), and reports the throughput of each and the ratio two / one.

    .venv/bin/python bench/scale_out.py                                   # full, ~10 min
    .venv/bin/python bench/scale_out.py --duration 20 --integrations 200  # smoke

PostgreSQL only; its own database (--db, dropped and re-created, dropped at the end unless
--keep, which also keeps the processes' logs), seeded with bench/breadth_seed.py (`orgs`
shape: organisations of 10 integrations, half HTTP, half MQTT, grace 0, the manufacturing
checks bound) plus a draft assessment per organisation claiming level 4 on every process
(bench/scale_out_load.py). A private mosquitto on a free port (bench/broker.py). Each
configuration runs three windows of --duration / 3 s, one kind of work saturated at a time
(with every process of the configuration running, so that two of a kind can use the two
cores):

1. HTTP: --clients closed-loop clients (two load processes) POST --batch reports of 3 values
   of one integration each, spread over the instances; rate = values acknowledged (204) / s.
2. MQTT: the listeners joined the group, stopped (their sessions kept) and --backlog messages
   were published meanwhile; they start again and drain it; rate = messages stored / s from
   the moment all of them are connected, for the window or until the backlog is drained.
3. Checks: once the health loops are quiet, the evaluators start (`--every 1`) with every
   check judged just now; once each has done its first round, every bound check is made due;
   then every 0.25 s those judged since are made due again (--rearm continuous, the default:
   the evaluators' sustained throughput) or all of them only once all are judged (--rearm
   all: each round then waits for its slowest chunk); rate = check evaluations / s. A round
   takes checks in chunks of 500 (`evaluate.CHUNK`): with fewer than 1,000 bound checks
   (--integrations under ~1,100) one evaluator takes them all.

The evaluator runs the drift (`drift_round`: every live assessment's verification) after
each of its rounds; with an assessment per organisation (the default) it costs more than the
judging. Two evaluators take the assessments in turns (`DriftTurn`, like the checks); before
that, each compared every assessment after every round. --assessed-every N keeps one
organisation in N assessed, to see the judging alone.

Races for alerts: before each configuration, some integrations that never get data are set
"up, silent for 10 minutes" and others "down, a value just now", and every process is set as
last seen at verified level 4 (below which its checks keep it): the health loops race for the
down and recovery events as they start and the evaluators for the drift. Email goes to the
console backend, i.e. each process's log, where it is counted. Correctness: values stored
against acknowledged (lost, doubled: breadth_report.values_table), health events and drift
audit events whose chain breaks (a transition recorded twice), emails in the logs against the
events. CPU per process group from /proc, per window. Markdown tables for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import breadth_report as report  # noqa: E402
from bench import scale_out_load as load  # noqa: E402
from bench.breadth_seed import seed  # noqa: E402
from bench.broker import private_broker  # noqa: E402
from bench.scale_out_report import print_markdown  # noqa: E402
from bench.scale_out_windows import (  # noqa: E402
    Service,
    add,
    checks_window,
    http_window,
    mqtt_window,
    pids,
    quiet,
    sampled,
    start_listeners,
)
from bench.serving import (  # noqa: E402
    Gunicorn,
    autovacuum,
    backends,
    check_database_name,
    drop_database,
    machine_busy,
    recreate_database,
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=180, help="s per configuration")
    parser.add_argument("--clients", type=int, default=8, help="HTTP clients at once")
    parser.add_argument("--batch", type=int, default=50, help="reports per HTTP POST")
    parser.add_argument("--backlog", type=int, help="MQTT messages (default 600 x duration)")
    parser.add_argument(
        "--assessed-every",
        type=int,
        default=1,
        help="one organisation in N has a draft assessment to drift (default 1: all)",
    )
    parser.add_argument(
        "--rearm",
        choices=("continuous", "all"),
        default="continuous",
        help="checks due again as soon as judged, or only once all are",
    )
    parser.add_argument("--db", default="scale_out_bench", help="database to create and drop")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args()
    check_database_name(parser, args.db)
    if args.integrations < 40 or args.integrations % 10 or args.integrations > 100_000:
        parser.error("--integrations: a multiple of 10, 40 to 100,000")
    if args.duration < 15 or args.clients < 2 or args.batch < 1 or args.assessed_every < 1:
        parser.error("--duration: at least 15 s; --clients, --batch, --assessed-every: positive")
    args.backlog = args.backlog or int(600 * args.duration)
    return args


def main():
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="scale-out-"))
    url = recreate_database(args.db)
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
        SPARKPLUG_HOST_ID="",
        EMAIL_HOST="",
    )
    broker, running = None, []
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections

        from accounts.models import Membership, Role

        call_command("collectstatic", verbosity=0, interactive=False)
        started = time.monotonic()
        seeded = seed(
            SimpleNamespace(
                shape="orgs",
                integrations=args.integrations,
                shares=[0.5, 0.5, 0.0],
                grace=0,
                silent_every=10**9,
                users=1,
                seed=args.seed,
            )
        )
        owners = dict(
            Membership.objects.filter(role=Role.OWNER).values_list("organization_id", "user_id")
        )
        assessed = sorted(owners)[:: args.assessed_every]
        scores = load.seed_assessments({org: owners[org] for org in assessed})
        print(
            f"seeded in {time.monotonic() - started:.0f} s: {seeded['summary']}, {scores} "
            f"scored processes",
            flush=True,
        )
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0]
        connections.close_all()
        broker, mqtt_url = private_broker(work)
        os.environ["MQTT_URL"] = mqtt_url
        devices = seeded["devices"]
        state = {
            "args": args,
            "work": work,
            "url": url,
            "mqtt": mqtt_url,
            "broker": broker,
            "devices": devices,
            "sent": {d.index: [0, 0, 0, 0.0] for d in devices},
            "arms": [],
            "running": running,
        }
        machine, load0 = machine_busy(), os.getloadavg()[0]
        results = [configuration(state, label, k) for label, k in (("one", 1), ("two", 2))]
        (busy0, total0), (busy1, total1) = machine, machine_busy()
        stored, folded = report.stored_counts(seeded["since"])
        print_markdown(
            {
                "args": args,
                "summary": seeded["summary"],
                "pg_version": pg_version,
                "load": (load0, os.getloadavg()[0]),
                "machine": (busy1 - busy0) / (total1 - total0) if total1 > total0 else 0.0,
                "configs": results,
                "values": report.values_table(devices, state["sent"], stored, folded),
            }
        )
    except BaseException:
        for service in running:
            text = service.log.read_text(errors="replace")[-1500:]
            print(f"--- {service.name} log ---\n{text}", file=sys.stderr)
        raise
    finally:
        for service in running:
            service.stop(signal.SIGKILL, timeout=10)
        if broker:
            broker.terminate()
            broker.wait()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.db)
        if args.keep:
            print(f"logs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def configuration(state, label: str, k: int) -> dict:
    """One configuration of `k` of each process: its three windows, then its correctness."""
    from django.db import connections
    from django.utils import timezone

    args, work, devices = state["args"], state["work"], state["devices"]
    window = args.duration / 3
    watch = [d.integration for d in devices if d.index % 10 == 9 and d.index // 10 % 2 == k - 1]
    now = timezone.now()
    load.health_arm(watch[0::2], watch[1::2], now)
    load.drift_arm(now)
    state["arms"].append(now)
    connections.close_all()
    print(f"{label} of each: starting", flush=True)
    servers = [
        Gunicorn(
            f"{label}-{j}",
            1,
            state["url"],
            600,
            False,
            ROOT,
            config="config/gunicorn.conf.py",
            prefix="scale_out_",
        )
        for j in range(k)
    ]
    groups = {
        "web workers": lambda: [pid for s in servers for pid in s.workers()],
        "listeners": lambda: pids(state["running"], "listener"),
        "evaluators": lambda: pids(state["running"], "evaluator"),
        "health loops": lambda: pids(state["running"], "health"),
        "PostgreSQL backends": lambda: backends(args.db),
        "mosquitto": lambda: [state["broker"].pid],
    }
    out = {"label": label, "k": k, "cpu": {}, "since": now}
    try:
        for j in range(k):
            state["running"].append(
                Service(work, f"{label}-health-{j}", ["telemetry_health", "--loop"])
            )
        ids = [f"scale-{label}-{j}" for j in range(k)]
        listeners = start_listeners(state, label, ids)
        for listener in listeners:  # their sessions stay in the group and queue the backlog
            assert listener.stop() == 0, listener.name
            state["running"].remove(listener)
        mqtt_devices = [d for d in devices if d.transport == "mqtt" and d.index % 10 != 9]
        backlog_ns = time.time_ns()
        published = load.mqtt_backlog(
            mqtt_devices, state["mqtt"], args.backlog, backlog_ns, f"bench-backlog-{label}"
        )
        add(state["sent"], published)
        print(f"{label} of each: {args.backlog:,} MQTT messages queued in "
              f"{(time.time_ns() - backlog_ns) / 1e9:.0f} s; the windows", flush=True)  # fmt: skip
        with sampled(out, "HTTP", groups, window):
            out["http"] = http_window(state, servers, window)
        with sampled(out, "MQTT", groups, window):
            out["mqtt"] = mqtt_window(state, label, ids, window)
        quiet(label)  # before sampling: the health loops' down wave is not the checks' work
        with sampled(out, "checks", groups, window):
            out["checks"] = checks_window(state, label, k, window)
        settle(state, out, watch)
    finally:
        for service in list(state["running"]):
            if service.name.startswith(f"{label}-"):
                retire = "listener" in service.name
                code = service.stop(signal.SIGUSR1 if retire else signal.SIGTERM, timeout=120)
                if retire and code != 0:
                    print(f"{service.name} was not retired ({code})", file=sys.stderr)
                state["running"].remove(service)
        for server in servers:
            server.stop()
    logs = sorted(work.glob(f"{label}-*.log"))
    out["emails"], out["claims"] = load.emails_in(logs), load.claims_in(logs)
    out["health"] = load.health_events(now)
    out["drift"] = load.drift_events(now, state["arms"])
    connections.close_all()
    return out


def settle(state, out, watch, most: float = 120) -> None:
    """Until the health loops recorded every armed integration's first change."""
    from integration.models import HealthEvent

    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        seen = HealthEvent.objects.filter(integration__in=watch, at__gte=out["since"])
        if seen.values("integration").distinct().count() >= len(watch):
            return
        time.sleep(2.0)
    print("some armed integrations have no health event", file=sys.stderr)


if __name__ == "__main__":
    with autovacuum():
        main()
