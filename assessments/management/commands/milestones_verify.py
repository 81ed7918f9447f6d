"""Check every milestone's acceptance criteria against telemetry: run it every few minutes
from cron. Several may run at once: each check only rewrites its criterion's last verdict."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from assessments.roadmaps.acceptance import criteria_verify


class Command(BaseCommand):
    help = (
        "Check the acceptance criteria of every milestone on a roadmap against the telemetry "
        "of their integrations and keep each verdict. Run it every few minutes."
    )

    def handle(self, *args, **options):
        run = criteria_verify(now=timezone.now())
        self.stdout.write(
            f"{run.checked} acceptance criteri{'on' if run.checked == 1 else 'a'} checked: "
            f"{run.passed} met, {run.failed} not met"
            + (f", {run.errors} could not be checked (see the log)" if run.errors else "")
            + "."
        )
