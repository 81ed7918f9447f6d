"""Check every milestone's acceptance criteria against telemetry, and freeze the outcome
baselines now due: run it every 5 minutes from cron. Several may run at once: each check only
rewrites its criterion's last verdict, and a baseline is claimed by one of them. Each run
records its heartbeat (one row per host) for the operations page: stale after 3 missed runs."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from assessments.models import Milestone
from assessments.roadmaps.acceptance import criteria_verify
from assessments.roadmaps.outcomes import baselines_freeze
from integration.models import ServiceHeartbeat
from integration.models.heartbeat import instance_name
from integration.services.heartbeat import heartbeat_cycle

INTERVAL = 300  # seconds: the cron schedule the README gives


class Command(BaseCommand):
    help = (
        "Check the acceptance criteria of every milestone on a roadmap against the telemetry "
        "of their integrations and keep each verdict. Run it every few minutes."
    )

    def handle(self, *args, **options):
        with heartbeat_cycle(
            name=ServiceHeartbeat.MILESTONES, instance=instance_name(loop=False), interval=INTERVAL
        ):
            self.verify()

    def verify(self):
        now = timezone.now()
        run = criteria_verify(now=now)
        self.stdout.write(
            f"{run.checked} acceptance criteri{'on' if run.checked == 1 else 'a'} checked: "
            f"{run.passed} met, {run.failed} not met"
            + (f", {run.errors} could not be checked (see the log)" if run.errors else "")
            + "."
        )
        due = Milestone.objects.active().filter(
            kpi__isnull=False, baseline_frozen=None, start_date__lte=now.date()
        )
        frozen = baselines_freeze(
            milestones=due.select_related("kpi__integration", "kpi__organization"), now=now
        )
        self.stdout.write(f"{frozen} outcome baseline{'' if frozen == 1 else 's'} frozen.")
