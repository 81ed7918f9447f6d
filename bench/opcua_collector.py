"""Points per second through `ladder-opcua` against the OPC UA server's change rate.

    .venv/bin/python bench/opcua_collector.py                      # 200 nodes every 100 ms
    .venv/bin/python bench/opcua_collector.py --nodes 200,1000 --every 0.1 --seconds 20
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ladder_opcua_bench .venv/bin/python ...

An asyncua server in this process (tests/integration/opcua_plant.py) with --nodes float
variables, each changed every --every seconds, all with one SourceTimestamp per round (one
metric, `bench.value`, a series per node: Ladder allows 1,000 metrics per integration); the
collector (`python -m integration.opcua.collector`, its defaults but a 0.5 s flush) in a
subprocess subscribed to every node (sampling 0, publishing 100 ms); Ladder under gunicorn (2
gthread workers) on a throw-away database (a temporary SQLite file unless DATABASE_URL).

For each node count, in the same run: the server's change rate (values written per second,
the baseline), the points Ladder stored per second over the same window, their ratio, the
seconds from the last change to the last point stored, and the collector's CPU per 1,000
points (/proc). At the end every run checks that the points stored equal the values produced.

A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.instances import free_port, wait_for  # noqa: E402
from tests.integration.opcua_plant import Plant, collector_env  # noqa: E402
from tests.services import port_open  # noqa: E402


def manage(env, *args) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    if result.returncode:
        raise SystemExit(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


class Ladder:
    def __init__(self, directory: Path):
        self.env = {
            "PATH": os.environ["PATH"],
            "SECRET_KEY": "bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",
            "DEBUG": "0", "HTTPS": "0", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
        }  # fmt: skip
        self.database_url = os.environ.get("DATABASE_URL")
        if self.database_url:
            self.env["DATABASE_URL"] = self.database_url
        else:
            self.sqlite = directory / "ladder.sqlite3"
            self.env["SQLITE_PATH"] = str(self.sqlite)
        manage(self.env, "migrate", "-v", "0")
        create = (
            "from accounts.models import Organization as O; "
            "O.objects.get_or_create(name='Acme', slug='acme')"
        )
        manage(self.env, "shell", "-c", create)
        created = json.loads(
            manage(self.env, "create_integration", "acme", f"OPC UA {time.time()}")
        )
        self.token, self.integration = created["token"], created["id"]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(directory / "gunicorn.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "2", "--worker-class", "gthread",
             "--threads", "2"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(lambda: port_open("127.0.0.1", self.port), 30, "gunicorn to listen")

    def stored(self) -> int:
        query = (
            "SELECT count(*) FROM integration_point p JOIN integration_series s ON s.id = "
            "p.series_id JOIN integration_metric m ON m.id = s.metric_id WHERE m.integration_id = "
        )
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url) as db:
                return db.execute(query + "%s", [self.integration]).fetchone()[0]
        with sqlite3.connect(self.sqlite, timeout=30) as db:
            return db.execute(query + "?", [self.integration.replace("-", "")]).fetchone()[0]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)
        self.log.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(nodes: int, every: float, seconds: float, ladder: Ladder, directory: Path) -> dict:
    plant = Plant({f"N{i:04d}": 0.0 for i in range(nodes)}).start()
    entries = "".join(
        f'[[nodes]]\nnode_id = "{plant.node_id(f"N{i:04d}")}"\nmetric = "bench"\n'
        f'tags = {{ run = "{nodes}", node = "n{i:04d}" }}\n'
        for i in range(nodes)
    )
    config = directory / f"collector-{nodes}.toml"
    config.write_text(
        f'[ladder]\nurl = "{ladder.url}"\ntoken = "{ladder.token}"\nflush_interval_s = 0.5\n'
        f'[opcua]\nendpoint = "{plant.endpoint}"\nsampling_interval_ms = 0\n'
        f"publishing_interval_ms = 100\n"
        f'[buffer]\npath = "{directory}/buffer-{nodes}.sqlite3"\n\n{entries}'
    )
    log = open(directory / f"collector-{nodes}.log", "w")  # noqa: SIM115
    collector = subprocess.Popen(
        [sys.executable, "-m", "integration.opcua.collector", "--config", str(config)],
        env=collector_env(), cwd=directory, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        before = ladder.stored()
        wait_for(lambda: ladder.stored() - before == nodes, 60, "the initial values stored")
        plant.run_updates(every=every)
        time.sleep(2)  # warm up
        produced0, stored0, cpu0 = plant.writes, ladder.stored(), cpu_seconds(collector.pid)
        started = time.perf_counter()
        time.sleep(seconds)
        produced1, stored1, cpu1 = plant.writes, ladder.stored(), cpu_seconds(collector.pid)
        window = time.perf_counter() - started
        plant.stop_updates()
        stopped = time.perf_counter()
        total = len(plant.produced)
        wait_for(lambda: ladder.stored() - before >= total, 120, "every value stored")
        drain = time.perf_counter() - stopped
        final = ladder.stored() - before
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.wait(30)
        log.close()
        plant.stop()
    changes = (produced1 - produced0) / window
    points = (stored1 - stored0) / window
    return {
        "nodes": nodes,
        "changes/s": changes,
        "points/s": points,
        "ratio": points / changes,
        "drain s": drain,
        "cpu ms/1000": 1e6 * (cpu1 - cpu0) / max(1, stored1 - stored0),
        "stored": final,
        "produced": total,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", default="200", help="comma-separated node counts")
    parser.add_argument("--every", type=float, default=0.1, help="seconds between changes")
    parser.add_argument("--seconds", type=float, default=20, help="the measured window")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="ladder-bench-opcua-"))
    ladder = Ladder(directory)
    rows = []
    try:
        for nodes in [int(n) for n in args.nodes.split(",")]:
            row = run(nodes, args.every, args.seconds, ladder, directory)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        ladder.stop()
    print()
    print(f"| nodes, one change each every {args.every * 1000:g} ms | server changes/s "
          "(baseline) | points/s stored | stored ÷ changes | last change to stored | "
          "collector CPU per 1,000 points | stored = produced |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['nodes']} | {row['changes/s']:,.0f} | {row['points/s']:,.0f} | "
            f"**{row['ratio']:.2f}×** | {row['drain s']:.1f} s | {row['cpu ms/1000']:.0f} ms | "
            f"{row['stored']:,} = {row['produced']:,} |"
        )
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
