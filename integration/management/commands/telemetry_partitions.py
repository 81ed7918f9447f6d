"""Daily maintenance of raw telemetry: upcoming partitions, expired points, old minute rollups.

Run it once a day or more often (cron, a systemd timer); runs are safe to repeat and to overlap.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from integration.services import telemetry_retention_apply


class Command(BaseCommand):
    help = (
        "Create the coming days' partitions of the points table (PostgreSQL) and drop raw points "
        "older than TELEMETRY_RETENTION_DAYS."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--ahead",
            type=int,
            default=None,
            help="days of partitions to create ahead (default TELEMETRY_PARTITION_AHEAD_DAYS)",
        )
        parser.add_argument(
            "--retention",
            type=int,
            default=None,
            help="days of raw points to keep (default TELEMETRY_RETENTION_DAYS)",
        )

    def handle(self, *args, ahead, retention, **options):
        report = telemetry_retention_apply(
            now=timezone.now(),
            ahead_days=ahead,
            retention_days=retention,
        )
        self.stdout.write(
            f"created {len(report.created)} partitions, dropped {len(report.dropped)}, "
            f"moved {report.moved} points out of the default partition, "
            f"deleted {report.deleted} expired points, {report.rollups_deleted} minute rollups, "
            f"{report.seen_hours_deleted} hours of seen minutes "
            f"and {report.counts_deleted} hourly MQTT counts"
        )
        for name in report.created:
            self.stdout.write(f"  created {name}")
        for name in report.dropped:
            self.stdout.write(f"  dropped {name}")
