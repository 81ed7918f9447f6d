"""Asking for a report and building it in the background: `report_request` queues the
`report_build` task once the transaction commits; `manage.py db_worker` runs it, which calls the
service `reports.render.report_render`."""

import logging

from django.db import transaction
from django_tasks import task

from assessments.models import Assessment, Report
from assessments.reports.render import report_render

log = logging.getLogger(__name__)


class ReportRefused(ValueError):
    """A report that cannot be asked for as it was (e.g. assessments of two organisations)."""


@task()
def report_build(report_id: int) -> str:
    """Build one queued report; returns the state it ended in. Reports lost by a stopped
    worker are recorded as failed first."""
    Report.give_up_stale()
    report = Report.objects.select_related(
        "organization",
        "assessment__framework",
        "assessment__site",
        "compared_to__framework",
        "requested_by",
    ).get(pk=report_id)
    return report_render(report=report).state


def report_request(
    *,
    organization,
    user,
    assessment: Assessment,
    compared_to: Assessment | None = None,
    archival: bool = False,
    board: bool = False,
    appendix: bool = True,
) -> Report:
    """Queue a report of `assessment` (compared with `compared_to` when given, or its two-page
    board pack when `board`); the worker builds it once the transaction commits."""
    if assessment.organization_id != organization.pk or (
        compared_to is not None and compared_to.organization_id != organization.pk
    ):
        raise ReportRefused("Reports cover assessments of one organisation.")
    if compared_to is not None and compared_to.pk == assessment.pk:
        raise ReportRefused("Choose two different assessments to compare.")
    if board and compared_to is not None:
        raise ReportRefused("A board pack covers one assessment.")
    kind = Report.Kind.BOARD if board else Report.Kind.ASSESSMENT
    with transaction.atomic():
        Report.give_up_stale(organization=organization)
        report = Report.objects.create(
            organization=organization,
            kind=Report.Kind.COMPARISON if compared_to else kind,
            assessment=assessment,
            compared_to=compared_to,
            archival=archival,
            appendix=appendix,
            requested_by=user,
        )
        transaction.on_commit(lambda: _enqueue(report, report_build))
    return report


def _enqueue(report: Report, task) -> None:
    try:
        task.enqueue(report_id=report.pk)
    except Exception as error:  # the queue is down: say so on the page rather than wait forever
        log.exception("queueing report %s failed", report.pk)
        report.refresh_from_db()
        if not report.is_done:
            report.fail(f"The report could not be queued ({type(error).__name__}). Ask again.")
