"""telemetry_health --loop: passes on a fixed cadence, and a silent integration recorded down
within its interval + grace + 60 s, with the clock under the test's control."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from integration.management.commands import telemetry_health
from integration.management.commands.telemetry_health import LOOP_SECONDS, next_slot
from integration.models import HealthEvent, Integration, ServiceHeartbeat
from integration.mqtt import brokerauth
from integration.services import health as health_service
from tests.integration.conftest import NOW

TARGET = timedelta(seconds=60 + 60 + 60)  # interval + grace + 60 s (issue 19)


@pytest.mark.parametrize(
    "slot,elapsed,expected",
    [
        (0, 0.0, 1),  # a pass that took no time: the next slot
        (0, 29.9, 1),
        (3, 95.0, 4),  # slot 3 started at 90 s, took 5 s
        (1, 30.0, 2),  # a pass can never run twice in one slot
        (1, 60.0, 2),  # ended exactly at the next start: begins at once
        (1, 60.1, 3),  # overran the next start: skipped, no back-to-back pass
        (1, 200.0, 7),  # overran several: the first start still ahead
    ],
)
def test_the_next_pass_is_on_the_grid_and_never_in_a_slot_already_begun(slot, elapsed, expected):
    assert next_slot(slot=slot, elapsed=elapsed, every=30) == expected


class Clock:
    """monotonic() and the wall clock (time-machine), moved together by the test only."""

    def __init__(self, time_machine):
        self.machine, self.now = time_machine, 1000.0

    def monotonic(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds
        self.machine.shift(timedelta(seconds=seconds))


@pytest.fixture
def loop(monkeypatch, time_machine):
    """Run `telemetry_health --loop` on a fake clock until `until` s; each pass takes the
    seconds `took(n)` says; returns (pass start times, waits) in seconds from the start."""
    time_machine.move_to(NOW, tick=False)
    clock = Clock(time_machine)
    monkeypatch.setattr(telemetry_health, "monotonic", clock.monotonic)

    def run(until, took=lambda n: 0.0):
        starts, waits, real = [], [], health_service.health_check_run

        def timed_run(**kwargs):
            starts.append(clock.now - 1000.0)
            result = real(**kwargs)
            clock.advance(took(len(starts) - 1))
            return result

        class FakeEvent(threading.Event):
            def wait(self, timeout=None):
                waits.append(timeout)
                clock.advance(timeout)
                if clock.now - 1000.0 >= until:
                    self.set()
                return self.is_set()

        monkeypatch.setattr(telemetry_health, "health_check_run", timed_run)
        monkeypatch.setattr(telemetry_health.threading, "Event", FakeEvent)
        call_command("telemetry_health", "--loop", stdout=StringIO())
        return starts, waits

    return run


@pytest.mark.django_db(transaction=True)  # the loop closes old connections between passes
def test_passes_start_every_30_s_whatever_they_take_and_an_overrun_skips_a_start(loop):
    took = {0: 5.0, 1: 40.0, 2: 0.5, 3: 70.0}
    starts, waits = loop(until=250, took=lambda n: took.get(n, 1.0))
    # A pass of 40 s from 30 s runs past 60 s: the next starts at 90 s, not at once at 70 s.
    assert starts == [0, 30, 90, 120, 210, 240]
    assert waits[:5] == [25, 20, 29.5, 20, 29]
    assert all(wait > 0 for wait in waits)  # never a busy loop
    beat = ServiceHeartbeat.objects.get(name=ServiceHeartbeat.HEALTH)
    assert beat.interval == LOOP_SECONDS  # the operations page's stale rule: 3 × 30 s


@pytest.mark.django_db(transaction=True)
def test_the_loop_syncs_the_broker_at_most_once_a_minute(loop, monkeypatch):
    synced = []
    monkeypatch.setattr(brokerauth, "configured", lambda: True)
    monkeypatch.setattr(
        brokerauth, "broker_sync", lambda: synced.append(telemetry_health.monotonic() - 1000)
    )
    starts, _ = loop(until=200, took=lambda n: 40.0 if n == 1 else 1.0)
    assert starts == [0, 30, 90, 120, 150, 180]
    assert synced == [0, 90, 150]
    row = ServiceHeartbeat.objects.get(name=ServiceHeartbeat.BROKER_SYNC)
    assert row.interval == 60


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("phase", [0.5, 10.0, 29.5, 30.5, 61.0])
def test_a_silent_integration_is_recorded_down_within_interval_grace_and_60_s(loop, org, phase):
    # Its last value makes it down `phase` s after the first pass started: the worst case
    # is just after a pass, which then waits for the next one.
    last = NOW - timedelta(seconds=120) + timedelta(seconds=phase)
    silent = Integration.objects.create(
        organization=org,
        name="Press 4",
        interval_seconds=60,
        grace_seconds=60,
        created=NOW - timedelta(hours=1),
        last_seen=last,
    )
    loop(until=phase + 120, took=lambda n: 5.0)  # passes of 5 s, as at 10,000 on a busy box
    down = HealthEvent.objects.get(integration=silent, status="down")
    assert down.at - last <= timedelta(seconds=120 + LOOP_SECONDS)
    assert down.at - last <= TARGET
