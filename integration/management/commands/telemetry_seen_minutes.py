"""Fill in the minutes uptime counts (`SeenMinutes`) from the minute rollups.

Ingest writes them itself; this is for minutes written without them: by processes still
running the code from before the table (between `migrate` and their restart on the upgrade
that adds it, integration migration 0017). Adds minutes, never removes any: safe to run while
telemetry arrives, and to repeat.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integration.services import seen_minutes_fill


class Command(BaseCommand):
    help = "Fill in the minutes uptime counts from the minute rollups of the last --hours hours."

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours", type=int, default=None, help="how far back (default: every minute rollup)"
        )

    def handle(self, *args, hours, **options):
        if hours is not None and hours < 1:
            raise CommandError("--hours: 1 or more")
        since = None if hours is None else timezone.now() - timedelta(hours=hours)
        seen_minutes_fill(since=since)
        self.stdout.write(
            "seen minutes filled in from the minute rollups"
            + ("" if hours is None else f" of the last {hours} hours")
        )
