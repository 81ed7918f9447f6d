"""Phones (issue 17): at 390 × 844 no page of the demo scrolls sideways, for any role.

Each role walks its organisation's navigation and one page of every kind linked from there
(an assessment, its agreement, dashboard and readiness, a process, a roadmap, a milestone, an
integration, a report, ...); a wide table may scroll inside its own box, the page may not."""

import pytest
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD
from assessments.models import Assessment
from tests.e2e.conftest import log_in
from tests.e2e.crawl import EXPECTED, ROLES, every_page

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}

# The element reaching furthest past the right edge (the innermost of equals), outside any box
# that scrolls or clips.
WIDEST = """() => {
  const edge = window.innerWidth;
  let widest = null;
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= edge || (widest && box.right < widest.right)) continue;
    let clipped = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") { clipped = true; break; }
    }
    if (clipped) continue;
    const classes = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    const id = el.id ? "#" + el.id : "";
    widest = {right: Math.round(box.right), name: el.tagName.toLowerCase() + id + classes};
  }
  return widest;
}"""


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    yield context.new_page()
    context.close()


def test_no_page_scrolls_sideways_on_a_phone_for_any_role(demo, phone):
    wide, missing = [], {}
    for role in ROLES:
        visited = set()
        for name, path in every_page(phone, role):
            visited.add(name)
            width = phone.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                widest = phone.evaluate(WIDEST) or {"name": "?", "right": width}
                wide.append(
                    f"{role} {path} ({name}): {width} px wide; widest: {widest['name']} "
                    f"reaches {widest['right']} px"
                )
        if EXPECTED[role] - visited:
            missing[role] = sorted(EXPECTED[role] - visited)
    assert not wide, "pages wider than the phone:\n" + "\n".join(wide)
    assert not missing, f"pages not reached: {missing}"


def test_on_a_phone_finalize_is_on_screen_and_the_current_tab_in_view(demo, phone):
    log_in(phone, ROLES["owner"], DEMO_PASSWORD)
    draft = Assessment.objects.filter(organization__slug="acme", state="draft").first()
    phone.goto(f"/o/acme/assessments/{draft.pk}/")
    finalize = phone.get_by_role("link", name="Finalize…").bounding_box()
    assert finalize["x"] >= 0 and finalize["x"] + finalize["width"] <= PHONE["width"]

    phone.goto("/o/acme/settings/")  # the last tab, past the edge until scrolled to
    nav = phone.locator(".orgnav").bounding_box()
    tab = phone.locator(".orgnav [aria-current=page]").bounding_box()
    assert nav["x"] <= tab["x"] and tab["x"] + tab["width"] <= nav["x"] + nav["width"]
    header = phone.locator(".topbar").bounding_box()
    assert header["height"] < 60  # one compact row, not three

    # The dashboard's ladder: a table whose process names stay put while its levels scroll.
    phone.goto(f"/o/acme/assessments/{draft.pk}/dashboard/")
    expect(phone.locator(".heat-chart")).to_be_hidden()
    ladder = phone.locator(".table-scroll.heat-phone")
    expect(ladder.get_by_role("rowheader").first).to_be_visible()
    ladder.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    assert ladder.evaluate("box => box.scrollLeft") > 0
    name, box = ladder.get_by_role("rowheader").first.bounding_box(), ladder.bounding_box()
    assert box["x"] <= name["x"] < box["x"] + 5  # at the box's left edge, not scrolled away
    top = ladder.get_by_role("columnheader", name="4 Redefinition").bounding_box()
    assert top["x"] + top["width"] <= PHONE["width"]
