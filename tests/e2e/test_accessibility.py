"""Accessibility (issue 17): axe-core's WCAG 2.2 A/AA rules find nothing on any page state of
the demo, for every role, on a laptop and on a phone."""

import pytest
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD
from tests.e2e.a11y import violations
from tests.e2e.conftest import log_in
from tests.e2e.crawl import ROLES, every_page

pytestmark = pytest.mark.e2e

SIZES = {"laptop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", SIZES)
def test_no_page_of_the_demo_violates_wcag_for_any_role(demo, browser, live_server, size):
    context = browser.new_context(base_url=live_server.url, viewport=SIZES[size])
    page = context.new_page()
    found = []
    for role in ROLES:
        for name, path in every_page(page, role):
            found += [f"{role} {path} ({name}): {v}" for v in violations(page)]
    context.close()
    assert not found, f"{len(found)} violations:\n" + "\n".join(found)


def submit_empty(page, path, button):
    """Open the form at `path` and send it as it is, past the browser's own checks, so the
    page comes back with the server's errors next to the fields."""
    page.goto(path)
    page.evaluate("document.querySelectorAll('main form').forEach(f => f.noValidate = true)")
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_no_state_of_forms_menus_and_errors_violates_wcag(demo, page):
    found = []

    def check(state):
        found.extend(f"{state} {page.url}: {v}" for v in violations(page))

    page.goto("/accounts/login/")
    check("login")
    page.get_by_label("Email address").fill(ROLES["owner"])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("main")).to_contain_text("correct")
    check("login refused")
    page.goto("/accounts/password_reset/")
    check("password reset")

    log_in(page, ROLES["owner"], DEMO_PASSWORD)
    page.wait_for_url("**/o/**")
    page.locator(".org-switcher summary").click()
    expect(page.get_by_role("menuitem").first).to_be_visible()
    check("organisation menu open")
    page.goto("/o/acme/assessments/999999/")
    check("not found")
    forms = {
        "/o/acme/processes/new/": "Add process",
        "/o/acme/integrations/new/": "Add integration",
        "/o/acme/members/": "Send invitation",
    }
    for path, button in forms.items():
        submit_empty(page, path, button)
        expect(page.locator(".field-error, .form-errors, .errorlist").first).to_be_visible()
        check(f"errors on {path}")

    page.goto("/o/acme/members/")  # sent: the next page says so in a message
    page.get_by_label("Email").fill("new.colleague@acme.example")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".messages li").first).to_be_visible()
    check("message after saving")
    assert not found, f"{len(found)} violations:\n" + "\n".join(found)
