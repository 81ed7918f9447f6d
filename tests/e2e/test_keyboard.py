"""Keyboard and focus (issue 17): what axe cannot see. The main journeys work with the keyboard
alone, focus is always visible and never lands on something hidden, and focus stays where the
user was after htmx swaps in new content."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD
from assessments.models import Assessment
from tests.e2e.crawl import ROLES

pytestmark = pytest.mark.e2e

# What the focused element looks like: its box, and whether a focus ring shows (our
# :focus-visible outline, or a control's own border change).
FOCUSED = """() => {
  const el = document.activeElement;
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40),
    visible: box.width > 0 && box.height > 0 && style.visibility !== "hidden",
    ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    inView: box.bottom > 0 && box.top < window.innerHeight,
  };
}"""


def tab_through(page, stops):
    """Press Tab `stops` times; return what had focus after each press."""
    seen = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUSED))
    return seen


def keyboard_log_in(page, email):
    page.goto("/accounts/login/")
    expect(page.get_by_label("Email address")).to_be_focused()  # ready to type
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/o/**")


def test_log_in_skip_to_content_and_switch_organisation_with_the_keyboard(demo, page):
    keyboard_log_in(page, ROLES["consultant"])
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.keyboard.press("Tab")  # the next stop is inside the main content, not the header
    assert page.evaluate("document.activeElement.closest('main') !== null")

    summary = page.locator(".org-switcher summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem").first).to_be_visible()
    items = page.locator(".org-switcher [role=menuitem]")
    target = items.filter(has_not=page.locator("[aria-current]")).first
    href = target.get_attribute("href")
    while page.evaluate("document.activeElement.getAttribute('href')") != href:
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_every_tab_stop_shows_a_focus_ring_and_none_is_hidden(demo, page, role):
    keyboard_log_in(page, ROLES[role])
    draft = Assessment.objects.filter(organization__slug="acme", state="draft").first()
    pages = [
        reverse("assessments:assessment-detail", args=["acme", draft.pk]),
        reverse("assessments:assessment-dashboard", args=["acme", draft.pk]),
        reverse("integration:integration-list", args=["acme"]),
    ]
    problems = []
    for path in pages:
        page.goto(path)
        for stop in tab_through(page, 40):
            if stop["tag"] == "body":
                break  # past the last stop
            if not stop["visible"] or not stop["ring"] or not stop["inView"]:
                problems.append(f"{path}: {stop}")
    assert not problems, "tab stops without a visible focus:\n" + "\n".join(problems)


def test_score_a_process_with_the_keyboard_and_keep_focus_after_saving(demo, page):
    keyboard_log_in(page, ROLES["owner"])
    draft = Assessment.objects.filter(organization__slug="acme", state="draft").first()
    score = draft.process_scores.order_by("pk").first()
    page.goto(reverse("assessments:process-score", args=["acme", draft.pk, score.pk]))
    row = page.locator("main [id^='criterion-']").first
    radios = row.locator("input[type=radio]")
    before = row.locator("input[type=radio]:checked").get_attribute("value")
    (row.locator("input[type=radio]:checked") if before else radios.first).focus()
    page.keyboard.press("ArrowRight")  # arrow keys move within the radio group and choose
    expect(row.get_by_role("status")).to_have_text("Saved")
    assert row.locator("input[type=radio]:checked").get_attribute("value") != before
    # The swap kept focus in the group the user is in, so the next Tab goes on from there.
    assert row.evaluate("row => row.contains(document.activeElement)")
    assert page.evaluate("document.activeElement.type") == "radio"
