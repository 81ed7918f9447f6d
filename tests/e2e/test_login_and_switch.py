import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_consultant_logs_in_and_switches_organisation(page, org, other_org, consultant):
    log_in(page, consultant.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(org.name)

    page.locator(".org-switcher summary").click()
    page.get_by_role("menuitem", name=other_org.name).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(other_org.name)
    expect(page).to_have_url(f"{page.url.split('/o/')[0]}/o/{other_org.slug}/")
    # The choice sticks: the home page now opens the organisation switched to.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(other_org.name)


def test_wrong_password_shows_an_error(page, owner):
    log_in(page, owner.email, "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("correct email address and password")


def test_htmx_role_change_saves_without_reload(page, org, owner, member):
    log_in(page, owner.email, PASSWORD)
    page.goto(f"/o/{org.slug}/members/")
    with page.expect_response(lambda r: "/role/" in r.url) as response:
        page.get_by_label(f"Role of {member.email}").select_option("consultant")
    assert response.value.status == 200
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    page.reload()
    expect(page.get_by_label(f"Role of {member.email}")).to_have_value("consultant")
