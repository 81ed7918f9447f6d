"""The report pages: ask for a report, watch its progress (htmx polling that stops), download it;
who may do what; failures said on the page with nothing offered."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Report
from assessments.models.report import WORKER_STOPPED
from assessments.reports import render
from tests.assessments.conftest import make_assessment, make_process
from tests.conftest import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def assessment(org, framework):
    return make_assessment(org, framework, [make_process(org)])


def list_url(org):
    return reverse("assessments:report-list", args=[org.slug])


def detail_url(report):
    return reverse("assessments:report-detail", args=[report.organization.slug, report.pk])


def download_url(report):
    return reverse("assessments:report-download", args=[report.organization.slug, report.pk])


def queued(assessment, user, **extra) -> Report:
    return Report.objects.create(
        organization=assessment.organization, assessment=assessment, requested_by=user, **extra
    )


def ask(client, org, data, capture):
    with capture(execute=True):
        return client.post(list_url(org), data)


# --- Asking for a report ----------------------------------------------------------------------


def test_a_member_asks_for_a_report_and_it_is_built(
    member, assessment, org, django_capture_on_commit_callbacks
):
    response = ask(
        client_for(member), org, {"assessment": assessment.pk}, django_capture_on_commit_callbacks
    )
    report = Report.objects.get()
    assert response.status_code == 302 and response.url == detail_url(report)
    assert (report.state, report.kind, report.requested_by) == ("ready", "assessment", member)
    assert report.progress == 100 and report.pages > 3
    assert Path(report.file.path).read_bytes().startswith(b"%PDF-")


def test_the_task_runs_only_once_the_transaction_commits(member, assessment, org):
    # Without the commit callbacks running, the report stays queued: nothing half-done.
    client_for(member).post(list_url(org), {"assessment": assessment.pk})
    assert Report.objects.get().state == Report.State.QUEUED


def test_a_comparison_puts_the_earlier_assessment_first(
    owner, org, framework, django_capture_on_commit_callbacks
):
    process = make_process(org)
    old = make_assessment(org, framework, [process], title="Old", assessed_on="2026-01-01")
    new = make_assessment(org, framework, [process], title="New", assessed_on="2026-06-01")
    data = {"assessment": old.pk, "compared_to": new.pk, "archival": "on"}
    ask(client_for(owner), org, data, django_capture_on_commit_callbacks)
    report = Report.objects.get()
    assert (report.kind, report.assessment, report.compared_to) == ("comparison", new, old)
    assert report.archival and report.state == "ready"


def test_the_same_assessment_twice_is_refused(owner, assessment, org):
    data = {"assessment": assessment.pk, "compared_to": assessment.pk}
    response = client_for(owner).post(list_url(org), data)
    assert response.status_code == 400
    assert "Choose a different assessment" in response.content.decode()
    assert not Report.objects.exists()


def test_another_organisations_assessment_cannot_be_chosen(owner, org, other_org, framework):
    theirs = make_assessment(other_org, framework, [make_process(other_org)])
    response = client_for(owner).post(list_url(org), {"assessment": theirs.pk})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_a_viewer_reads_but_cannot_ask(viewer, assessment, org):
    client = client_for(viewer)
    page = client.get(list_url(org))
    assert page.status_code == 200 and "New report" not in page.content.decode()
    assert client.post(list_url(org), {"assessment": assessment.pk}).status_code == 403
    assert not Report.objects.exists()


def test_the_list_shows_each_report_with_its_state(
    owner, assessment, org, django_assert_num_queries
):
    ready = queued(assessment, owner, state="ready", file="reports/x.pdf")
    queued(assessment, owner, state="failed", error="boom")
    client = client_for(owner)
    client.get(list_url(org))
    # session, user, memberships (2), reports, the form's choices (3), attestations; the
    # same however many reports there are
    for _ in range(5):
        queued(assessment, owner)
    with django_assert_num_queries(9):
        page = client.get(list_url(org)).content.decode()
    assert page.count("report-ready") == 1 and page.count("report-failed") == 1
    assert download_url(ready) in page


# --- Progress ---------------------------------------------------------------------------------


def test_a_queued_report_polls(member, assessment):
    report = queued(assessment, member)
    response = client_for(member).get(detail_url(report), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in body and "Waiting for the report worker" in body
    assert "<html" not in body  # the fragment only


def test_a_queued_report_waiting_long_says_what_the_user_can_do(member, assessment):
    report = queued(assessment, member, created=timezone.now() - timedelta(minutes=2))
    body = client_for(member).get(detail_url(report)).content.decode()
    assert "taking longer than usual" in body
    assert "You can leave this page" in body
    assert "manage.py" not in body and "db_worker" not in body


def test_a_running_report_shows_its_step_and_progress(member, assessment):
    report = queued(assessment, member)
    report.claim()
    report.advance(60, "Typesetting the PDF")
    body = client_for(member).get(detail_url(report), **HTMX).content.decode()
    assert "Typesetting the PDF" in body and 'aria-valuenow="60"' in body
    assert "every 1s" in body


def test_a_ready_report_stops_the_polling_and_offers_the_download(
    viewer, member, assessment, org, django_capture_on_commit_callbacks
):
    ask(client_for(member), org, {"assessment": assessment.pk}, django_capture_on_commit_callbacks)
    report = Report.objects.get()
    client = client_for(viewer)
    response = client.get(detail_url(report), **HTMX)
    assert response.status_code == 286  # htmx: stop polling
    body = response.content.decode()
    assert "every 1s" not in body and download_url(report) in body
    download = client.get(download_url(report))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert download["Content-Disposition"].endswith(
        "q4-baseline-" + report.finished.date().isoformat() + '.pdf"'
    )
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_the_full_page_shows_what_the_report_said(
    member, assessment, org, django_capture_on_commit_callbacks
):
    ask(client_for(member), org, {"assessment": assessment.pk}, django_capture_on_commit_callbacks)
    report = Report.objects.get()
    page = client_for(member).get(detail_url(report)).content.decode()
    assert "What the report says" in page
    assert report.figures["headline"]["samr_index"] in page


# --- Failures ---------------------------------------------------------------------------------


def test_a_failing_build_says_so_and_offers_nothing(
    member, assessment, org, media, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(html, *, archival=False):
        raise RuntimeError("the typesetter caught fire")

    monkeypatch.setattr(render, "pdf_from_html", broken)
    ask(client_for(member), org, {"assessment": assessment.pk}, django_capture_on_commit_callbacks)
    report = Report.objects.get()
    assert report.state == Report.State.FAILED and not report.file
    assert "RuntimeError: the typesetter caught fire" in report.error
    client = client_for(member)
    response = client.get(detail_url(report), **HTMX)
    assert response.status_code == 286
    body = response.content.decode()
    assert "the typesetter caught fire" in body and "Download" not in body
    assert client.get(download_url(report)).status_code == 404
    assert not list(Path(media).rglob("*.pdf"))


def test_a_report_lost_by_its_worker_shows_failed_and_the_next_request_records_it(
    member, assessment, org, django_capture_on_commit_callbacks
):
    report = queued(assessment, member)
    report.claim(now=timezone.now() - timedelta(hours=1))
    client = client_for(member)
    body = client.get(detail_url(report), **HTMX).content.decode()
    listing = client.get(list_url(org)).content.decode()
    assert "stopped before the report was finished" in body
    assert "report-failed" in listing and "report-running" not in listing
    report.refresh_from_db()
    assert report.state == Report.State.RUNNING  # showing a page writes nothing

    ask(client, org, {"assessment": assessment.pk}, django_capture_on_commit_callbacks)
    report.refresh_from_db()
    assert (report.state, report.error) == (Report.State.FAILED, WORKER_STOPPED)


def test_each_build_records_the_reports_lost_by_a_stopped_worker(
    member, owner, assessment, org, other_org, django_capture_on_commit_callbacks
):
    lost = queued(make_assessment(other_org, assessment.framework), owner)
    lost.claim(now=timezone.now() - timedelta(hours=1))
    alive = queued(assessment, member)
    alive.claim(now=timezone.now() - timedelta(minutes=1))
    ask(client_for(member), org, {"assessment": assessment.pk}, django_capture_on_commit_callbacks)
    assert Report.objects.get(assessment=assessment, requested_by=member, state="ready")
    assert Report.objects.get(pk=lost.pk).state == Report.State.FAILED
    assert Report.objects.get(pk=alive.pk).state == Report.State.RUNNING


def test_a_queue_that_refuses_the_task_fails_the_report(
    member, assessment, org, monkeypatch, django_capture_on_commit_callbacks
):
    from assessments.reports import tasks

    def refuse(self, *args, **kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(type(tasks.report_build), "enqueue", refuse)
    ask(client_for(member), org, {"assessment": assessment.pk}, django_capture_on_commit_callbacks)
    report = Report.objects.get()
    assert report.state == Report.State.FAILED and "could not be queued" in report.error


# --- Access -----------------------------------------------------------------------------------


def test_an_outsider_cannot_learn_a_report_exists(outsider, owner, assessment, other_org):
    report = queued(assessment, owner, state="ready", file="reports/x.pdf")
    client = client_for(outsider)
    for url in (detail_url(report), download_url(report)):
        assert client.get(url).status_code == 404
        # their own organisation's URL with our report's id: a 404 too
        assert client.get(url.replace("/o/acme/", f"/o/{other_org.slug}/")).status_code == 404


def test_detail_and_download_are_read_only(member, assessment):
    report = queued(assessment, member)
    client = client_for(member)
    assert client.post(detail_url(report)).status_code == 405
    assert client.post(download_url(report)).status_code == 405


def test_a_report_not_ready_has_nothing_to_download(member, assessment):
    report = queued(assessment, member)
    assert client_for(member).get(download_url(report)).status_code == 404


def test_the_nav_links_to_reports(member, org):
    page = client_for(member).get(reverse("org-home", args=[org.slug])).content.decode()
    assert list_url(org) in page


def test_asking_again_for_a_failed_report_keeps_what_it_was(member, assessment, org):
    report = queued(assessment, member, kind=Report.Kind.BOARD, appendix=False, archival=True)
    report.fail("the typesetter caught fire")
    client = client_for(member)
    body = client.get(detail_url(report)).content.decode()
    again = re.search(r'href="([^"]+)">Ask for it again', body).group(1).replace("&amp;", "&")

    form = client.get(again).context["form"]

    assert form["assessment"].value() == str(assessment.pk)
    assert form["kind"].value() == Report.Kind.BOARD
    assert form["appendix"].value() is False and form["archival"].value() is True
