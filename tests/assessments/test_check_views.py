"""The process page's checks: standing, measured value and strip shown; binding after a preview,
tuning, unbinding, checking now; who may do it; a final assessment's frozen page."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from assessments.lifecycle import assessment_finalize
from assessments.models.verification import CheckBinding, CheckResult, ProcessCheck
from assessments.verified.evaluate import evaluate_round
from audit.models import AuditEvent
from integration.models import Integration
from tests.assessments import test_verified_evaluate as evaluated
from tests.assessments.conftest import NOW
from tests.assessments.test_verified_evaluate import CHECK, feed, uptime_check
from tests.conftest import client_for

DAY = timedelta(days=1)
line, scored = evaluated.line, evaluated.scored  # the evaluator tests' fixtures


def page_url(assessment):
    score = assessment.process_scores.get()
    return reverse("assessments:process-score", args=["acme", assessment.pk, score.pk])


def action(assessment, name, key=CHECK):
    score = assessment.process_scores.get()
    return reverse(f"assessments:{name}", args=["acme", assessment.pk, score.pk, key])


@pytest.fixture
def passing(scored, line, owner, frozen):
    row = uptime_check(scored, line, owner)
    feed(line, start=NOW - 8 * DAY, end=NOW)
    evaluate_round(now=NOW)
    return row


def check_block(html):
    start = html.index(f'id="check-{CHECK}"')
    return html[start : html.index("</article>", start)]


def test_page_shows_claimed_verified_standing_measured_and_strip(scored, passing, owner):
    html = client_for(owner).get(page_url(scored)).content.decode()
    assert "Claimed level" in html and "Verified level" in html
    assert "not backed by live data" not in html.lower()
    block = check_block(html)
    assert "passing" in block and "Press line" in block and "owner@acme.test" in block
    assert ">1<" in block.replace(" ", "")  # measured uptime 1
    cells = re.findall(r'<li class="day day-([\w-]+)" title="([^"]+)"', block)
    assert len(cells) == 30
    assert cells[-1][0] == "passing" and "passing" in cells[-1][1]
    assert cells[0] == ("none", cells[0][1]) and "no result" in cells[0][1]
    assert "Verified by data" in html


def test_unbound_check_shows_unbound_and_claim(scored, owner, frozen):
    html = client_for(owner).get(page_url(scored)).content.decode()
    assert "unbound" in check_block(html)
    assert "Bind this check" in html


def test_preview_shows_14_days_and_saves_nothing(scored, line, owner, frozen):
    feed(line, start=NOW - 8 * DAY, end=NOW)
    response = client_for(owner).post(
        action(scored, "check-preview"), {"integration_0": line.pk}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    days = re.findall(r'<li class="preview-day day-([\w-]+)"', html)
    assert len(days) == 14
    assert days[-1] == "passing" and "failing" in days  # a week ago the window had no data yet
    dates = re.findall(r'<span class="preview-date">([^<]+)</span>', html)
    assert len(set(dates)) == 14 and dates[0] == "12 Nov" and dates[-1] == "25 Nov"
    assert not ProcessCheck.objects.exists() and not CheckBinding.objects.exists()


def test_preview_without_htmx_renders_the_page_with_it(scored, line, owner, frozen):
    response = client_for(owner).post(action(scored, "check-preview"), {"integration_0": line.pk})
    assert response.status_code == 200
    assert len(re.findall(r'class="preview-day day-', response.content.decode())) == 14
    assert not CheckBinding.objects.exists()


def test_save_binding_saves_and_is_audited(scored, line, owner, frozen):
    response = client_for(owner).post(action(scored, "check-bind"), {"integration_0": line.pk})
    assert response.status_code == 302 and response.url.endswith(f"#check-{CHECK}")
    binding = CheckBinding.objects.get()
    assert binding.integration == line and binding.bound_by == owner
    assert AuditEvent.objects.filter(action="bind").exists()


def test_bind_without_integration_shows_error(scored, owner, frozen):
    response = client_for(owner).post(action(scored, "check-bind"), {"integration_0": ""})
    assert response.status_code == 400
    assert "Choose an integration" in response.content.decode()
    assert not CheckBinding.objects.exists()


@pytest.mark.parametrize("who", ["member", "viewer"])
@pytest.mark.parametrize("name", ["check-preview", "check-bind", "check-unbind", "check-tune"])
def test_members_and_viewers_are_refused(scored, line, who, name, request, frozen):
    user = request.getfixturevalue(who)
    response = client_for(user).post(action(scored, name), {"integration_0": line.pk})
    assert response.status_code == 403
    assert not CheckBinding.objects.exists()


def test_members_see_no_binding_forms(scored, passing, member):
    html = client_for(member).get(page_url(scored)).content.decode()
    assert "Save binding" not in html and "Check now" not in html
    assert "passing" in check_block(html)


def test_another_orgs_integration_is_404(scored, owner, other_org, frozen):
    theirs = Integration.objects.create(organization=other_org, name="Theirs")
    client = client_for(owner)
    for name in ("check-bind", "check-preview"):
        assert client.post(action(scored, name), {"integration_0": theirs.pk}).status_code == 404
    assert not CheckBinding.objects.exists()


def test_unknown_check_is_404(scored, line, owner, frozen):
    url = action(scored, "check-bind", key="no-such-check")
    assert client_for(owner).post(url, {"integration_0": line.pk}).status_code == 404


@pytest.mark.parametrize(
    ("threshold", "error"),
    [("1e999", "Enter a number."), ("inf", "Enter a number."), ("1.5", "at most 1 (100 %)")],
)
def test_a_threshold_no_check_can_meet_is_refused(scored, passing, owner, threshold, error):
    response = client_for(owner).post(action(scored, "check-tune"), {"threshold": threshold})
    assert response.status_code == 400
    assert error in response.content.decode()
    passing.refresh_from_db()
    assert passing.threshold is None


def test_looser_threshold_is_refused_next_to_the_field(scored, passing, owner):
    response = client_for(owner).post(action(scored, "check-tune"), {"threshold": "0.5"})
    assert response.status_code == 400
    html = response.content.decode()
    slot = re.search(rf'id="error-threshold-{CHECK}"[^>]*>([^<]*)<', html).group(1)
    assert "only be made stricter" in slot
    passing.refresh_from_db()
    assert passing.threshold is None


def test_stricter_threshold_and_grace_are_saved(scored, passing, owner):
    response = client_for(owner).post(
        action(scored, "check-tune"), {"threshold": "0.99", "grace_days": "3"}
    )
    assert response.status_code == 302
    passing.refresh_from_db()
    assert (passing.threshold, passing.grace_days) == (0.99, 3)
    html = client_for(owner).get(page_url(scored)).content.decode()
    assert "≥ 0.99" in check_block(html) and "framework 0.95" in check_block(html)


def test_bad_grace_is_refused_next_to_its_field(scored, passing, owner):
    response = client_for(owner).post(action(scored, "check-tune"), {"grace_days": "200"})
    assert response.status_code == 400
    assert re.search(rf'id="error-grace_days-{CHECK}"[^>]*>Grace is 0', response.content.decode())


def test_check_now_judges_the_check(scored, line, owner, frozen):
    row = uptime_check(scored, line, owner)
    feed(line, start=NOW - 8 * DAY, end=NOW)
    assert client_for(owner).post(action(scored, "check-run")).status_code == 302
    row.refresh_from_db()
    assert row.state == "passing" and CheckResult.objects.filter(process_check=row).count() == 1


def test_unbind_removes_the_bindings_and_keeps_the_history(scored, passing, owner):
    runs = CheckResult.objects.count()
    assert runs >= 1
    assert client_for(owner).post(action(scored, "check-unbind")).status_code == 302
    row = ProcessCheck.objects.get()
    assert not row.bindings.exists() and row.state == "not tested"
    assert CheckResult.objects.count() == runs  # what it found stays, for attestations
    assert AuditEvent.objects.filter(action="unbind").exists()
    assert evaluate_round(now=NOW + DAY).evaluated == 0  # an unbound check is not judged


def test_final_assessment_shows_snapshot_and_no_forms(scored, passing, owner):
    assessment_finalize(assessment=scored, user=owner)
    html = client_for(owner).get(page_url(scored)).content.decode()
    assert "As verified on 25 Nov 2026" in html
    assert "passing" in check_block(html)
    assert "Save binding" not in html and "Add evidence" not in html and "Check now" not in html
    response = client_for(owner).post(action(scored, "check-run"))
    assert response.status_code == 302 and "/processes/" not in response.url  # locked
    # Weeks later the final page still draws the strip as of its snapshot, not today.
    cells = re.findall(r'class="day day-([a-z-]+)"', check_block(html))
    with time_machine.travel(NOW + 40 * DAY, tick=False):
        later = client_for(owner).get(page_url(scored)).content.decode()
    assert re.findall(r'class="day day-([a-z-]+)"', check_block(later)) == cells
    assert "passing" in cells
