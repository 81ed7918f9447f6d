"""Make the broker's integration accounts match Ladder (MQTT_ADMIN_URL): once, or every N
seconds. `telemetry_health` does the same every minute; see docs/MQTT.md."""

import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from integration.models import ServiceHeartbeat
from integration.models.heartbeat import instance_name
from integration.mqtt import brokerauth
from integration.services.heartbeat import heartbeat_cycle, heartbeat_started, heartbeat_stopped

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Create, enable, disable and delete the broker's integration clients (dynamic security "
        "plugin) so that the broker accepts an integration only while Ladder does."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="run forever, every SECONDS (e.g. 30), until SIGTERM or SIGINT",
        )

    def handle(self, *args, every=None, **options):
        if every is not None and every < 1:
            raise CommandError("--every must be at least 1 second.")
        if not brokerauth.configured():
            raise CommandError("MQTT_ADMIN_URL is not set: Ladder does not drive the broker.")
        if every is None:
            try:
                self.stdout.write(str(brokerauth.broker_sync()))
            except brokerauth.BrokerAuthError as error:
                raise CommandError(f"Not synced: {error}") from None
            return
        name, instance = ServiceHeartbeat.BROKER_SYNC, instance_name(loop=True)
        heartbeat_started(name=name, instance=instance, interval=every)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.is_set():
            close_old_connections()
            try:
                with heartbeat_cycle(name=name, instance=instance, interval=every):
                    self.stdout.write(str(brokerauth.broker_sync()))
            except Exception:  # the broker or the database away: try again next time
                log.exception("mqtt_broker_sync: not synced; next try in %s s", every)
            stop.wait(every)
        heartbeat_stopped(name=name, instance=instance)
        self.stdout.write("Stopped.")
