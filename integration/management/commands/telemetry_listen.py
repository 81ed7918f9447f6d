"""Run the MQTT telemetry listener until SIGTERM or SIGINT, or retire it with SIGUSR1; or
retire the session of a listener that is gone (--retire-id). See docs/MQTT.md."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integration.models import MqttListener
from integration.mqtt.decoding import default_client_id
from integration.mqtt.listener import Listener


class Command(BaseCommand):
    help = (
        "Subscribe to ladder/# on MQTT_URL through a shared subscription and store what "
        "arrives on ladder/<integration id>/telemetry (retained messages never). Run one or "
        "more; give each its own --client-id. SIGTERM stops it and keeps its session for its "
        "next start; SIGUSR1 retires it (leaves the group, drains its session, ends it)."
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
        parser.add_argument(
            "--sparkplug-host-id",
            default=None,
            help="also be the Sparkplug B primary host of this id, one listener at a time "
            "(default: SPARKPLUG_HOST_ID; empty: no Sparkplug)",
        )
        parser.add_argument(
            "--retire-id",
            metavar="CLIENT_ID",
            default=None,
            help="do not listen: resume the session of this listener id (one that is gone for "
            "good), store what the broker queued for it, unsubscribe it and end its session",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="with --retire-id: even if that listener sent a heartbeat in the last "
            f"{MqttListener.ALIVE.seconds} s",
        )
        parser.add_argument(
            "--quiet-seconds",
            type=float,
            default=2.0,
            help="when retiring, the queue is drained once nothing arrived for this long "
            "(default: 2)",
        )

    def handle(
        self,
        *args,
        client_id,
        group,
        batch_messages,
        batch_seconds,
        session_expiry,
        retire_id,
        force,
        quiet_seconds,
        sparkplug_host_id,
        **options,
    ):
        if batch_messages < 1 or batch_seconds < 0 or session_expiry < 0 or quiet_seconds < 0:
            raise CommandError("--batch-messages must be positive, the others not negative")
        if retire_id is not None and client_id is not None:
            raise CommandError("give --retire-id or --client-id, not both")
        try:
            listener = Listener(
                url=settings.MQTT_URL,
                client_id=retire_id or client_id or default_client_id(),
                group=group,
                batch_messages=batch_messages,
                batch_seconds=batch_seconds,
                # A session resumed to be retired must outlive a dropped connection.
                session_expiry=max(session_expiry, 60) if retire_id else session_expiry,
                quiet_seconds=quiet_seconds,
                sparkplug_host_id=(
                    settings.SPARKPLUG_HOST_ID if sparkplug_host_id is None else sparkplug_host_id
                ),
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        if retire_id is not None:
            self.retire(listener, force=force)
            return

        def on_signal(signum, frame):
            # A second signal kills the process the usual way.
            signal.signal(signum, signal.SIG_DFL)
            listener.stop()

        def on_retire(signum, frame):
            signal.signal(signum, signal.SIG_DFL)
            listener.retire()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGUSR1, on_retire)
        listener.run()
        if listener.failed:
            raise CommandError(f"{listener.client_id} stopped: a part of it died (see the log)")
        if listener.retire_requested and not listener.retired:
            raise CommandError(f"{listener.client_id} was not retired (see the log)")

    def retire(self, listener: Listener, *, force: bool) -> None:
        known = MqttListener.objects.filter(client_id=listener.client_id).first()
        if known is not None and known.is_alive(now=timezone.now()) and not force:
            raise CommandError(
                f"{listener.client_id} sent a heartbeat at {known.last_seen:%H:%M:%S}: it looks "
                "like it is running. Retire it with SIGUSR1, or stop it first (or use --force)."
            )
        if not listener.retire_session():
            raise CommandError(
                f"{listener.client_id} was not retired: the broker keeps its session (see the log)"
            )
        self.stdout.write(
            f"Retired {listener.client_id}: {listener.counters.drained} queued message(s) "
            f"drained ({listener.counters.stored} stored), session ended."
        )
