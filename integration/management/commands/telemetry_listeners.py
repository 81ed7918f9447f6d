"""List the MQTT listener ids the broker may hold sessions for; fail when one is stale."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integration.models import MqttListener


class Command(BaseCommand):
    help = (
        "List the MQTT listener client ids with their state (running, stopped, stale, retired) "
        "from their heartbeats. Exits 1 when an id is stale: not retired and not seen for "
        "--minutes, so the broker keeps queueing a share of the telemetry for it. Retire such "
        "an id with `telemetry_listen --retire-id ID`, or start it again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--minutes",
            type=float,
            default=MqttListener.STALE_AFTER.total_seconds() / 60,
            help="an id not seen for this long is stale (default: %(default)s)",
        )
        parser.add_argument(
            "--all", dest="show_all", action="store_true", help="list retired ids too"
        )

    def handle(self, *args, minutes, show_all, **options):
        if minutes <= 0:
            raise CommandError("--minutes must be positive")
        now = timezone.now()
        stale_after = timedelta(minutes=minutes)
        stale = []
        for listener in MqttListener.objects.all():
            state = listener.state(now=now, stale_after=stale_after)
            if state == MqttListener.RETIRED and not show_all:
                continue
            if state == MqttListener.STALE:
                stale.append(listener.client_id)
            seen = f"{listener.last_seen:%Y-%m-%d %H:%M:%S}" if listener.last_seen else "never"
            self.stdout.write(
                f"{state:8} {listener.client_id}  group {listener.group}, last seen {seen}"
            )
        if stale:
            raise CommandError(
                f"{len(stale)} stale listener session(s): the broker keeps queueing telemetry "
                "for them. Start each again, or retire it: "
                + "; ".join(f"manage.py telemetry_listen --retire-id {id}" for id in stale)
            )
        self.stdout.write("No stale listener sessions.")
