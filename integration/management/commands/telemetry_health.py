"""Record integrations' status changes and email owners: --loop, or every minute from cron.

An integration is down once its last value is older than its interval + grace
(`integration.health.status`); the first pass after that records the "down" event, stamped with
the time the pass took as its `now`. The loop starts a pass every LOOP_SECONDS (30 s) counted
from the first pass's start (`next_slot`), whatever each pass took, so a silent device is
recorded down at most interval + grace + 30 s after its last value (the target is + 60 s),
and emailed once the pass reaches it. A pass that runs past its successor's start skips the
starts it missed instead of running back to back. From cron every minute the bound is
interval + grace + 60 s and one run's time.

Safe to run in several processes at once: each transition is claimed by one of them
(see `integration.services.health`). With MQTT_ADMIN_URL set, a run first syncs the broker's
integration accounts (`integration.mqtt.brokerauth`), the loop at most once a minute
(BROKER_SYNC_SECONDS): this keeps the broker within a minute of Ladder, with no service of its
own.
"""

import logging
import math
import signal
import threading
from time import monotonic

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from integration.models import ServiceHeartbeat
from integration.models.heartbeat import instance_name
from integration.mqtt import brokerauth
from integration.services.health import health_check_run
from integration.services.heartbeat import heartbeat_cycle, heartbeat_started, heartbeat_stopped

LOOP_SECONDS = 30
CRON_SECONDS = 60  # a run from cron: once a minute, what its heartbeat promises
BROKER_SYNC_SECONDS = 60
log = logging.getLogger(__name__)


def next_slot(*, slot: int, elapsed: float, every: float) -> int:
    """The slot of the next pass, the pass of slot n starting n × `every` s after the first:
    the slot after `slot`, or the first not yet begun when the pass of `slot` ran past it
    (`elapsed`: seconds since the first pass started). Always later than `slot`, so the loop
    never runs a pass twice in one slot."""
    return max(slot + 1, math.ceil(elapsed / every))


class Command(BaseCommand):
    help = (
        "Compute every integration's status, record each change as an event and email the "
        "owners when one goes down or recovers. Run it every minute, or once with --loop. "
        "With MQTT_ADMIN_URL set, also sync the broker's integration accounts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            action="store_true",
            help=f"run forever, a pass every {LOOP_SECONDS} s, until SIGTERM or SIGINT",
        )

    def handle(self, *args, loop=False, **options):
        # The operations page reads each run's heartbeat (ServiceHeartbeat, one row a process).
        self.instance = instance_name(loop=loop)
        if not loop:
            self.check_once(interval=CRON_SECONDS)
            return
        heartbeat_started(
            name=ServiceHeartbeat.HEALTH, instance=self.instance, interval=LOOP_SECONDS
        )
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        origin, slot, synced = monotonic(), 0, None
        while not stop.is_set():
            close_old_connections()
            sync = synced is None or (slot - synced) * LOOP_SECONDS >= BROKER_SYNC_SECONDS
            synced = slot if sync else synced
            try:
                self.check_once(interval=LOOP_SECONDS, sync=sync)
            except Exception:  # e.g. the database restarting: try again next pass
                log.exception("telemetry_health: this pass failed; next in %s s", LOOP_SECONDS)
            slot = next_slot(slot=slot, elapsed=monotonic() - origin, every=LOOP_SECONDS)
            stop.wait(max(0.0, origin + slot * LOOP_SECONDS - monotonic()))
        heartbeat_stopped(name=ServiceHeartbeat.HEALTH, instance=self.instance)
        self.stdout.write("Stopped.")

    def check_once(self, *, interval: int, sync: bool = True):
        if sync:
            self.sync_broker()  # first: a failing health run must not hold up revocations
        with heartbeat_cycle(
            name=ServiceHeartbeat.HEALTH, instance=self.instance, interval=interval
        ):
            self.record_changes()

    def record_changes(self):
        now = timezone.now()
        run = health_check_run(now=now)
        for event in run.events:
            self.stdout.write(
                f"{event.at:%Y-%m-%d %H:%M:%S} {event.integration.organization.slug}/"
                f"{event.integration.name}: {event.previous} -> {event.status}"
                + (f" ({event.note})" if event.note else "")
            )
        self.stdout.write(
            f"{run.checked} integration{'s' if run.checked != 1 else ''} checked, "
            f"{len(run.events)} status change{'s' if len(run.events) != 1 else ''} recorded."
        )

    def sync_broker(self):
        """With MQTT_ADMIN_URL set, the broker's accounts follow Ladder's (docs/MQTT.md)."""
        if not brokerauth.configured():
            return
        try:
            with heartbeat_cycle(
                name=ServiceHeartbeat.BROKER_SYNC,
                instance=self.instance,
                interval=BROKER_SYNC_SECONDS,
            ):
                self.stdout.write(f"MQTT broker: {brokerauth.broker_sync()}")
        except brokerauth.BrokerAuthError as error:
            log.warning("telemetry_health: MQTT broker not synced: %s", error)
