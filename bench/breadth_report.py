"""bench/breadth.py's measurements and tables: CPU per process group from /proc, values stored
against sent, the time from a silent device's last value to its "down" event, page times; the
tables are Markdown, ready for docs/BENCHMARKS.md."""

from __future__ import annotations

import os
import threading
from collections import defaultdict

from bench.breadth_seed import MIX
from bench.load_report import page_stats, percentile

STORED = """
SELECT m.integration_id, count(*) FROM integration_point p
JOIN integration_series s ON s.id = p.series_id JOIN integration_metric m ON m.id = s.metric_id
WHERE m.name <> '_ping' GROUP BY m.integration_id
"""
FOLDED = """
SELECT m.integration_id, sum(r.count) FROM integration_minuterollup r
JOIN integration_series s ON s.id = r.series_id JOIN integration_metric m ON m.id = s.metric_id
WHERE m.name <> '_ping' AND r.bucket >= %s GROUP BY m.integration_id
"""


def process_seconds(pid: int) -> float:
    """CPU seconds of a process, all its threads (utime + stime of /proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuSampler:
    """CPU seconds per group of processes between `start()` and `stop()`, sampled every few
    seconds so that a process that ends in between still counts up to its last sample; one
    that starts in between counts from 0."""

    def __init__(self, groups: dict, every: float = 5.0):
        self.groups, self.every = groups, every  # name -> callable returning pids
        self.first: dict = {}
        self.last: dict = {}
        self.halt = threading.Event()

    def sample(self, initial: bool = False) -> None:
        for name, pids in self.groups.items():
            for pid in pids():
                seconds = process_seconds(pid)
                if seconds:
                    self.first.setdefault((name, pid), seconds if initial else 0.0)
                    self.last[name, pid] = seconds

    def start(self) -> None:
        self.sample(initial=True)
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self) -> None:
        while not self.halt.wait(self.every):
            self.sample()

    def stop(self) -> dict[str, float]:
        self.halt.set()
        self.thread.join()
        self.sample()
        totals = defaultdict(float)
        for (name, pid), seconds in self.last.items():
            totals[name] += seconds - self.first[name, pid]
        return {name: totals[name] for name in self.groups}


def stored_counts(since) -> tuple[dict, dict]:
    """Per integration id (text): values stored, and values folded into minute rollups from
    `since` on (the seeded history, if any, is before it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(STORED)
        stored = {str(k): v for k, v in cursor.fetchall()}
        cursor.execute(FOLDED, [since])
        folded = {str(k): int(v) for k, v in cursor.fetchall()}
    return stored, folded


def first_downs() -> dict:
    """Per integration id (text): the times (UTC datetimes) of its "down" events."""
    from integration.models import HealthEvent

    downs = defaultdict(list)
    for pk, at in HealthEvent.objects.filter(status="down").values_list("integration_id", "at"):
        downs[str(pk)].append(at)
    return downs


def values_table(devices, sent: dict, stored: dict, folded: dict) -> list[dict]:
    """Per transport: integrations, values sent (acknowledged), failed, stored, lost, doubled,
    worst lag. Doubled: stored beyond what was sent, or folded into rollups more than once."""
    rows = {}
    for device in devices:
        row = rows.setdefault(
            device.transport,
            {"transport": device.transport, "integrations": 0, "sent": 0, "failed": 0,
             "stored": 0, "lost": 0, "doubled": 0, "lag": 0.0},
        )  # fmt: skip
        ok, failed, _, lag = sent[device.index]
        have = stored.get(device.integration, 0)
        row["integrations"] += 1
        row["sent"] += ok
        row["failed"] += failed
        row["stored"] += have
        row["lost"] += max(0, ok - have)
        row["doubled"] += max(0, have - ok) + max(0, folded.get(device.integration, 0) - have)
        row["lag"] = max(row["lag"], lag)
    return list(rows.values())


def silence_table(devices, sent: dict, downs: dict, interval: int, grace: int, end_ns: int):
    """The time from each silent device's last value to its first "down" event after it; and
    the "down" events of devices that were still sending: before `end_ns` for the others,
    before its last value for a silent one."""
    delays, missing = [], 0
    for device in devices:
        last_ns = sent[device.index][2]
        if not device.silent or not last_ns:  # never sent: stays "new", never "down"
            continue
        after = [at for at in downs.get(device.integration, []) if at.timestamp() * 1e9 > last_ns]
        if after:
            delays.append(min(after).timestamp() - last_ns / 1e9)
        else:
            missing += 1
    false = sum(
        1
        for device in devices
        for at in downs.get(device.integration, [])
        if at.timestamp() * 1e9 < (sent[device.index][2] if device.silent else end_ns)
    )
    return {
        "silent": len(delays) + missing,
        "downs": len(delays),
        "missing": missing,
        "max": max(delays, default=float("nan")),
        "p95": percentile(delays, 0.95),
        "target": interval + grace + 60,
        "false": false,
    }


def web_servers(args) -> str:
    """The gunicorn instances of the run, in words."""
    http = getattr(args, "http_workers", 0)
    if not http:
        return f"gunicorn {args.workers} sync workers (pages and HTTP ingest)"
    return f"gunicorn {args.workers} sync workers for the pages and {http} for the HTTP ingest"


def niced(args) -> str:
    """What ran at --nice, if anything (the HTTP ingest only when it has its own gunicorn)."""
    if not getattr(args, "nice", 0):
        return ""
    which = "the HTTP ingest's gunicorn, " if args.http_workers else ""
    return f"; {which}the listener, the health loop and the evaluator at nice {args.nice}"


def print_markdown(run: dict) -> None:
    """Everything measured, as Markdown tables."""
    args = run["args"]
    per = args.integrations / 1000
    print(
        f"\n### Breadth: {args.integrations:,} integrations, shape `{args.shape}` "
        f"({run['summary']})\n\n"
        f"{run['duration']:.0f} s of "
        f"{'browsing, no device sending' if args.users_only else 'sending'}, "
        f"{args.users} users (think time {args.think} s), "
        f"{web_servers(args)}, one listener (MQTT + Sparkplug host), the "
        f"health loop, the check evaluator (every {args.check_every} s)"
        f"{niced(args)}; PostgreSQL "
        f"{run['pg_version']}, {os.cpu_count()} CPUs, load average {run['load'][0]:.1f} at "
        f"the start, up to {run['load'][1]:.1f}; machine {run['machine'] * 100:.0f} % busy.\n"
    )
    if run["values"]:
        print("| transport | integrations | values sent | stored | lost | doubled | refused or "
              "unanswered | worst lag behind schedule |")  # fmt: skip
        print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for r in run["values"]:
        print(
            f"| {r['transport']} | {r['integrations']:,} | {r['sent']:,} | {r['stored']:,} | "
            f"{r['lost']:,} | {r['doubled']:,} | {r['failed']:,} | {r['lag']:.2f} s |"
        )
    if s := run["silence"]:
        print(
            "\n| silent devices | down events | none within the wait | last value to down, max "
            "| p95 | target (interval + grace + 60 s) | down while still sending |\n"
            "|--:|--:|--:|--:|--:|--:|--:|\n"
            f"| {s['silent']} | {s['downs']} | {s['missing']} | {s['max']:.0f} s "
            f"| {s['p95']:.0f} s | {s['target']} s | {s['false']} |"
        )
    print("\n| process | CPU s | cores | cores per 1,000 integrations |\n|---|--:|--:|--:|")
    for name, seconds in run["cpu"].items():
        cores = seconds / run["wall"]
        print(f"| {name} | {seconds:.1f} | {cores:.3f} | {cores / per:.3f} |")
    print("\n| page | requests | p50 ms | p95 ms | errors |\n|---|--:|--:|--:|--:|")
    stats = page_stats(run["browse"])
    for kind in sorted(stats, key=list(MIX).index):
        e = stats[kind]
        print(
            f"| {kind} | {e['count']} | {percentile(e['latencies'], 0.5):.0f} | "
            f"{percentile(e['latencies'], 0.95):.0f} | {e['errors']} |"
        )
    every = [x for e in stats.values() for x in e["latencies"]]
    print(
        f"| all | {len(every)} | {percentile(every, 0.5):.0f} | {percentile(every, 0.95):.0f} "
        f"| {sum(e['errors'] for e in stats.values())} |"
    )
