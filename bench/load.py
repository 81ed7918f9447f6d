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
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import random
import re
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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
BARE = "/bench/bare/"
MIX = {
    "overview": 15,
    "dashboard": 15,
    "process": 20,
    "readiness": 15,
    "board": 15,
    "integrations": 15,
    "integration": 5,
}
SERIES = 20  # per ingest integration


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


# Setup


def prepare(args) -> dict:
    from django.core.management import call_command
    from django.utils import timezone

    from integration.services import telemetry_retention_apply

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    rng = random.Random(args.seed)
    for k in range(1, args.orgs + 1):
        big_org_create(k, args.processes, rng)
    telemetry_retention_apply(now=timezone.now())
    return site_map(args)


AREAS = ["manufacturing", "logistics", "energy", "finance", "retail"]


def big_org_create(k: int, processes: int, rng: random.Random):
    """An organisation of `processes` processes, 8 integrations, two assessments, a roadmap."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.demo import DEMO_PASSWORD
    from accounts.models import Membership, Organization, Role, Site, User
    from assessments import roadmaps
    from assessments.models import CriterionAnswer, Process, ReadinessAnswer
    from assessments.services import assessment_create
    from integration.services import integration_create

    slug = f"globex-{k}"
    today = timezone.localdate()
    password = make_password(DEMO_PASSWORD)
    with transaction.atomic():
        org = Organization.objects.create(name=f"Globex {k}", slug=slug, brand_colour="#334155")
        sites = [
            Site.objects.create(organization=org, name=f"Site {j}", location="Manchester, UK")
            for j in range(1, 5)
        ]
        people = []
        for name, role in [("owner", Role.OWNER)] + [(f"member{j}", Role.MEMBER) for j in (1, 2)]:
            user = User.objects.create(
                email=f"{name}@{slug}.example", first_name=name.title(), last_name=f"Globex {k}"
            )
            user.password = password
            user.save(update_fields=["password"])
            Membership.objects.create(user=user, organization=org, role=role)
            people.append(user)
        owner = people[0]
        integrations = [
            integration_create(organization=org, name=f"Line {j} telemetry", interval_seconds=60)[0]
            for j in range(1, 9)
        ]
        procs, levels = [], {}
        for i in range(processes):
            area = AREAS[i % len(AREAS)]
            process = Process.objects.create(
                organization=org,
                name=f"{area.title()} process {i + 1:02d}",
                area=area,
                site=rng.choice(sites + [None]),
                owner=rng.choice(people),
                business_value=rng.randint(1, 5),
            )
            process.integrations.add(*rng.sample(integrations, rng.randint(0, 2)))
            base = rng.randint(0, 3)
            now = min(base + rng.randint(0, 1), 4)
            levels[process.pk] = (base, now, min(now + rng.randint(1, 2), 4))
            procs.append(process)
        baseline = assessment_create(
            organization=org,
            user=owner,
            title="Baseline, last quarter",
            processes=procs,
            assessed_on=today - timedelta(days=95),
        )
        answers, readiness = [], []
        _answers(baseline, owner, levels, 0, rng, answers, readiness)
        CriterionAnswer.objects.bulk_create(answers)
        ReadinessAnswer.objects.bulk_create(readiness)
        baseline.finalize()
        current = assessment_create(
            organization=org,
            user=owner,
            title="Current assessment",
            processes=procs,
            assessed_on=today - timedelta(days=3),
        )
        answers, readiness = [], []
        _answers(current, owner, levels, 1, rng, answers, readiness)
        _answers(current, people[1], levels, 1, rng, answers, readiness, dissent=0.1)
        CriterionAnswer.objects.bulk_create(answers)
        ReadinessAnswer.objects.bulk_create(readiness)
    roadmap = roadmaps.roadmap_generate(
        assessment=current,
        user=owner,
        start_date=today - timedelta(days=60),
        capacity=6,
        title="Integration roadmap",
    )
    milestones = list(roadmap.milestones.in_plan_order())
    statuses = ["done", "done", "in_progress", "blocked"]
    for i, milestone in enumerate(milestones[: len(milestones) // 3]):
        roadmaps.milestone_update(
            milestone=milestone, user=owner, changes={"owner": people[i % len(people)]}
        )
        roadmaps.milestone_status_set(milestone=milestone, user=owner, status=statuses[i % 4])


def _answers(assessment, assessor, levels, stage, rng, answers, readiness, dissent=0.0):
    from assessments.models import CriterionAnswer, ReadinessAnswer

    framework = assessment.framework.definition
    for score in assessment.process_scores.select_related("process"):
        level = levels[score.process_id][stage]
        if stage:
            score.target_level = levels[score.process_id][2]
            score.rationale = "Walked through on site with the process owner."
            score.save(update_fields=["target_level", "rationale"])
        for step in (1, 2, 3, 4):
            for criterion in framework.criteria_for(score.process.area, step):
                status = (
                    "fully"
                    if step < level
                    else "largely"
                    if step == level
                    else "partial"
                    if step == level + 1
                    else "not"
                )
                if rng.random() < dissent:
                    status = rng.choice(["not", "partial", "largely", "fully"])
                answers.append(
                    CriterionAnswer(
                        process_score=score,
                        criterion_key=criterion.key,
                        assessor=assessor,
                        status=status,
                    )
                )
    for dimension in framework.dimensions:
        it, ot = rng.randint(1, 4), rng.randint(0, 3)
        for question in dimension.questions:
            for side, value in (("it", it), ("ot", ot)):
                if rng.random() < dissent:
                    value = max(value - 1, 0)
                readiness.append(
                    ReadinessAnswer(
                        assessment=assessment,
                        question_key=question.key,
                        side=side,
                        assessor=assessor,
                        value=value,
                    )
                )


def site_map(args) -> dict:
    """Every organisation's pages by kind, the people who browse them, the ingest tokens."""
    from django.urls import reverse

    from accounts.models import Membership, Organization
    from assessments.models import Assessment, Roadmap
    from integration.demo_specs import DEAD, DEMO_INTEGRATIONS
    from integration.models import IngestToken, Integration

    pages = {}
    for org in Organization.objects.order_by("pk"):
        s = org.slug
        assessments = list(Assessment.objects.filter(organization=org).order_by("pk"))
        dimensions = [d.key for d in assessments[0].framework.definition.dimensions]
        pages[s] = {
            "overview": [reverse("org-home", args=[s])],
            "dashboard": [
                reverse("assessments:assessment-dashboard", args=[s, a.pk]) for a in assessments
            ],
            "process": [
                reverse("assessments:process-score", args=[s, a.pk, score.pk])
                for a in assessments
                for score in a.process_scores.all()
            ],
            "readiness": [
                reverse("assessments:readiness", args=[s, a.pk, key])
                for a in assessments
                for key in dimensions
            ],
            "board": [
                reverse("assessments:roadmap-board", args=[s, r.pk])
                for r in Roadmap.objects.filter(organization=org)
            ],
            "integrations": [reverse("integration:integration-list", args=[s])],
            "integration": [
                reverse("integration:integration-detail", args=[s, i.pk])
                for i in Integration.objects.filter(organization=org)
            ],
        }
    people = {}
    for m in Membership.objects.select_related("user", "organization").order_by("pk"):
        people.setdefault(m.user.email, []).append(m.organization.slug)
    dead = {spec.name for spec in DEMO_INTEGRATIONS if spec.behaviour == DEAD}
    by_org = {}
    for i in Integration.objects.exclude(name__in=dead).order_by("organization_id", "name"):
        by_org.setdefault(i.organization_id, []).append(i)
    chosen = []
    while len(chosen) < args.integrations and any(by_org.values()):
        for pool in by_org.values():
            if pool and len(chosen) < args.integrations:
                chosen.append(pool.pop(0))
    tokens = [] if args.profile else [IngestToken.objects.issue(integration=i)[1] for i in chosen]
    counts = {
        org.slug: f"{org.processes.count()} processes"
        for org in Organization.objects.order_by("pk")
    }
    return {
        "pages": pages,
        "people": people,
        "tokens": tokens,
        "summary": f"{counts}, {len(people)} people, ingest to {len(tokens)} integrations",
    }


