"""The operations page: each background component's instances, heartbeats, backlog and errors.

Read in a fixed number of queries (`operations_snapshot`), judged by the rules below:
- A loop with a `ServiceHeartbeat` row (the health loop, the evaluator, the broker sync, and
  milestones_verify, a cron run every 5 minutes with one row per host) is *stale* once no cycle
  finished in three of its intervals (30 s for the health loop's passes, 60 s for a cron run
  of it and for the broker sync, `--every` for the evaluator, 300 s by default, 300 s for
  milestones_verify); *stopped* when it stopped on purpose. Rows not heard from for a week are
  pruned when an instance starts.
- An MQTT listener beats every 30 s: *running* within 90 s, *late* after that, *stale* after
  5 minutes (the broker keeps queueing its share: start it again or retire it), *stopped*
  when it stopped with its session kept. Retired ids are counted, not listed.
- The Sparkplug host lease is renewed every few seconds: *expired* means no primary host.
- The report workers keep no heartbeat of their own: the task table says what they do. A
  queued task older than 5 minutes means no worker is taking tasks (they poll every second).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Sum
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from assessments.models.verification import CheckBinding, ProcessCheck
from integration.models import (
    MqttCount,
    MqttListener,
    MqttStrayCount,
    ServiceHeartbeat,
    SparkplugLease,
)

OK, WARN, BAD, IDLE = "ok", "warn", "bad", "idle"
DAY = timedelta(hours=24)
WORKER_STALL = timedelta(minutes=5)
CHECKS_DUE_AFTER = timedelta(minutes=10)  # two default evaluator rounds
LOOPS = {
    ServiceHeartbeat.HEALTH: "Health loop (telemetry_health)",
    ServiceHeartbeat.EVALUATOR: "Check evaluator (evaluate_checks)",
    ServiceHeartbeat.BROKER_SYNC: "Broker account sync (telemetry_health, mqtt_broker_sync)",
    ServiceHeartbeat.MILESTONES: "Milestone checks and baselines (milestones_verify)",
}


@dataclass
class Instance:
    name: str
    state: str  # ok, warn, bad, idle
    words: str
    last_beat: datetime | None
    age: str
    backlog: int | None = None
    errors: int = 0
    last_error: str = ""


@dataclass
class Component:
    key: str
    title: str
    state: str
    words: str
    expected: str
    instances: list[Instance] = field(default_factory=list)
    figures: dict[str, int | str] = field(default_factory=dict)
    beat_label: str = "Last heartbeat"
    has_backlog: bool = False  # the instances report a backlog of their own
    has_errors: bool = True  # and errors

    def as_json(self) -> dict:
        data = asdict(self)
        for instance in data["instances"]:
            beat = instance["last_beat"]
            instance["last_beat"] = beat.isoformat() if beat else None
        return data


def age_words(delta: timedelta) -> str:
    """`42 s`, `3 min`, `5 h`, `2 d` ago."""
    seconds = max(int(delta.total_seconds()), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def operations_snapshot(*, now: datetime) -> list[Component]:
    """Every component, in the page's fixed order; 7 queries."""
    beats = list(ServiceHeartbeat.objects.all())
    components = [
        _loop(key, title, [b for b in beats if b.name == key], now=now)
        for key, title in LOOPS.items()
    ]
    components[1].figures["Checks not judged in 10 min"] = _checks_due(now=now)
    components.insert(0, _listeners(now=now))
    components.insert(1, _sparkplug(now=now))
    components.append(_workers(now=now))
    return components


def _loop(key: str, title: str, rows: list[ServiceHeartbeat], *, now: datetime) -> Component:
    instances = []
    for row in rows:
        age = now - row.last_beat
        if row.stopped is not None:
            state, words = IDLE, f"stopped {age_words(now - row.stopped)} ago"
        elif row.is_stale(now=now):
            state, words = BAD, f"stale: no cycle for {age_words(age)}"
        else:
            state, words = OK, "running"
        instances.append(
            Instance(
                name=row.instance,
                state=state,
                words=words,
                last_beat=row.last_beat,
                age=age_words(age),
                errors=row.error_count,
                last_error=row.last_error,
            )
        )
    running = sum(i.state == OK for i in instances)
    stale = sum(i.state == BAD for i in instances)
    errors = sum(i.errors for i in instances)
    if running and stale:
        state, words = WARN, f"{running} running, {stale} stale"
    elif running:
        state, words = OK, f"{running} running"
    elif any(i.state == BAD for i in instances):
        state, words = BAD, "not running: every instance is stale"
    else:
        state, words = IDLE, "not running" if instances else "never ran"
    expected = {
        ServiceHeartbeat.EVALUATOR: "a round every 5 min (--every); stale after 3 missed",
        ServiceHeartbeat.MILESTONES: "a cron run every 5 min; stale after 3 missed",
    }.get(key, "a run every minute (--loop or cron); stale after 3 missed")
    if key == ServiceHeartbeat.BROKER_SYNC and not instances:
        words = "not in use (MQTT_ADMIN_URL unset) or never ran"
    return Component(key, title, state, words, expected, instances, {"Failed cycles": errors})


