"""Heartbeats of the background loops (`ServiceHeartbeat`): one row per instance rewritten each
cycle, stale after three missed intervals, and written by each loop's one cycle."""

import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from integration.management.commands import telemetry_health
from integration.models import MqttListener, ServiceHeartbeat
from integration.mqtt import brokerauth
from integration.mqtt.ingest import Received
from integration.mqtt.listener import Listener

pytestmark = pytest.mark.django_db
T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def beat(at, **kwargs):
    ServiceHeartbeat.beat(name="health", instance="host-a", interval=60, now=at, **kwargs)


def test_each_cycle_rewrites_the_instances_row_instead_of_adding_one():
    for minute in range(5):
        beat(T + timedelta(minutes=minute))
    row = ServiceHeartbeat.objects.get()
    assert row.last_beat == T + timedelta(minutes=4) and row.started == T


def test_a_failed_cycle_counts_and_keeps_its_error_cut_short():
    beat(T)
    beat(T + timedelta(minutes=1), error="x" * 2000)
    beat(T + timedelta(minutes=2), error="OperationalError: the database restarted")
    row = ServiceHeartbeat.objects.get()
    assert row.error_count == 2
    assert row.last_error == "OperationalError: the database restarted"
    assert row.last_error_at == T + timedelta(minutes=2)
    beat(T + timedelta(minutes=3), error="y" * 2000)
    assert len(ServiceHeartbeat.objects.get().last_error) == 500


def test_an_instance_is_stale_after_three_missed_intervals_unless_it_stopped():
    beat(T)
    row = ServiceHeartbeat.objects.get()
    assert not row.is_stale(now=T + timedelta(seconds=180))
    assert row.is_stale(now=T + timedelta(seconds=181))
    ServiceHeartbeat.note_stopped(name="health", instance="host-a", now=T)
    assert not ServiceHeartbeat.objects.get().is_stale(now=T + timedelta(days=1))


def test_an_instance_starting_prunes_its_loops_rows_not_heard_from_for_a_week():
    ServiceHeartbeat.beat(name="health", instance="gone", interval=60, now=T)
    ServiceHeartbeat.beat(name="evaluator", instance="gone", interval=300, now=T)
    ServiceHeartbeat.beat(name="health", instance="recent", interval=60, now=T + timedelta(days=6))
    ServiceHeartbeat.note_started(
        name="health", instance="new", interval=60, now=T + timedelta(days=7, seconds=1)
    )
    kept = set(ServiceHeartbeat.objects.values_list("name", "instance"))
    assert kept == {("evaluator", "gone"), ("health", "recent"), ("health", "new")}


def test_a_loop_restarted_on_a_host_replaces_that_hosts_dead_instances_only():
    start = ServiceHeartbeat.note_started
    start(name="health", instance="web-1:10", interval=60, now=T)  # killed: goes stale
    start(name="health", instance="web-1:11", interval=60, now=T)  # stopped on purpose
    ServiceHeartbeat.note_stopped(name="health", instance="web-1:11", now=T)
    start(name="health", instance="web-1:12", interval=60, now=T + timedelta(minutes=3))
    start(name="health", instance="web-2:10", interval=60, now=T)  # another host's
    start(name="evaluator", instance="web-1:13", interval=300, now=T)  # another loop's
    start(name="health", instance="web-1:14", interval=60, now=T + timedelta(minutes=4))
    kept = set(ServiceHeartbeat.objects.values_list("name", "instance"))
    assert kept == {
        ("health", "web-1:12"),  # alive: beat a minute ago
        ("health", "web-1:14"),
        ("health", "web-2:10"),
        ("evaluator", "web-1:13"),
    }


def test_a_health_run_records_its_heartbeat_under_the_host_name():
    with time_machine.travel(T, tick=False):
        call_command("telemetry_health", stdout=StringIO())
    row = ServiceHeartbeat.objects.get()
    assert (row.name, row.interval, row.last_beat, row.error_count) == ("health", 60, T, 0)
    assert ":" not in row.instance  # a cron run: one row per host, not per process
    with time_machine.travel(T + timedelta(minutes=1), tick=False):
        call_command("telemetry_health", stdout=StringIO())
    assert ServiceHeartbeat.objects.get().last_beat == T + timedelta(minutes=1)