# In-process profile: queries and time per page kind, one organisation of each size.


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


# The load


def login(port: int, email: str) -> str:
    """Log in over HTTP as the login page does; returns the session id."""
    import http.client

    from accounts.demo import DEMO_PASSWORD

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", "/accounts/login/")
        response = connection.getresponse()
        html = response.read().decode()
        csrf = SimpleCookie(response.getheader("Set-Cookie"))["csrftoken"].value
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    finally:
        connection.close()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        body = urlencode(
            {"csrfmiddlewaretoken": token, "username": email, "password": DEMO_PASSWORD}
        )
        connection.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf}",
            },
        )
        response = connection.getresponse()
        response.read()
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        if response.status != 302 or "sessionid" not in cookies:
            raise SystemExit(f"login of {email} failed: {response.status}")
        return cookies["sessionid"].value
    finally:
        connection.close()


def fetch(port: int, request: bytes) -> tuple[int, int]:
    """One raw HTTP exchange on a new connection: (status, bytes received)."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(request)
        first = sock.recv(65536)
        size = len(first)
        while chunk := sock.recv(262144):
            size += len(chunk)
    try:
        return int(first[9:12]), size
    except ValueError:
        return 0, size


def request_bytes(path: str, session: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={session}\r\n"
        "User-Agent: ladder-bench-load\r\nConnection: close\r\n\r\n"
    ).encode()


def browse(port, users, mix, start, duration, think, seed, results):
    """The page load generator (a process): one thread per user, until start + duration."""
    end = start + duration
    records = []
    lock = threading.Lock()
    kinds, weights = list(mix), list(mix.values())

    def user(number, session, pages):
        rng = random.Random(seed * 1000 + number)
        cache = {}
        mine = []
        time.sleep(max(0.0, start - time.monotonic() + number * 0.002))
        while True:
            kind = rng.choices(kinds, weights)[0]
            pages_of_kind = pages[kind]
            path = rng.choice(pages_of_kind)
            raw = cache.get(path) or cache.setdefault(path, request_bytes(path, session))
            sent = time.monotonic()
            if sent >= end:
                break
            try:
                status, size = fetch(port, raw)
            except OSError:
                status, size = 0, 0
            done = time.monotonic()
            mine.append((kind, sent, done - sent, status, size))
            if think:
                time.sleep(rng.expovariate(1 / think))
        with lock:
            records.extend(mine)

    cpu = time.process_time()
    threads = [
        threading.Thread(target=user, args=(n, session, pages))
        for n, (session, pages) in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(("browse", records, time.process_time() - cpu))


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


def sessions_for(args, port, site) -> list[tuple[str, dict]]:
    """Log in --users sessions, round robin over the people; each browses its organisations."""
    from concurrent.futures import ThreadPoolExecutor

    emails = list(site["people"])
    chosen = [emails[n % len(emails)] for n in range(args.users)]
    with ThreadPoolExecutor(4) as pool:
        sessions = list(pool.map(lambda email: login(port, email), chosen))
    users = []
    for email, session in zip(chosen, sessions, strict=True):
        pages = {kind: [] for kind in MIX}
        for slug in site["people"][email]:
            for kind in MIX:
                pages[kind] += site["pages"][slug][kind]
        users.append((session, pages))
    return users


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


if __name__ == "__main__":
    main()
