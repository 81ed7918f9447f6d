"""From an empty install and from a consultant's switcher to a new organisation's overview,
in a real browser; the pages fit a phone's width too."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Membership, Organization, Role
from assessments.models import Process
from tests.conftest import PASSWORD
from tests.e2e.a11y import violations
from tests.e2e.conftest import log_in
from tests.e2e.test_phone_widths import WIDEST

pytestmark = pytest.mark.e2e

WIDTHS = (1440, 390)


def fits(page) -> str | None:
    """None when the page does not scroll sideways, else what sticks out."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    if width <= viewport:
        return None
    return f"{page.url}: {width} px wide at {viewport}: {page.evaluate(WIDEST)}"


def test_a_consultant_adds_a_client_and_reaches_its_overview_in_five_page_loads(
    page, org, consultant
):
    loads = []
    page.on("load", lambda: loads.append(page.url))
    log_in(page, consultant.email, PASSWORD)  # the login page, then the overview
    expect(page.get_by_role("heading", level=1)).to_have_text(org.name)

    page.locator(".org-switcher summary").click()
    page.get_by_role("menuitem", name="Add a client organisation").click()
    page.get_by_label("Organisation name").fill("Initech Logistics")
    page.get_by_label("Industry").select_option("logistics")
    page.get_by_label("Sites").fill("Hub North\nHub South")
    page.get_by_label("Owner's email address").fill("boss@initech.test")
    page.get_by_role("button", name="Add organisation").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Initech Logistics")
    expect(page.get_by_role("heading", name="Start here")).to_be_visible()
    assert len(loads) <= 5, loads
    org = Organization.objects.get(name="Initech Logistics")
    assert Membership.objects.get(organization=org, user=consultant).role == Role.CONSULTANT
    assert [m.to for m in mail.outbox] == [["boss@initech.test"]]


def test_first_run_to_processes_from_suggestions_at_desktop_and_phone_widths(page, db):
    too_wide = []
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up Ladder")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        too_wide.append(fits(page))
    page.get_by_label("First name").fill("Olive")
    page.get_by_label("Email address").fill("olive@acme.test")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_label("Organisation name").fill("Acme Precision")
    page.get_by_label("Industry").select_option("manufacturing")
    page.get_by_role("button", name="Create account and organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Precision")

    page.get_by_role("link", name="List your business processes").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Processes and sites to start with")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        too_wide.append(fits(page))
    page.get_by_label("Name of process 1").fill("Line plan")
    page.get_by_label("Add process 2").uncheck()
    page.get_by_role("button", name="Add the ticked ones").click()
    expect(page.get_by_role("link", name="Line plan", exact=True)).to_be_visible()

    names = set(Process.objects.values_list("name", flat=True))
    assert "Line plan" in names and "Machine monitoring (OEE)" not in names and len(names) == 6
    page.goto("/")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        too_wide.append(fits(page))
    assert [w for w in too_wide if w] == []
    # Once someone exists, the setup page is refused.
    page.goto("/setup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")


def test_the_add_form_fits_a_phone(page, org, consultant):
    log_in(page, consultant.email, PASSWORD)
    page.goto("/organisations/new/")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page) is None


def test_the_new_pages_and_their_errors_meet_wcag(page, db):
    found = []
    page.goto("/setup/")
    found += violations(page)
    page.get_by_role("button", name="Create account and organisation").click()  # all empty
    expect(page.locator(".field-error").first).to_be_visible()
    found += violations(page)
    page.locator("#id_first_name").fill("Olive")
    page.locator("#id_email").fill("olive@acme.test")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_org_name").fill("Acme")
    page.get_by_role("button", name="Create account and organisation").click()
    Membership.objects.update(role=Role.CONSULTANT)  # so the switcher offers adding
    page.goto("/o/acme/get-started/?industry=energy")
    found += violations(page)
    page.get_by_label("Name of process 1").fill("")
    page.get_by_role("button", name="Add the ticked ones").click()
    expect(page.locator(".field-error").first).to_be_visible()
    found += violations(page)
    page.goto("/organisations/new/")
    page.locator(".org-switcher summary").click()
    found += violations(page)
    page.get_by_role("button", name="Add organisation").click()
    expect(page.locator(".field-error").first).to_be_visible()
    found += violations(page)
    assert found == []
