"""The report worker (`manage.py db_worker`) killed with SIGKILL in the middle of a build: the
report is never shown ready or offered half-written; once stale it is shown failed with a way
to ask again, and a worker builds the report asked for again into a complete PDF.

django-tasks-db leaves the task of a killed worker RUNNING and never runs it again, so the
report's own heartbeat is what tells a lost build from a slow one.
"""

import io
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from assessments.models import Assessment, FrameworkVersion, Process, ProcessScore, Report
from assessments.models.report import WORKER_STOPPED
from tests.conftest import client_for
from tests.instances import ROOT, database_env, manage, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


class Worker:
    """A db_worker subprocess on the test database, its output collected as it comes."""

    def __init__(self, env: dict[str, str], *, slow: bool):
        options = ["--interval", "0.1", "--no-startup-delay", "--no-reload"]
        output = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
        if slow:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.faults.slow_worker", *options],
                cwd=ROOT, env=env, start_new_session=True, **output,
            )  # fmt: skip
        else:
            self.process = manage("db_worker", *options, env=env, **output)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_for(lambda: any("Starting worker" in line for line in self.lines), 20, "the worker")

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)


@pytest.fixture
def workers(settings, tmp_path):
    """Starts workers that share the test database and MEDIA_ROOT; stops them at the end."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = DATABASE_TASKS  # queue for real workers, not run in the request
    env = database_env(MEDIA_ROOT=str(settings.MEDIA_ROOT), LOG_LEVEL="INFO")
    env.pop("TASKS_BACKEND", None)  # the settings' default: django_tasks_db
    started = []

    def start(slow: bool = False):
        worker = Worker(env, slow=slow)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def assessment(org):
    framework = FrameworkVersion.objects.shipped()
    assessment = Assessment.objects.create(organization=org, framework=framework, title="Q4")
    process = Process.objects.create(organization=org, name="Press line 3", area="manufacturing")
    ProcessScore.objects.create(assessment=assessment, process=process)
    return assessment


def ask_for_report(client, assessment) -> Report:
    url = reverse("assessments:report-list", args=[assessment.organization.slug])
    response = client.post(url, {"assessment": assessment.pk})
    assert response.status_code == 302
    return Report.objects.latest("pk")


def pdf_files(media) -> list:
    return sorted(media.rglob("*.pdf")) if media.exists() else []


def test_a_report_whose_worker_is_killed_mid_build_fails_and_asking_again_builds_it(
    workers, owner, assessment, settings
):
    client = client_for(owner)
    slug = assessment.organization.slug
    report = ask_for_report(client, assessment)
    detail = reverse("assessments:report-detail", args=[slug, report.pk])
    download = reverse("assessments:report-download", args=[slug, report.pk])

    doomed = workers(slow=True)  # typesetting sleeps first: the kill lands mid-build
    wait_for(
        lambda: Report.objects.get(pk=report.pk).step == "Typesetting the PDF",
        30,
        "the build to reach typesetting",
    )
    doomed.process.kill()  # SIGKILL: no handler runs, nothing is cleaned up
    doomed.process.wait(5)

    report.refresh_from_db()
    assert (report.state, report.progress, report.file.name) == ("running", 60, "")
    assert report.heartbeat is not None
    task = DBTaskResult.objects.get()
    assert task.status == "RUNNING"  # django-tasks-db will not run it again: the report must tell
    page = client.get(detail).content.decode()
    assert "Being built" in page and "Download PDF" not in page
    assert client.get(download).status_code == 404
    assert pdf_files(settings.MEDIA_ROOT) == []

    # A worker started again does not pick the lost task up.
    workers()
    time.sleep(1)  # ten polls of the queue
    report.refresh_from_db()
    assert report.state == "running"

    # No heartbeat for STALE_AFTER: the list and the page show it failed, with a way to ask again.
    lost = timezone.now() + Report.STALE_AFTER + timedelta(seconds=1)
    with time_machine.travel(lost, tick=False):
        listing = client.get(reverse("assessments:report-list", args=[slug])).content.decode()
        page = client.get(detail).content.decode()
    assert "report-failed" in listing and "report-running" not in listing
    assert "The report worker stopped before the report was finished" in page
    again = f"?assessment={assessment.pk}"
    assert again in page and "Ask for it again" in page
    report.refresh_from_db()
    assert report.state == "running"  # showing a page writes nothing
    assert client.get(download).status_code == 404

    # Asked again: the lost one is recorded as failed, the running worker builds the new one.
    with time_machine.travel(lost, tick=False):
        retry = ask_for_report(client, assessment)
    assert retry.pk != report.pk
    report.refresh_from_db()
    assert (report.state, report.file.name, report.error) == ("failed", "", WORKER_STOPPED)
    wait_for(lambda: Report.objects.get(pk=retry.pk).is_done, 40, "the report built again")
    retry.refresh_from_db()
    assert retry.state == "ready", retry.error
    response = client.get(reverse("assessments:report-download", args=[slug, retry.pk]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(PdfReader(io.BytesIO(data)).pages) == retry.pages > 0
    assert len(data) == retry.size
    assert pdf_files(settings.MEDIA_ROOT) == [settings.MEDIA_ROOT / retry.file.name]
    report.refresh_from_db()
    assert report.state == "failed"  # the lost one stays failed: reports never change back


def test_a_build_that_keeps_noting_progress_is_never_given_up(owner, assessment):
    report = Report.objects.create(
        organization=assessment.organization, assessment=assessment, requested_by=owner
    )
    started = timezone.now()
    report.claim(now=started)
    much_later = started + 3 * Report.STALE_AFTER
    with time_machine.travel(much_later - timedelta(seconds=5), tick=False):
        report.advance(60, "Typesetting the PDF")  # slow, but alive
    assert report.give_up_if_stale(now=much_later) is False
    assert Report.objects.get(pk=report.pk).state == "running"
    assert report.give_up_if_stale(now=much_later + Report.STALE_AFTER) is True
    stored = Report.objects.get(pk=report.pk)
    assert (stored.state, stored.progress) == ("failed", 60)
    assert "Ask again" in stored.error
