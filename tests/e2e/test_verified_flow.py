"""Verified maturity in a real browser (issue 15): a consultant binds a check after seeing how
it would have judged the last 14 days, data arrives over HTTP and the check passes; the data
stops, the check needs attention, then (time moved on past its grace) it is overdue and the
process's verified level drops below its claimed level on the dashboard."""

import json
import time
import urllib.request
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import CriterionAnswer, FrameworkVersion
from assessments.models.verification import CriterionEvidence, NaAcceptance
from assessments.verified.evaluate import evaluate_round
from integration.models import IngestToken, Integration
from tests.assessments.conftest import make_assessment, make_process
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

CHECK = "mfg-2-live-oee-fresh"  # freshness: newest data at most 900 s old
CRITERION = "mfg-2-live-oee"


@pytest.fixture
def claimed_two(org, owner, consultant):
    """A process claiming Augmentation (2): level 1 evidenced, the live-OEE criterion fully
    met, the other level-2 criteria N/A with their reasons accepted; nothing bound yet."""
    framework = FrameworkVersion.objects.shipped()
    process = make_process(org, "Press line")
    assessment = make_assessment(org, framework, [process], title="Q4")
    score = assessment.process_scores.get()
    today = timezone.localdate()
    definition = framework.definition
    for criterion in definition.criteria_for("manufacturing", 1):
        CriterionAnswer.objects.create(
            process_score=score, criterion_key=criterion.key, assessor=owner, status="fully"
        )
        CriterionEvidence.objects.create(
            process=process,
            criterion_key=criterion.key,
            description="Walkthrough record",
            effective=today - timedelta(days=30),
            added_by=owner,
            accepted_by=consultant,
            accepted=timezone.now(),
        )
    for criterion in definition.criteria_for("manufacturing", 2):
        status = "fully" if criterion.key == CRITERION else "na"
        CriterionAnswer.objects.create(
            process_score=score, criterion_key=criterion.key, assessor=owner, status=status
        )
        if status == "na":
            NaAcceptance.objects.create(
                process_score=score, criterion_key=criterion.key, accepted_by=consultant
            )
    for criterion in definition.criteria_for("manufacturing", 3):
        CriterionAnswer.objects.create(
            process_score=score, criterion_key=criterion.key, assessor=owner, status="not"
        )
    line = Integration.objects.create(organization=org, name="OEE to dashboard")
    _, token = IngestToken.objects.issue(integration=line)
    return assessment, score, token


def send(live_server, token, value):
    """A live feed's reading now, and the one ten minutes before (a single value, or one never
    changing, looks staged to the checks: docs/VERIFICATION.md)."""
    earlier = {"metric": "oee", "value": value - 0.01, "ts": time.time() - 600}
    body = json.dumps({"points": [earlier, {"metric": "oee", "value": value}]}).encode()
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/telemetry",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert json.load(response)["accepted"] == 2


def test_bind_preview_pass_attention_overdue_and_the_level_drops(
    page, live_server, org, consultant, claimed_two
):
    assessment, score, token = claimed_two
    base = f"/o/{org.slug}/assessments/{assessment.pk}"
    log_in(page, consultant.email, PASSWORD)
    page.goto(f"{base}/processes/{score.pk}/")
    check = page.locator(f"#check-{CHECK}")
    expect(check.locator(".standing")).to_have_text("unbound")

    check.get_by_text("Bind this check").click()
    check.get_by_label("Integration").select_option(label="OEE to dashboard")
    check.get_by_role("button", name="Preview").click()
    expect(check.locator(".preview-day")).to_have_count(14)  # nothing arrived yet: all failing
    check.get_by_role("button", name="Save binding").click()

    send(live_server, token, 0.82)
    check = page.locator(f"#check-{CHECK}")
    check.get_by_text("Manage this check").click()
    check.get_by_role("button", name="Check now").click()
    check = page.locator(f"#check-{CHECK}")
    expect(check.locator(".standing")).to_have_text("passing")
    verified = page.locator("#verification-summary .level-pair > div").nth(1)
    expect(verified).to_contain_text("2")
    page.goto(f"{base}/dashboard/")
    expect(page.locator(".heat-unverified-mark")).to_have_count(0)  # verified as claimed
    page.goto(f"{base}/processes/{score.pk}/")

    # The data stops: an hour later the check fails and needs attention, and still holds.
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True) as clock:
        evaluate_round()
        page.reload()
        expect(page.locator(f"#check-{CHECK} .standing")).to_contain_text("needs attention")

        clock.move_to(timezone.now() + timedelta(days=8))  # past its 7 days of grace
        evaluate_round()
        page.reload()
        expect(page.locator(f"#check-{CHECK} .standing")).to_have_text("overdue")
        expect(page.locator("#verification-summary")).to_contain_text(
            "Level 2 is claimed; data and accepted evidence verify level 1."
        )

        page.goto(f"{base}/dashboard/")
        row = page.locator("tr", has_text="Press line").filter(has=page.locator("[data-verified]"))
        expect(row.locator("[data-verified]")).to_contain_text("1")
        expect(row.locator("[data-verified]")).to_contain_text("below the claimed 2")
        expect(page.locator(".heat-unverified-mark").first).to_have_text("not verified")
