"""Fill in the minutes uptime counts (`SeenMinutes`) from the minute rollups.

Ingest writes them itself; this is for minutes written without them: by processes still
running the code from before the table (between `migrate` and their restart on the upgrade
that adds it, integration migration 0017). Adds minutes, never removes any: safe to run while
telemetry arrives, and to repeat. One integration at a time, each committed on its own, so
ingest waits for at most one integration's fill.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integration.models import Integration
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
        count = 0
        for integration in Integration.objects.order_by("pk").only("pk").iterator():
            seen_minutes_fill(integration=integration, since=since)
            count += 1
        self.stdout.write(
            f"seen minutes of {count} integrations filled in from the minute rollups"
            + ("" if hours is None else f" of the last {hours} hours")
        )
