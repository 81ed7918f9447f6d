"""The demo's Acme on its home page: what needs attention links to where it is fixed."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD, demo_accounts_create
from assessments.demo import demo_assessments_create, demo_roadmaps_create
from integration.demo import DEAD_SINCE, demo_integrations_create

pytestmark = pytest.mark.e2e


@pytest.fixture
def acme(transactional_db):
    """The demo's Acme, with just enough history for its SCADA export to be dead."""
    orgs = demo_accounts_create()
    acme = {"acme": orgs["acme"]}
    demo_integrations_create(acme, history=DEAD_SINCE + timedelta(hours=1))
    demo_assessments_create(acme)
    demo_roadmaps_create(acme)
    return orgs["acme"]


def test_the_coo_sees_what_needs_attention_and_each_entry_leads_to_its_fix(page, acme):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("coo@acme.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Overview").click()
    attention = page.locator("section", has=page.get_by_role("heading", name="Needs attention"))
    heading = page.get_by_role("heading", level=1)

    # The SCADA export is dead; the flaky feed may be down at the moment too.
    dead = attention.locator(
        '[data-kind="integration-down"]', has_text="Legacy SCADA historian export"
    )
    expect(dead).to_have_count(1)
    overdue = attention.locator('[data-kind="milestone-overdue"]')
    expect(overdue.first).to_be_visible()
    disputed = attention.locator('[data-kind="disputed"]')
    expect(disputed).to_contain_text("Current assessment")

    dead.get_by_role("link").click()
    expect(heading).to_have_text("Legacy SCADA historian export")
    expect(page).to_have_url(re.compile(r"/o/acme/integrations/[0-9a-f-]+/$"))

    page.go_back()
    milestone = overdue.first.get_by_role("link")
    title = milestone.inner_text()
    milestone.click()
    expect(page).to_have_url(re.compile(r"/o/acme/milestones/\d+/$"))
    expect(heading).to_contain_text(title)
    expect(heading).to_contain_text("Overdue")

    page.go_back()
    disputed.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/o/acme/assessments/\d+/agreement/$"))
    expect(page.get_by_text("where assessors differ")).to_be_visible()

    # The next step says the same: settle the disputes first.
    page.go_back()
    next_step = page.locator(".next-step-text a")
    expect(next_step).to_contain_text(re.compile(r"Settle \d+ disputed answers"))
    next_step.click()
    expect(page).to_have_url(re.compile(r"/agreement/$"))
