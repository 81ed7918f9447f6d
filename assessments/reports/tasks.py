"""Background work for reports: thin wrappers over the services, run by `manage.py db_worker`."""

from django_tasks import task

from assessments.models import Report
from assessments.reports.render import report_render


@task()
def report_build(report_id: int) -> str:
    """Build one queued report; returns the state it ended in."""
    report = Report.objects.select_related(
        "organization",
        "assessment__framework",
        "assessment__site",
        "compared_to__framework",
        "requested_by",
    ).get(pk=report_id)
    return report_render(report=report).state
