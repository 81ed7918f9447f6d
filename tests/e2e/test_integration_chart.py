"""The integration page's chart links (time window, metric) swap the chart in place and
replace the address, without writing the metric's name (user text) into an hx-* attribute:
the links are boosted and htmx reads their href."""

import pytest
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD
from tests.e2e.conftest import log_in
from tests.e2e.crawl import ROLES

pytestmark = pytest.mark.e2e


def test_a_window_link_swaps_the_chart_without_loading_the_page(demo, page):
    log_in(page, ROLES["member"], DEMO_PASSWORD)
    page.wait_for_url("**/o/**")
    page.goto("/o/acme/integrations/")
    page.locator("main table a[href*='/integrations/']").first.click()
    expect(page.locator("[data-chart=chart-series]")).to_have_attribute("data-chart-drawn", "true")
    assert not page.locator(".chart-windows a[hx-get], .chart-windows a[hx-target]").count()
    page.evaluate("window.stillHere = true")  # gone if the whole page loads again
    depth = page.evaluate("history.length")

    with page.expect_response(lambda r: "window=7d" in r.url) as response:
        page.locator(".chart-windows a", has_text="7d").click()
    assert response.value.request.headers.get("hx-target") == "chart-card"

    expect(page.locator(".chart-windows [aria-current=page]")).to_contain_text("7d")
    expect(page.locator("[data-chart=chart-series]")).to_have_attribute("data-chart-drawn", "true")
    assert "window=7d" in page.url
    assert page.evaluate("window.stillHere") is True
    assert page.evaluate("history.length") == depth  # replaced, not pushed
