"""bench/scale_out.py's load and its correctness counts: HTTP posts from closed-loop clients,
an MQTT backlog, the drift and health transitions both copies of a process race for, and the
counts of what was recorded (events, audit rows, emails) against the transitions.

Every value sent has its own timestamp per integration (a counter per device, 1 ms apart from
the window's start), so a point stored twice shows as more stored than acknowledged.
"""

from __future__ import annotations

import http.client
import itertools
import re
import threading
import time
from collections import defaultdict

from bench.breadth_send import FIELDS, values

# --- HTTP: closed-loop clients --------------------------------------------------------------


def http_saturate(devices, ports, threads, batch, end, base_ns, results, name="http"):
    """One load process: `threads` clients, each POSTing `batch` reports (3 values each) of one
    device at a time to its port (clients spread over `ports`) until `end` (monotonic), the next
    request as soon as the last is answered. Puts (name, per device [ok, failed, last ns, 0],
    CPU s, requests) on `results`."""
    cpu = time.process_time()
    stats = {d.index: [0, 0, 0, 0.0] for d in devices}
    counters = defaultdict(int)
    lock = threading.Lock()
    requests = [0]

    def client(n):
        port = ports[n % len(ports)]
        mine = devices[n::threads] or devices
        for device in itertools.cycle(mine):
            if time.monotonic() >= end:
                return
            with lock:
                first = counters[device.index]
                counters[device.index] += batch
            lines, last = [], 0
            for k in range(first, first + batch):
                last = base_ns + k * 1_000_000
                temp, rpm, load = values(device.index, k)
                lines.append(f"machine temp={temp},rpm={rpm},load={load} {last}")
            status = 0
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                connection.request(
                    "POST",
                    "/api/v2/write?precision=ns",
                    body="\n".join(lines).encode(),
                    headers={
                        "Authorization": f"Token {device.token}",
                        "Content-Type": "text/plain",
                    },
                )
                response = connection.getresponse()
                response.read()
                status = response.status
                connection.close()
            except OSError:
                pass
            with lock:
                entry = stats[device.index]
                requests[0] += 1
                if status == 204:
                    entry[0] += batch * len(FIELDS)
                    entry[2] = max(entry[2], last)
                else:
                    entry[1] += batch * len(FIELDS)

    pool = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    results.put((name, stats, time.process_time() - cpu, requests[0]))


# --- MQTT: a backlog queued for the listeners' sessions ---------------------------------------


def mqtt_backlog(devices, url, messages, base_ns, client_id):
    """Publish `messages` reports (one line, 3 values) over the devices in turn at QoS 1 and
    wait for every acknowledgement; returns per device [sent values, 0, last ns, 0]."""
    from integration.mqtt.publishing import publish_bounded, publisher_connect

    stats = {d.index: [0, 0, 0, 0.0] for d in devices}

    def reports():
        for n in range(messages):
            device = devices[n % len(devices)]
            k = n // len(devices)
            ts = base_ns + k * 1_000_000
            temp, rpm, load = values(device.index, k)
            stats[device.index][0] += len(FIELDS)
            stats[device.index][2] = ts
            yield (
                f"ladder/{device.integration}/telemetry",
                f"machine temp={temp},rpm={rpm},load={load} {ts}",
            )

    client = publisher_connect(url, client_id=client_id)
    try:
        publish_bounded(client, reports(), timeout=120)
    finally:
        client.disconnect()
        client.loop_stop()
    return stats


