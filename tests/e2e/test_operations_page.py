"""The operations page in a browser: reached from a staff user's menu, no sideways scroll at
1440 or 390 px with long instance names and errors, and no WCAG violation."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from integration.models import MqttListener, ServiceHeartbeat, SparkplugLease
from tests.e2e.a11y import violations
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e
PASSWORD = "a-long-test-password-42"


@pytest.fixture
def staff(db):
    now = timezone.now()
    long = "ladder-listener-" + "k8s-statefulset-replica-" * 4
    MqttListener.note_started(client_id=long, group="ladder", now=now - timedelta(minutes=9))
    MqttListener.note_started(client_id="ladder-web1-1", group="ladder", now=now)
    SparkplugLease.objects.create(host_id="ladder", holder=long, expires=now - timedelta(minutes=1))
    ServiceHeartbeat.beat(
        name="evaluator",
        instance="ops-" + "x" * 60 + ":4411",
        interval=300,
        now=now - timedelta(hours=1),
        error="OperationalError: " + "connection to server failed; " * 12,
    )
    ServiceHeartbeat.beat(name="health", instance="web-1:10", interval=60, now=now)
    return User.objects.create_user(email="ops@ladder.test", password=PASSWORD, is_staff=True)


@pytest.mark.parametrize("width", [1440, 390])
def test_the_page_fits_the_screen_and_passes_wcag(staff, browser, live_server, width):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    log_in(page, staff.email, PASSWORD)
    page.locator("details.user-menu summary").click()
    page.get_by_role("menuitem", name="Operations").click()
    expect(page.locator("h1")).to_have_text("Operations")
    expect(page.locator("#ops-listeners")).to_contain_text("stale: the broker keeps queueing")
    expect(page.locator("#ops-sparkplug")).to_contain_text("no primary host")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    found = violations(page)
    context.close()
    assert not found, "\n".join(found)
