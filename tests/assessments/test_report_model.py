"""A report's states: queued -> running -> ready or failed, never back, one worker at a time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import IllegalTransition, Report
from assessments.reports.render import report_render
from tests.assessments.conftest import make_assessment, make_process


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def report(org, framework, owner):
    assessment = make_assessment(org, framework, [make_process(org)])
    return Report.objects.create(organization=org, assessment=assessment, requested_by=owner)


def test_a_new_report_is_queued(report):
    assert (report.state, report.progress, report.is_done, report.is_ready) == (
        "queued",
        0,
        False,
        False,
    )


def test_only_one_worker_claims_a_report(report):
    other = Report.objects.get(pk=report.pk)
    assert report.claim() is True
    assert other.claim() is False
    assert Report.objects.get(pk=report.pk).state == "running"


def test_complete_sets_the_file_and_the_state_in_one_step(report):
    report.claim()
    assert report.complete(file_name="reports/a.pdf", size=10, pages=2, figures={"x": 1})
    stored = Report.objects.get(pk=report.pk)
    assert (stored.state, stored.file.name, stored.pages, stored.progress) == (
        "ready",
        "reports/a.pdf",
        2,
        100,
    )
    assert stored.is_ready


def test_a_report_not_running_cannot_complete_or_advance(report):
    with pytest.raises(IllegalTransition):
        report.complete(file_name="x.pdf", size=1, pages=1, figures={})
    with pytest.raises(IllegalTransition):
        report.advance(50, "half")


def test_a_finished_report_never_changes_state(report):
    report.claim()
    report.fail("broken")
    with pytest.raises(IllegalTransition):
        report.fail("again")
    assert report.claim() is False
    assert Report.objects.get(pk=report.pk).error == "broken"


def test_a_report_given_up_while_rendering_keeps_no_file(report, media):
    """The worker finishes after the report was marked failed: its file is removed."""
    original = Report.complete

    def late(self, **kwargs):
        Report.objects.filter(pk=self.pk).update(state="failed", error="given up")
        return original(self, **kwargs)

    Report.complete = late
    try:
        report_render(report=report)
    finally:
        Report.complete = original
    report.refresh_from_db()
    assert report.state == "failed" and not report.file
    assert not list(media.rglob("*.pdf"))


def test_a_running_report_goes_stale(report):
    now = timezone.now()
    report.claim(now=now)
    assert report.give_up_if_stale(now=now + timedelta(minutes=5)) is False
    assert report.give_up_if_stale(now=now + Report.STALE_AFTER + timedelta(seconds=1)) is True
    assert Report.objects.get(pk=report.pk).state == "failed"


def test_render_skips_a_report_someone_else_has(report):
    Report.objects.filter(pk=report.pk).update(state="running")
    report_render(report=report)
    assert Report.objects.get(pk=report.pk).state == "running"