def points_stored() -> int:
    """Every point row (a cheap count to follow the listeners' progress)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM integration_point")
        return cursor.fetchone()[0]


# --- Transitions to race for ------------------------------------------------------------------


def seed_assessments(owners: dict) -> int:
    """A draft assessment per organisation with each process scored and every criterion of its
    area answered "fully" by the owner: claimed level 4, so a verified level below it that
    changes is drift (emailed and audited). `owners`: organisation id -> owner user id."""
    from assessments.models import Assessment, FrameworkVersion, Process, ProcessScore
    from assessments.models.assessment import CriterionAnswer
    from assessments.scoring import Status

    framework = FrameworkVersion.objects.shipped()
    keys = [c.key for c in framework.definition.criteria if c.area == "manufacturing"]
    assessments = Assessment.objects.bulk_create(
        Assessment(organization_id=org, title="Scale-out", framework=framework, created_by_id=user)
        for org, user in owners.items()
    )
    by_org = {a.organization_id: a for a in assessments}
    processes = list(
        Process.objects.filter(organization__in=owners).values_list("pk", "organization_id")
    )
    scores = ProcessScore.objects.bulk_create(
        ProcessScore(assessment=by_org[org], process_id=pk, target_level=4) for pk, org in processes
    )
    CriterionAnswer.objects.bulk_create(
        (
            CriterionAnswer(
                process_score=score,
                criterion_key=key,
                assessor_id=owners[score.assessment.organization_id],
                status=Status.FULLY,
            )
            for score in scores
            for key in keys
        ),
        batch_size=5000,
    )
    return len(scores)


def drift_arm(now) -> int:
    """Every scored process last seen at verified level 4: the next drift round of any
    evaluator sees a drop (its verified level is lower) and one of them must claim it."""
    from assessments.models import ProcessScore, VerifiedLevelSeen

    scores = list(ProcessScore.objects.values_list("pk", flat=True))
    VerifiedLevelSeen.objects.filter(process_score__in=scores).update(level=4, changed=now)
    have = set(VerifiedLevelSeen.objects.values_list("process_score_id", flat=True))
    VerifiedLevelSeen.objects.bulk_create(
        VerifiedLevelSeen(process_score_id=pk, level=4, changed=now)
        for pk in scores
        if pk not in have
    )
    return len(scores)


def health_arm(down: list[str], up: list[str], now) -> None:
    """`down`: last status up, nothing for 10 minutes (their next health run records "down");
    `up`: last status down, a value just now (the next run records the recovery)."""
    from datetime import timedelta

    from integration.models import Integration

    before = now - timedelta(minutes=20)
    Integration.objects.filter(pk__in=down).update(
        last_seen=now - timedelta(minutes=10), last_status="up", last_status_at=before
    )
    Integration.objects.filter(pk__in=up).update(
        last_seen=now, last_status="down", last_status_at=before
    )


# --- What was recorded ------------------------------------------------------------------------


def chain_breaks(rows) -> int:
    """Of (key, before, after) in time order: events whose `before` is not the `after` of the
    key's previous one, i.e. a transition recorded twice (or from a stale read)."""
    last, breaks = {}, 0
    for key, before, after in rows:
        if key in last and last[key] != before:
            breaks += 1
        last[key] = after
    return breaks


def health_events(since) -> dict:
    """Health events from `since`: count per transition, chain breaks over every one, and
    emails the events say were sent (their notes)."""
    from integration.models import HealthEvent

    rows = list(
        HealthEvent.objects.filter(at__gte=since)
        .order_by("at", "pk")
        .values_list("integration_id", "previous", "status", "note")
    )
    everything = HealthEvent.objects.order_by("at", "pk").values_list(
        "integration_id", "previous", "status"
    )
    by_status = defaultdict(int)
    emailed = 0
    for _, previous, status, note in rows:
        by_status[f"{previous} → {status}"] += 1
        if note.startswith("Emailed "):
            emailed += int(note.split()[1])
    return {
        "events": len(rows),
        "by_status": dict(by_status),
        "breaks": chain_breaks(everything),
        "noted_emails": emailed,
    }


def drift_events(since, arms) -> dict:
    """Drift audit events from `since`: count per action, and chain breaks: per process score
    and arming (`arms`, the times `drift_arm` ran, while no evaluator ran), the first change
    must start from level 4 and each next one from where the last one ended."""
    from audit.models import AuditEvent

    rows = AuditEvent.objects.filter(area="checks", action__startswith="verified level")
    by_action = defaultdict(int)
    for action in rows.filter(at__gte=since).values_list("action", flat=True):
        by_action[action] += 1
    last, breaks = {}, 0
    for subject, at, before, after in rows.order_by("at", "pk").values_list(
        "subject_id", "at", "before", "after"
    ):
        key = (subject, sum(1 for arm in arms if arm <= at))
        if last.get(key, 4) != before.get("verified"):
            breaks += 1
        last[key] = after.get("verified")
    return {"events": sum(by_action.values()), "by_action": dict(by_action), "breaks": breaks}


def emails_in(paths) -> dict:
    """Messages the console email backend wrote to these logs, by subject kind."""
    kinds = defaultdict(int)
    for path in paths:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Subject: "):
                subject = line.lower()
                kind = (
                    "verified dropped"
                    if "dropped" in subject
                    else "verified recovered"
                    if "back up" in subject
                    else "down"
                    if " down" in subject
                    else "recovered"
                )
                kinds[kind] += 1
    return dict(kinds)


def claims_in(paths) -> dict:
    """Per process log: the health changes and drift changes it says it recorded (its share of
    the race)."""
    found = {}
    for path in paths:
        text = path.read_text(errors="replace") if path.exists() else ""
        health = sum(map(int, re.findall(r"(\d+) status changes? recorded", text)))
        drift = sum(map(int, re.findall(r"(\d+) verified level changes?", text)))
        if health or drift:
            found[path.stem] = health or drift
    return found
