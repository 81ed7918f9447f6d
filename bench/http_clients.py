"""The load clients of bench/http_ingest.py: HTTP posters and plain-COPY writers, each a forked
process started together on a barrier, and the CPU of what they load (gunicorn, PostgreSQL)."""

from __future__ import annotations

import multiprocessing as mp
import time

from bench.serving import cpu_seconds, post, postmaster_seconds, process_table

COPY_SQL = "COPY integration_point (series_id, ts, value) FROM STDIN"


def http_client(port, token, bodies, gzip, barrier, results):
    barrier.wait()
    started, cpu = time.monotonic(), time.process_time()
    latencies, errors = [], []
    for data in bodies:
        sent = time.monotonic()
        status, answer = post(port, "/api/v2/write?precision=ns", data, token, gzip)
        latencies.append(time.monotonic() - sent)
        if status != 204:
            errors.append(f"{status} {answer[:200]!r}")
    results.put((started, time.monotonic(), latencies, errors, time.process_time() - cpu, 0.0))


def copy_client(url, batches, barrier, results):
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("SELECT 1")
        conn.commit()
        backend = conn.info.backend_pid
        barrier.wait()
        started, cpu, pg_cpu = time.monotonic(), time.process_time(), cpu_seconds(backend)
        latencies = []
        for rows in batches:
            sent = time.monotonic()
            with conn.transaction(), conn.cursor() as cur, cur.copy(COPY_SQL) as copy:
                for row in rows:
                    copy.write_row(row)
            latencies.append(time.monotonic() - sent)
        cpu, pg_cpu = time.process_time() - cpu, cpu_seconds(backend) - pg_cpu
    results.put((started, time.monotonic(), latencies, [], cpu, pg_cpu))


def watched(server, db) -> tuple[list[int], list[int], int | None]:
    """The server's gunicorn workers; the PostgreSQL backends of the bench database when the
    server keeps its connections, else the postmaster (a backend per request has exited by the
    time it could be read: its CPU is counted in the postmaster's children's)."""
    found = process_table()
    workers = [pid for pid, (parent, _) in found.items() if parent == server.process.pid]
    marker = f" {db} ".encode()
    backends = [
        pid
        for pid, (_, cmdline) in found.items()
        if cmdline.startswith(b"postgres: ") and marker in cmdline
    ]
    postmaster = None
    if not server.reuses:
        parents = {found[pid][0] for pid in backends if pid in found} or {
            parent for parent, cmdline in found.values() if cmdline.startswith(b"postgres: ")
        }
        postmaster, backends = (parents.pop() if len(parents) == 1 else None), []
    return workers, backends, postmaster


def run_clients(target, per_client_args, server=None, db=None) -> dict:
    """Wall seconds from the first start to the last end, every request's latency, and CPU
    seconds: the clients', the app's (gunicorn workers) and PostgreSQL's (None: unknown)."""
    from django.db import connections

    connections.close_all()  # never share the parent's connection with a fork
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(per_client_args))
    results = ctx.Queue()
    processes = [
        ctx.Process(target=target, args=(*client_args, barrier, results))
        for client_args in per_client_args
    ]
    if server:
        workers, backends, postmaster = watched(server, db)
        before = {pid: cpu_seconds(pid) for pid in workers + backends}
        if postmaster:
            before[postmaster] = postmaster_seconds(postmaster)
    for process in processes:
        process.start()
    done = [results.get(timeout=900) for _ in processes]
    app_cpu = pg_cpu = None
    if server:
        time.sleep(0.2)  # the last backends of a server without persistent connections exit
        workers, backends, postmaster = watched(server, db)
        app_cpu = sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in workers)
        if server.reuses:
            pg_cpu = sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in backends)
        elif postmaster and postmaster in before:
            pg_cpu = postmaster_seconds(postmaster) - before[postmaster]
    for process in processes:
        process.join(timeout=60)
        if process.exitcode != 0:
            raise SystemExit(f"a client failed (exit code {process.exitcode})")
    errors = [error for client in done for error in client[3]]
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[0]}")
    client_cpu = sum(client[4] for client in done)
    if not server:  # COPY: the clients are the system measured, each read its own backend
        app_cpu, pg_cpu = client_cpu, sum(client[5] for client in done)
    return {
        "wall": max(client[1] for client in done) - min(client[0] for client in done),
        "latencies": sorted(latency for client in done for latency in client[2]),
        "client_cpu": client_cpu,
        "app_cpu": app_cpu,
        "pg_cpu": pg_cpu,
    }
