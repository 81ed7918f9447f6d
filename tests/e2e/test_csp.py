"""The Content Security Policy holds in a real browser: pages with Plotly and htmx work under it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import FrameworkVersion
from integration.lineprotocol import Point
from integration.models import Integration, Metric
from integration.services import telemetry_ingest
from tests.assessments.conftest import answer_levels, make_assessment, make_process
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

# Playwright's init scripts and bindings are not subject to the page's CSP, and they run on
# every page the test visits, so a violation on an earlier page is not lost by navigating.
RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.reportCspViolation(
    `${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`
  );
});
"""


@pytest.fixture
def watched(page):
    """The page, collecting every CSP violation: the DOM event and the console report."""
    found = []
    page.expose_function("reportCspViolation", lambda text: found.append(text))
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda m: found.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.violations = lambda: found
    return page


@pytest.fixture
def scored(org, owner, framework):
    process = make_process(org, "Press line 3 maintenance", value=5)
    assessment = make_assessment(org, framework, [process], title="Workshop, November")
    answer_levels(assessment.process_scores.get(), owner, {1: "fully", 2: "partial"})
    return assessment


@pytest.fixture
def framework(db):
    return FrameworkVersion.objects.shipped()


def test_the_policy_header_is_sent_and_strict_for_scripts(watched, owner):
    response = watched.goto("/accounts/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy + ";"
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_dashboard_charts_draw_without_violations(watched, org, owner, scored):
    log_in(watched, owner.email, PASSWORD)
    expect(watched.get_by_role("heading", level=1)).to_be_visible()
    watched.goto(reverse("assessments:assessment-dashboard", args=[org.slug, scored.pk]))
    expect(watched.locator(".js-plotly-plot").first).to_be_visible()
    watched.goto(reverse("org-home", args=[org.slug]))
    expect(watched.get_by_role("heading", level=1)).to_be_visible()
    assert watched.violations() == []


def test_integration_chart_draws_without_violations(watched, org, owner):
    now = timezone.now()
    integration = Integration.objects.create(organization=org, name="Press line 3 vibration")
    Metric.objects.create(integration=integration, name="vibration.rms", unit="mm/s")
    points = [
        Point("vibration.rms", (("axis", "x"),), now - timedelta(minutes=i), 2 + (i % 7) / 10)
        for i in range(1, 120)
    ]
    telemetry_ingest(integration=integration, points=points, now=now)
    log_in(watched, owner.email, PASSWORD)
    expect(watched.get_by_role("heading", level=1)).to_be_visible()
    watched.goto(reverse("integration:integration-detail", args=[org.slug, integration.pk]))
    expect(watched.locator(".js-plotly-plot").first).to_be_visible()
    watched.locator(".js-plotly-plot").first.hover()  # Plotly's hover layer and modebar
    assert watched.violations() == []
    # Plotly's own style rules reached the page (through the hash-allowed empty <style>).
    rules = "document.getElementById('plotly.js-style-global').sheet.cssRules.length"
    assert watched.evaluate(rules) > 50


def test_scoring_autosaves_through_htmx_without_violations(watched, org, owner, scored):
    log_in(watched, owner.email, PASSWORD)
    expect(watched.get_by_role("heading", level=1)).to_be_visible()
    score = scored.process_scores.get()
    watched.goto(reverse("assessments:process-score", args=[org.slug, scored.pk, score.pk]))
    criterion = watched.locator(".level-card").nth(2).locator("form.criterion").first
    criterion.get_by_text("Fully").click()
    expect(criterion.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    assert watched.violations() == []
