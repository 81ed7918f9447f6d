"""Check every milestone's acceptance criteria against telemetry, and freeze the outcome
baselines now due: run it every few minutes from cron. Several may run at once: each check only
rewrites its criterion's last verdict, and a baseline is claimed by one of them."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from assessments.models import Milestone
from assessments.roadmaps.acceptance import criteria_verify
from assessments.roadmaps.outcomes import baselines_freeze


class Command(BaseCommand):
    help = (
        "Check the acceptance criteria of every milestone on a roadmap against the telemetry "
        "of their integrations and keep each verdict. Run it every few minutes."
    )

    def handle(self, *args, **options):
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
