"""Invitations and open sign-up in a browser, at a desktop and a phone width: the owner of an
install without email copies the invitation link; a sign-up verifies its address by email."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Invitation
from tests.conftest import PASSWORD
from tests.e2e.a11y import violations
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

WIDTHS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOTS = os.environ.get("LADDER_SHOTS")  # a folder: screenshots to look at


def shoot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def looks_right(page, viewport):
    """No sideways scroll, and no WCAG A/AA violation (axe) in the page as it is now."""
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert not violations(page), violations(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_without_email_the_owner_copies_the_link_and_manages_invitations(
    width, browser, live_server, settings, org, owner
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    viewport = WIDTHS[width]
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    Invitation.objects.create(
        organization=org,
        email="late@acme.test",
        invited_by=owner,
        created=timezone.now() - timedelta(days=20),
    )
    log_in(page, owner.email, PASSWORD)
    page.goto(f"/o/{org.slug}/members/")
    page.get_by_label("Email").fill("coo@acme.test")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation made for coo@acme.test")).to_be_visible()
    invitation = Invitation.objects.get(email="coo@acme.test")
    link = page.locator(f"#invitation-link-{invitation.pk}")
    expect(link).to_have_text(re.compile(rf"/invitations/{invitation.token}/$"))
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    page.get_by_label("Email").fill("COO@acme.test")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("already an open invitation for this address")).to_be_visible()
    looks_right(page, viewport)
    shoot(page, f"people-{width}")

    page.get_by_role("button", name="Resend the invitation to late@acme.test").click()
    expect(page.get_by_text("the old link is void")).to_be_visible()
    page.get_by_role("button", name="Revoke the invitation to coo@acme.test").click()
    expect(page.get_by_text("Invitation to coo@acme.test revoked.")).to_be_visible()
    row = page.locator(f"#invitation-{invitation.pk}")
    expect(row.get_by_text("Revoked")).to_be_visible()
    page.goto(f"/invitations/{invitation.token}/")
    expect(page.get_by_role("heading", name="This invitation is no longer valid")).to_be_visible()
    looks_right(page, viewport)
    shoot(page, f"revoked-{width}")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_open_signup_verifies_the_address_before_the_organisation_opens(
    width, browser, live_server, settings, db
):
    settings.SIGNUP = "open"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    viewport = WIDTHS[width]
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign up with your organisation").click()
    page.get_by_label("Your name").fill("Nia")
    page.get_by_label("Work email").fill("nia@newco.test")
    page.get_by_label("Organisation").fill("NewCo Foods")
    page.locator("#id_password1").fill("ladder-pass-991")
    page.get_by_label("Password again").fill("ladder-pass-991")
    looks_right(page, viewport)
    shoot(page, f"signup-{width}")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    looks_right(page, viewport)

    log_in(page, "nia@newco.test", "ladder-pass-991")
    expect(page.get_by_role("heading", name="Verify your email")).to_be_visible()
    looks_right(page, viewport)
    shoot(page, f"verify-{width}")
    path = re.search(r"http://\S+(/accounts/verify/\S+/)", mail.outbox[0].body).group(1)
    page.goto(path)
    looks_right(page, viewport)
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_text("Your email address is verified.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/o/newco-foods/$"))
    context.close()
