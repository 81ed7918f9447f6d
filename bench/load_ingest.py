"""bench/load.py's telemetry load: line protocol batches due on a fixed schedule, sent by a pool
of threads, so a slow server shows as lag behind the schedule."""

from __future__ import annotations

import queue
import threading
import time

SERIES = 20  # per ingest integration


def ingest_body(integration: int, batch: int, due_ns: int, step_ns: int, size: int) -> bytes:
    per_series = size // SERIES
    lines = []
    for m in range(per_series):
        ts = due_ns + m * step_ns
        for s in range(SERIES):
            value = ((integration * 7 + batch * 31 + m * 7919 + s * 13) % 10_000) / 100
            lines.append(f"load,sensor=s{s} value={value} {ts}")
    return "\n".join(lines).encode()


def ingest(port, tokens, rate, size, senders, start, duration, results):
    """The telemetry load (a process): batches due on a fixed schedule, sent by a pool."""
    import http.client

    cpu = time.process_time()
    records = []
    lock = threading.Lock()
    work = queue.Queue()
    every = size / rate  # seconds between batches, over all integrations
    per_integration_ns = int(every * len(tokens) * 1e9)
    step_ns = per_integration_ns // (size // SERIES)
    wall0 = time.time_ns() - int((time.monotonic() - start) * 1e9)  # wall clock at `start`

    def sender():
        mine = []
        while (item := work.get()) is not None:
            due, token, body = item
            sent = time.monotonic()
            status = 0
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                connection.request(
                    "POST",
                    "/api/v2/write?precision=ns",
                    body=body,
                    headers={"Authorization": f"Token {token}", "Content-Type": "text/plain"},
                )
                response = connection.getresponse()
                response.read()
                status = response.status
                connection.close()
            except OSError:
                pass
            mine.append((due, sent, time.monotonic(), status))
        with lock:
            records.extend(mine)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    number = 0
    while (due := start + number * every) < start + duration:
        time.sleep(max(0.0, due - time.monotonic()))
        integration = number % len(tokens)
        due_ns = wall0 + int(number * every * 1e9)
        body = ingest_body(integration, number, due_ns, step_ns, size)
        work.put((due, tokens[integration], body))
        number += 1
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join()
    results.put(("ingest", records, time.process_time() - cpu))
