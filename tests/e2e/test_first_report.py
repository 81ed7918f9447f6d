"""Issue 16's whole path in one browser run, never through /admin/: an empty install's first
run, an organisation, the COO invited by email (read from the outbox), the COO joins, adds two
processes from the starter suggestions, scores, finalizes and builds the PDF."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Membership, Role
from assessments.models import Assessment, Process, Report
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

COO = "coo@acme.test"


def test_from_an_empty_install_to_a_board_report(browser, live_server, db, settings):
    settings.SITE_URL = live_server.url  # the invitation email's link
    context = browser.new_context(base_url=live_server.url)
    visited = []
    context.on("request", lambda r: visited.append(r.url))
    admin = context.new_page()

    # First run: the installer becomes the owner of the first organisation.
    admin.goto("/")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Set up Ladder")
    admin.get_by_label("First name").fill("Ines")
    admin.get_by_label("Email address").fill("it@acme.test")
    admin.locator("#id_password1").fill(PASSWORD)
    admin.locator("#id_password2").fill(PASSWORD)
    admin.get_by_label("Organisation name").fill("Acme Precision")
    admin.get_by_label("Industry").select_option("manufacturing")
    admin.get_by_role("button", name="Create account and organisation").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Acme Precision")

    # Invite the COO as an owner; the link comes by email.
    admin.get_by_role("link", name="People").first.click()
    admin.locator("#id_email").fill(COO)
    admin.locator("#id_role").select_option("owner")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.locator(".messages")).to_contain_text(COO)
    (message,) = mail.outbox
    assert message.to == [COO]
    link = re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)

    # The COO joins in a browser of their own.
    coo_context = browser.new_context(base_url=live_server.url)
    coo_context.on("request", lambda r: visited.append(r.url))
    coo = coo_context.new_page()
    coo.goto(link)
    coo.get_by_label("First name").fill("Alex")
    coo.locator("#id_new_password1").fill(PASSWORD)
    coo.locator("#id_new_password2").fill(PASSWORD)
    coo.get_by_role("button", name="Accept invitation").click()
    expect(coo.get_by_role("heading", level=1)).to_have_text("Acme Precision")
    assert Membership.objects.get(user__email=COO).role == Role.OWNER

    # Two processes from the starter suggestions: the first two kept, the rest dropped.
    coo.get_by_role("link", name="List your business processes").first.click()
    boxes = coo.get_by_role("checkbox", name=re.compile(r"^Add process \d+$"))
    for i in range(2, boxes.count()):
        boxes.nth(i).uncheck()
    coo.get_by_role("button", name="Add the ticked ones").click()
    processes = list(Process.objects.order_by("pk"))
    assert len(processes) == 2
    expect(coo.get_by_role("link", name=processes[0].name, exact=True)).to_be_visible()

    # An assessment, scored at level 1 for the first process, finalized.
    coo.get_by_role("link", name="Assessments").first.click()
    coo.get_by_role("link", name="New assessment").click()
    coo.get_by_label("Title").fill("First baseline")
    coo.get_by_role("button", name="Create draft").click()
    expect(coo.get_by_role("heading", level=1)).to_contain_text("First baseline")
    coo.get_by_role("link", name=processes[0].name).first.click()
    criteria = coo.locator(".level-card").first.locator("form.criterion")
    for i in range(criteria.count()):
        criteria.nth(i).get_by_text("Fully").click()
        expect(criteria.nth(i).get_by_role("status").filter(has_text="Saved")).to_be_visible()
    expect(coo.locator("#level-panel .big-level")).to_contain_text("Substitution")
    coo.get_by_role("link", name="First baseline").first.click()
    coo.get_by_role("link", name="Finalize…").click()
    coo.get_by_role("button", name="Finalize").click()
    expect(coo.get_by_text("This assessment is final and read-only.")).to_be_visible()
    assert Assessment.objects.get(title="First baseline").state == "final"

    # The board's PDF.
    coo.get_by_role("link", name="Reports").first.click()
    first = Assessment.objects.get(title="First baseline")
    coo.locator("#id_assessment").select_option(str(first.pk))
    coo.get_by_role("button", name="Build the report").click()
    expect(coo).to_have_url(re.compile(r"/reports/\d+/$"))
    expect(coo.get_by_text("Ready").first).to_be_visible()
    report = Report.objects.get()
    download = coo.request.get(f"/o/acme-precision/reports/{report.pk}/download/")
    assert download.ok and download.body().startswith(b"%PDF")

    assert not [url for url in visited if "/admin/" in url]
    coo_context.close()
    context.close()