def test_a_failed_health_run_records_its_error(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("no rollups")

    monkeypatch.setattr(telemetry_health, "health_check_run", broken)
    with pytest.raises(RuntimeError):
        call_command("telemetry_health", stdout=StringIO())
    row = ServiceHeartbeat.objects.get()
    assert row.error_count == 1 and row.last_error == "RuntimeError: no rollups"


def test_the_broker_sync_in_the_health_run_records_its_own_heartbeat(monkeypatch):
    monkeypatch.setattr(brokerauth, "configured", lambda: True)
    monkeypatch.setattr(brokerauth, "broker_sync", lambda: "3 accounts in step")
    call_command("telemetry_health", stdout=StringIO())

    def refused():
        raise brokerauth.BrokerAuthError("not authorised")

    monkeypatch.setattr(brokerauth, "broker_sync", refused)
    call_command("telemetry_health", stdout=StringIO())  # logged, the health run goes on
    sync = ServiceHeartbeat.objects.get(name=ServiceHeartbeat.BROKER_SYNC)
    assert sync.error_count == 1 and "not authorised" in sync.last_error
    health = ServiceHeartbeat.objects.get(name=ServiceHeartbeat.HEALTH)
    assert health.error_count == 0


def test_the_listeners_heartbeat_records_its_backlog_and_errors():
    listener = Listener(url="mqtt://127.0.0.1:1", client_id="ladder-test", group="ladder")
    listener._note("started")
    for mid in range(3):
        listener._queue.put(Received(mid, 1, "ladder/x/telemetry", b"", 1, False))
    listener.counters.database_errors, listener.counters.disconnects = 2, 1
    listener._note("seen")
    row = MqttListener.objects.get(client_id="ladder-test")
    assert (row.backlog, row.errors) == (3, 3)
    listener._note("started")  # a restart starts counting afresh
    assert MqttListener.objects.filter(client_id="ladder-test", backlog=0, errors=0).exists()


def test_the_listeners_heartbeat_counts_its_sparkplug_hosts_backlog_errors_and_drops():
    listener = Listener(
        url="mqtt://127.0.0.1:1", client_id="ladder-test", group="ladder", sparkplug_host_id="h"
    )
    listener._note("started")
    host = listener.sparkplug
    host._queue.put(("spBv1.0/g/NDATA/n", b""))
    host.counters.database_errors, host.counters.overflow = 1, 5
    listener.counters.database_errors = 2
    listener._note("seen")
    row = MqttListener.objects.get(client_id="ladder-test")
    assert (row.backlog, row.errors, row.dropped) == (1, 3, 5)
    listener._note("started")
    assert MqttListener.objects.get(client_id="ladder-test").dropped == 0


def stopped_after(seconds, command, *args):
    """Run a looping command until a SIGTERM `seconds` later; its output."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    out = StringIO()
    try:
        call_command(command, *args, stdout=out)
    finally:
        timer.cancel()
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)  # the loops close old connections between cycles
def test_the_health_loop_beats_under_its_process_id_and_says_when_it_stopped():
    assert stopped_after(1.0, "telemetry_health", "--loop").rstrip().endswith("Stopped.")
    row = ServiceHeartbeat.objects.get()
    assert row.instance.endswith(f":{os.getpid()}") and row.name == ServiceHeartbeat.HEALTH
    assert row.stopped is not None and row.last_beat <= row.stopped


@pytest.mark.django_db(transaction=True)
def test_the_broker_sync_loop_beats_every_cycle_with_its_interval(monkeypatch):
    monkeypatch.setattr(brokerauth, "configured", lambda: True)
    monkeypatch.setattr(brokerauth, "broker_sync", lambda: "in step")
    out = stopped_after(1.5, "mqtt_broker_sync", "--every", "1")
    assert out.count("in step") >= 1
    row = ServiceHeartbeat.objects.get(name=ServiceHeartbeat.BROKER_SYNC)
    assert (row.interval, row.error_count) == (1, 0) and row.stopped is not None
