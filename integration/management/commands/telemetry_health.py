"""Record integrations' status changes and email owners: run every minute from cron, or --loop.

Safe to run in several processes at once: each transition is claimed by one of them
(see `integration.services.health`). With MQTT_ADMIN_URL set, each run then syncs the
broker's integration accounts (`integration.mqtt.brokerauth`): the every-minute run it needs
anyway keeps the broker within a minute of Ladder, with no service of its own.
"""

import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from integration.models import ServiceHeartbeat
from integration.models.heartbeat import instance_name
from integration.mqtt import brokerauth
from integration.services.health import health_check_run
from integration.services.heartbeat import heartbeat_cycle, heartbeat_started, heartbeat_stopped

LOOP_SECONDS = 60
log = logging.getLogger(__name__)


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
            help=f"run forever, every {LOOP_SECONDS} s, until SIGTERM or SIGINT",
        )

    def handle(self, *args, loop=False, **options):
        # The operations page reads each run's heartbeat (ServiceHeartbeat, one row a process).
        self.instance = instance_name(loop=loop)
        if not loop:
            self.check_once()
            return
        heartbeat_started(
            name=ServiceHeartbeat.HEALTH, instance=self.instance, interval=LOOP_SECONDS
        )
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.is_set():
            close_old_connections()
            try:
                self.check_once()
            except Exception:  # e.g. the database restarting: try again next minute
                log.exception("telemetry_health: this run failed; next one in %s s", LOOP_SECONDS)
            stop.wait(LOOP_SECONDS)
        heartbeat_stopped(name=ServiceHeartbeat.HEALTH, instance=self.instance)
        self.stdout.write("Stopped.")

    def check_once(self):
        self.sync_broker()  # first: a failing health run must not hold up revocations
        with heartbeat_cycle(
            name=ServiceHeartbeat.HEALTH, instance=self.instance, interval=LOOP_SECONDS
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
                name=ServiceHeartbeat.BROKER_SYNC, instance=self.instance, interval=LOOP_SECONDS
            ):
                self.stdout.write(f"MQTT broker: {brokerauth.broker_sync()}")
        except brokerauth.BrokerAuthError as error:
            log.warning("telemetry_health: MQTT broker not synced: %s", error)