def _listeners(*, now: datetime) -> Component:
    rows = list(MqttListener.objects.all())
    instances, retired = [], 0
    for row in rows:
        state = row.state(now=now)
        if state == MqttListener.RETIRED:
            retired += 1
            continue
        age = now - row.last_seen if row.last_seen else None
        if state == MqttListener.STALE:
            shown = BAD, "stale: the broker keeps queueing its share; start it or retire it"
        elif state == MqttListener.STOPPED:
            shown = IDLE, "stopped, session kept for a restart"
        elif row.is_alive(now=now) and row.dropped:  # running, losing data: Attention
            shown = (
                WARN,
                f"running; {row.dropped} Sparkplug message(s) dropped since it started "
                "(the database too slow)",
            )
        elif row.is_alive(now=now):
            shown = OK, "running"
        else:
            shown = WARN, "late: no heartbeat for over 90 s"
        instances.append(
            Instance(
                name=row.client_id,
                state=shown[0],
                words=shown[1],
                last_beat=row.last_seen,
                age=age_words(age) if age is not None else "never",
                backlog=row.backlog,
                errors=row.errors,
            )
        )
    since = (now - DAY).replace(minute=0, second=0, microsecond=0)
    refused = [c for c in MqttCount.OUTCOMES if c not in ("messages", "points", "retained")]
    counts = MqttCount.objects.filter(hour__gte=since).aggregate(
        **{c: Sum(c) for c in ["messages", *refused]}
    )
    stray = MqttStrayCount.objects.filter(hour__gte=since).aggregate(
        topic=Sum("unknown_topic"), integration=Sum("unknown_integration")
    )
    running = sum(i.words.startswith("running") for i in instances)
    state = _worst(instances) if instances else IDLE
    words = f"{running} of {len(instances)} running" if instances else "none has run"
    figures = {
        "Messages stored in 24 h": counts["messages"] or 0,
        "Messages refused in 24 h": sum(counts[c] or 0 for c in refused),
        "Messages for no integration in 24 h": (stray["topic"] or 0) + (stray["integration"] or 0),
        "Retired ids": retired,
    }
    expected = "a heartbeat every 30 s; late after 90 s, stale after 5 min"
    return Component(
        "listeners", "MQTT listeners", state, words, expected, instances, figures, has_backlog=True
    )


def _sparkplug(*, now: datetime) -> Component:
    instances = []
    for lease in SparkplugLease.objects.all():
        held = lease.expires >= now
        if held:
            words = f"held by {lease.holder}"
        else:
            words = f"expired {age_words(now - lease.expires)} ago: no primary host"
        instances.append(
            Instance(
                name=lease.host_id,
                state=OK if held else BAD,
                words=words,
                last_beat=lease.expires,
                age=f"last held by {lease.holder}" if not held else "renewed while held",
            )
        )
    state = _worst(instances) if instances else IDLE
    held = sum(i.state == OK for i in instances)
    words = f"{held} of {len(instances)} held" if instances else "no Sparkplug host has run"
    expected = "renewed every few seconds by the listener holding it (SPARKPLUG_HOST_ID)"
    return Component(
        "sparkplug",
        "Sparkplug host lease",
        state,
        words,
        expected,
        instances,
        beat_label="Expires",
        has_errors=False,
    )


def _workers(*, now: datetime) -> Component:
    status = TaskResultStatus
    row = DBTaskResult.objects.aggregate(
        queued=Count("pk", filter=Q(status=status.READY)),
        running=Count("pk", filter=Q(status=status.RUNNING)),
        failed=Count("pk", filter=Q(status=status.FAILED, finished_at__gte=now - DAY)),
        done=Count("pk", filter=Q(status=status.SUCCESSFUL, finished_at__gte=now - DAY)),
        oldest=Min("enqueued_at", filter=Q(status=status.READY, run_after__lte=now)),
        last=Max("finished_at"),
    )
    waited = now - row["oldest"] if row["oldest"] else None
    if waited is not None and waited > WORKER_STALL:
        state, words = BAD, f"stuck: the oldest queued task has waited {age_words(waited)}"
    elif row["running"] or row["queued"]:
        state, words = OK, "working"
    else:
        state, words = IDLE, "idle: nothing queued"
    last = f"{age_words(now - row['last'])} ago" if row["last"] else "never"
    figures = {
        "Queued": row["queued"],
        "Running": row["running"],
        "Failed in 24 h": row["failed"],
        "Finished in 24 h": row["done"],
        "Last task finished": last,
    }
    expected = "no heartbeat: a task queued over 5 min means no worker runs (db_worker)"
    return Component("workers", "Report workers (db_worker)", state, words, expected, [], figures)


def _checks_due(*, now: datetime) -> int:
    bound = Exists(CheckBinding.objects.filter(process_check=OuterRef("pk")))
    cutoff = now - CHECKS_DUE_AFTER
    due = Q(evaluated__isnull=True) | Q(evaluated__lt=cutoff)
    return ProcessCheck.objects.filter(due, bound).count()


def _worst(instances: list[Instance]) -> str:
    states = {i.state for i in instances}
    for state in (BAD, WARN, OK):
        if state in states:
            return state
    return IDLE
