"""Browser tests: Playwright for Python driving Debian's chromium against Django's live server."""

import io
import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.demo import demo_accounts_create
from accounts.models import Membership, Role
from assessments.models import Assessment, Report
from assessments.reports.render import report_render
from tests.services import CHROMIUM, need_browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    need_browser()
    # Playwright's sync API keeps an event loop in this thread for the whole session; the ORM
    # calls tests and fixtures make around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    page = context.new_page()
    # The app must work offline: any request to another host fails the test.
    foreign = []
    page.on(
        "request",
        lambda r: foreign.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    yield page
    context.close()
    assert not foreign, f"pages requested other hosts: {foreign}"


def log_in(page, email, password):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    # The demo has no reports yet (a worker builds them): build a comparison for Acme.
    baseline, current = Assessment.objects.filter(organization__slug="acme").order_by("pk")[:2]
    report = Report.objects.create(
        organization=current.organization, assessment=current, compared_to=baseline
    )
    report_render(report=report)
    # The auditor's window ends on the day the demo was seeded: a seed just before midnight
    # would leave this report, made just after it, outside. Move the window to end on the
    # report's day, as seeding again would (still at most 12 months long).
    made = timezone.localdate(report.created)
    if Membership.objects.filter(role=Role.AUDITOR, observe_to__lt=made).exists():
        demo_accounts_create(today=made)
