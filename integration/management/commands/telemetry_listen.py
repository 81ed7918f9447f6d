"""Run the MQTT telemetry listener until SIGTERM or SIGINT (see integration/mqtt/)."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integration.mqtt.decoding import default_client_id
from integration.mqtt.listener import Listener


class Command(BaseCommand):
    help = (
        "Subscribe to ladder/# on MQTT_URL through a shared subscription and store what "
        "arrives on ladder/<integration id>/telemetry (retained messages never). Run one or "
        "more; give each its own --client-id."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--client-id",
            default=None,
            help="stable per listener, so the broker keeps its session while it is down "
            f"(default: {default_client_id()})",
        )
        parser.add_argument(
            "--group", default="ladder", help="shared subscription group (default: ladder)"
        )
        parser.add_argument(
            "--batch-messages",
            type=int,
            default=2000,
            help="most messages per transaction (default: 2000)",
        )
        parser.add_argument(
            "--batch-seconds",
            type=float,
            default=0.2,
            help="longest wait for a batch to fill up (default: 0.2)",
        )
        parser.add_argument(
            "--session-expiry",
            type=int,
            default=86400,
            help="seconds the broker keeps this listener's messages while it is down "
            "(default: 86400)",
        )

    def handle(
        self, *args, client_id, group, batch_messages, batch_seconds, session_expiry, **options
    ):
        if batch_messages < 1 or batch_seconds < 0 or session_expiry < 0:
            raise CommandError("--batch-messages must be positive, the others not negative")
        try:
            listener = Listener(
                url=settings.MQTT_URL,
                client_id=client_id or default_client_id(),
                group=group,
                batch_messages=batch_messages,
                batch_seconds=batch_seconds,
                session_expiry=session_expiry,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None

        def on_signal(signum, frame):
            # A second signal kills the process the usual way.
            signal.signal(signum, signal.SIG_DFL)
            listener.stop()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        listener.run()
