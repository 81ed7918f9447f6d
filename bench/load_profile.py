"""bench/load.py --profile: queries and time per page kind, in process, one organisation of each
size."""

from __future__ import annotations

import re
import statistics
import time

from bench.load_users import BARE


def profile(site):
    from collections import Counter

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    owners = {"acme": "coo@acme.example", "globex-1": "owner@globex-1.example"}
    runs = 9
    print(f"\nmedians of {runs} requests; ms: wall clock, CPU: this process's (not PostgreSQL's)")
    print(f"{'page':<14}{'org':<10}{'queries':>8}{'ms':>8}{'CPU ms':>8}  repeated queries")
    for slug, email in owners.items():
        if slug not in site["pages"]:
            continue
        client = Client()
        client.force_login(User.objects.get(email=email))
        for kind, paths in [("bare", [BARE]), *site["pages"][slug].items()]:
            path = paths[0]
            assert client.get(path).status_code == 200, path
            with CaptureQueriesContext(connection) as captured:
                client.get(path)
            queries = captured.captured_queries  # read now: the next request empties the log
            times, cpu = [], []
            for _ in range(runs):
                started, cpu_started = time.perf_counter(), time.process_time()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
            repeated = [
                f"{n}x {sql[:60]}"
                for sql, n in Counter(re.sub(r"\d+", "N", q["sql"]) for q in queries).most_common(3)
                if n > 1
            ]
            print(
                f"{kind:<14}{slug:<10}{len(queries):>8}{statistics.median(times):>8.1f}"
                f"{statistics.median(cpu):>8.1f}  {'; '.join(repeated)}"
            )
