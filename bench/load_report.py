"""bench/load.py's result tables: per phase, page requests by kind, the ingest and CPU; then
the pages against the bare page."""

from __future__ import annotations

import os
import statistics

from bench.load_users import MIX


def percentile(values: list[float], share: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))] if values else float("nan")


def page_stats(phase: dict) -> dict:
    """Per kind: requests completed in the phase's window, req/s, p50/p95 ms, errors."""
    end = phase["start"] + phase["duration"]
    by_kind = {}
    for kind, sent, latency, status, _size in phase["pages"]:
        if sent + latency > end:
            continue
        entry = by_kind.setdefault(kind, {"latencies": [], "errors": 0})
        entry["latencies"].append(latency * 1000)
        if status != 200:
            entry["errors"] += 1
    for entry in by_kind.values():
        entry["count"] = len(entry["latencies"])
        entry["rate"] = entry["count"] / phase["duration"]
    return by_kind


def ingest_stats(phase: dict, size: int) -> dict:
    records = phase["ingest"]
    ok = [r for r in records if 200 <= r[3] < 300]
    errors = len(records) - len(ok)
    last = max((r[2] for r in records), default=phase["start"])
    span = max(phase["duration"], last - phase["start"])
    return {
        "batches": len(records),
        "points": len(ok) * size,
        "rate": len(ok) * size / span,
        "errors": errors,
        "p50": percentile([(r[2] - r[1]) * 1000 for r in records], 0.5),
        "p95": percentile([(r[2] - r[1]) * 1000 for r in records], 0.95),
        "lag": max((r[2] - r[0] for r in records), default=0.0),
        "statuses": sorted({r[3] for r in records if not 200 <= r[3] < 300}),
    }


def report(name: str, phase: dict, args, ingest_cores: float = 0.0) -> dict:
    """Print a phase's figures; `ingest_cores`: the workers' CPU for the ingest alone."""
    pages = page_stats(phase)
    total = sum(e["count"] for e in pages.values())
    errors = sum(e["errors"] for e in pages.values())
    latencies = [x for e in pages.values() for x in e["latencies"]]
    print(f"\n{name}: {phase['duration']:.0f} s, load average up to {phase['load']:.1f}")
    print(f"  {'page':<14}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'errors':>8}")
    for kind in [*MIX, "bare"]:
        if kind in pages:
            e = pages[kind]
            print(
                f"  {kind:<14}{e['count']:>9}{e['rate']:>8.1f}"
                f"{percentile(e['latencies'], 0.5):>8.0f}"
                f"{percentile(e['latencies'], 0.95):>8.0f}{e['errors']:>8}"
            )
    rate = total / phase["duration"]
    print(
        f"  {'all':<14}{total:>9}{rate:>8.1f}{percentile(latencies, 0.5):>8.0f}"
        f"{percentile(latencies, 0.95):>8.0f}{errors:>8}"
    )
    result = {"rate": rate, "errors": errors, "pages": pages}
    if phase["ingest"]:
        i = ingest_stats(phase, args.batch)
        print(
            f"  ingest: {i['points']:,} points in {i['batches']} batches, "
            f"{i['rate']:,.0f} points/s, "
            f"{i['errors']} errors{' ' + str(i['statuses']) if i['errors'] else ''}, "
            f"request p50 {i['p50']:.0f} ms p95 {i['p95']:.0f} ms, worst lag {i['lag']:.2f} s"
        )
        result["ingest"] = i
    wall = phase["wall"]
    cores = {
        "gunicorn": phase["app_cpu"] / wall,
        "postgres": phase["pg_cpu"] / wall,
        "pages client": phase["browse_cpu"] / wall,
        "ingest client": phase["ingest_cpu"] / wall,
    }
    print(
        "  CPU cores: "
        + ", ".join(f"{k} {v:.2f}" for k, v in cores.items())
        + f"; machine {phase['machine'] * 100:.0f} % busy of {os.cpu_count()} CPUs"
    )
    if total:
        net = (phase["app_cpu"] - ingest_cores * wall) / total * 1000
        result["cpu_per_request"] = net
        print(
            f"  gunicorn CPU per page request, net of the ingest's {ingest_cores:.2f} cores: "
            f"{net:.2f} ms; load generator: {phase['browse_cpu'] / total * 1000:.2f} ms"
        )
    result["cores"] = cores
    result["machine"] = phase["machine"]
    return result


def summary(results: dict) -> None:
    """Print the pages against the mean of the two bare phases, and all phases' errors."""
    bares = [results[k] for k in ("bare, before", "bare, after")]
    bare_rate = statistics.mean(r["rate"] for r in bares)
    bare_cpu = statistics.mean(r["cpu_per_request"] for r in bares)
    pages = results["pages"]
    print(
        f"\npages {pages['rate']:.1f} req/s, bare page {bare_rate:.1f} req/s (mean of before "
        f"and after): pages / bare = {pages['rate'] / bare_rate:.3f}x\n"
        f"gunicorn CPU per request, net of the ingest: pages {pages['cpu_per_request']:.2f} ms, "
        f"bare {bare_cpu:.2f} ms: bare / pages = {bare_cpu / pages['cpu_per_request']:.3f}x"
    )
    errors = sum(r["errors"] for r in results.values())
    ingested = [r["ingest"] for r in results.values() if "ingest" in r]
    print(
        f"page errors {errors}; ingest: {sum(i['points'] for i in ingested):,} points, "
        f"{sum(i['errors'] for i in ingested)} errors, "
        f"{min(i['rate'] for i in ingested):,.0f} points/s in the slowest phase"
    )
