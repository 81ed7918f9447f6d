"""Acceptance criteria on the pages: adding and editing them per role, the milestone page and the
board showing verified / not verified with the figure and when it was measured."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from assessments.models import AcceptanceCriterion, Milestone, Roadmap
from integration.lineprotocol import Point
from integration.models import Integration
from integration.services import telemetry_ingest
from tests.assessments.conftest import make_assessment, make_process
from tests.conftest import client_for

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def integration(org):
    return Integration.objects.create(
        organization=org, name="Press line 3 vibration", interval_seconds=60, created=NOW
    )


@pytest.fixture
def milestone(org, framework, owner, member, integration):
    """A milestone of the member's, on the press line process, which the integration serves."""
    process = make_process(org, "Press line 3 maintenance")
    process.integrations.add(integration)
    assessment = make_assessment(org, framework, title="Spring")
    roadmap = Roadmap.objects.create(
        organization=org, title="Plan", assessment=assessment, framework=framework
    )
    return Milestone.objects.create(
        roadmap=roadmap,
        title="Connect press line 3",
        process=process,
        owner=member,
        due_date=date(2026, 12, 1),
    )


def url(name, *args, org="acme"):
    return reverse(f"assessments:{name}", args=[org, *args])


def fresh_data(integration, age=timedelta(seconds=20)):
    point = Point("vibration.rms", (), NOW - age, 1.2)
    telemetry_ingest(integration=integration, points=[point], now=NOW)


FRESHNESS = {"kind": "freshness", "integration": "", "threshold": "60"}


def form_data(integration, **fields):
    return {**FRESHNESS, "integration": str(integration.pk), **fields}


# --- Editing, per role --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "consultant"])
def test_owners_and_consultants_add_a_criterion(role, request, milestone, integration):
    client = client_for(request.getfixturevalue(role))
    page = client.get(url("criterion-create", milestone.pk))
    assert page.status_code == 200
    assert "Press line 3 vibration (linked to the milestone&#x27;s process)" in page.text
    response = client.post(url("criterion-create", milestone.pk), form_data(integration))
    assert response.url == url("milestone-detail", milestone.pk)
    (criterion,) = milestone.criteria.all()
    assert (criterion.kind, criterion.threshold, criterion.integration) == (
        "freshness",
        60,
        integration,
    )


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_add_edit_or_remove_criteria(
    role, request, milestone, integration
):
    client = client_for(request.getfixturevalue(role))
    c = AcceptanceCriterion.objects.create(
        milestone=milestone, integration=integration, kind="freshness", threshold=60
    )
    assert client.get(url("criterion-create", milestone.pk)).status_code == 403
    data = form_data(integration, threshold="5")
    assert client.post(url("criterion-create", milestone.pk), data).status_code == 403
    assert client.post(url("criterion-edit", c.pk), data).status_code == 403
    assert client.post(url("criterion-remove", c.pk)).status_code == 403
    c.refresh_from_db()
    assert c.threshold == 60


def test_outsider_gets_404_for_criteria(milestone, integration, outsider):
    c = AcceptanceCriterion.objects.create(
        milestone=milestone, integration=integration, kind="freshness", threshold=60
    )
    client = client_for(outsider)
    assert client.get(url("criterion-edit", c.pk, org="globex")).status_code == 404
    assert client.post(url("criterion-remove", c.pk, org="globex")).status_code == 404
    assert AcceptanceCriterion.objects.exists()


def test_the_form_says_what_each_kind_is_missing(milestone, integration, owner):
    data = form_data(integration, kind="aggregate", threshold="4.5")
    response = client_for(owner).post(url("criterion-create", milestone.pk), data)
    assert response.status_code == 400
    html = response.text
    assert "Give the window in days (1 to 90)." in html
    assert "Name the metric to aggregate." in html
    assert "Choose average, minimum, maximum or sum." in html
    assert "Choose how the value compares with the threshold." in html
    response = client_for(owner).post(
        url("criterion-create", milestone.pk),
        form_data(integration, kind="uptime", window_days="30", threshold="101"),
    )
    assert "Give the uptime to reach as a percentage above 0, at most 100." in response.text
    assert not AcceptanceCriterion.objects.exists()


def test_only_the_organisations_integrations_can_be_chosen(
    milestone, integration, owner, other_org
):
    theirs = Integration.objects.create(organization=other_org, name="Globex POS sync")
    client = client_for(owner)
    assert "Globex POS sync" not in client.get(url("criterion-create", milestone.pk)).text
    response = client.post(url("criterion-create", milestone.pk), form_data(theirs))
    assert response.status_code == 400
    assert "Choose one of the organisation&#x27;s integrations." in response.text
    assert not AcceptanceCriterion.objects.exists()


def test_owner_edits_and_removes_a_criterion(milestone, integration, owner):
    c = AcceptanceCriterion.objects.create(
        milestone=milestone, integration=integration, kind="freshness", threshold=60
    )
    client = client_for(owner)
    assert client.get(url("criterion-edit", c.pk)).status_code == 200
    data = form_data(integration, kind="uptime", window_days="7", threshold="99")
    response = client.post(url("criterion-edit", c.pk), data)
    assert response.url == url("milestone-detail", milestone.pk)
    c.refresh_from_db()
    assert (c.kind, c.window_days, c.threshold) == ("uptime", 7, 99)
    assert client.get(url("criterion-remove", c.pk)).status_code == 405
    response = client.post(url("criterion-remove", c.pk))
    assert response.url == url("milestone-detail", milestone.pk)
    assert not AcceptanceCriterion.objects.exists()


# --- Verified or not, on the pages --------------------------------------------------------------


def test_milestone_page_checks_a_new_criterion_and_shows_the_figure(milestone, integration, viewer):
    fresh_data(integration)
    AcceptanceCriterion.objects.create(
        milestone=milestone, integration=integration, kind="freshness", threshold=60
    )
    html = client_for(viewer).get(url("milestone-detail", milestone.pk)).text
    assert '<span class="verify verify-verified"' in html
    assert "Last data 20 s ago ≤ 60 s" in html
    assert "measured 0\xa0minutes ago" in html
    assert "Measured 25 Nov 2026, 10:00" in html


def test_a_done_milestone_whose_criterion_fails_is_done_not_verified(
    milestone, integration, member, frozen
):
    fresh_data(integration)
    c = AcceptanceCriterion.objects.create(
        milestone=milestone, integration=integration, kind="freshness", threshold=60
    )
    milestone.set_status("done")
    milestone.save()
    client = client_for(member)
    assert "Done, not verified" not in client.get(url("milestone-detail", milestone.pk)).text
    frozen.shift(timedelta(minutes=20))  # no data since: stale, checked again on view
    html = client.get(url("milestone-detail", milestone.pk)).text
    assert "Done, not verified" in html
    assert "Last data 20 min ago; needs ≤ 60 s" in html
    c.refresh_from_db()
    assert c.last_passed is False


def test_a_recent_verdict_is_shown_without_reading_telemetry_again(milestone, integration, owner):
    c = AcceptanceCriterion.objects.create(
        milestone=milestone,
        integration=integration,
        kind="freshness",
        threshold=60,
        last_checked=NOW - timedelta(minutes=5),
        last_passed=True,
        last_value=12,
        last_explanation="last data 12 s ago ≤ 60 s",
    )
    html = client_for(owner).get(url("milestone-detail", milestone.pk)).text
    assert "Last data 12 s ago ≤ 60 s" in html  # kept, though no data was ever received
    c.refresh_from_db()
    assert c.last_checked == NOW - timedelta(minutes=5)


def test_board_shows_verified_and_done_not_verified_with_figures(
    milestone, integration, owner, member
):
    AcceptanceCriterion.objects.create(
        milestone=milestone,
        integration=integration,
        kind="uptime",
        window_days=30,
        threshold=99,
        last_checked=NOW - timedelta(minutes=3),
        last_passed=False,
        last_value=97.5,
        last_explanation="uptime 97.5 % over 30 days; needs ≥ 99 %",
    )
    milestone.set_status("done")
    milestone.save()
    html = client_for(owner).get(url("roadmap-board", milestone.roadmap_id)).text
    assert "Done, not verified" in html
    assert "Uptime 97.5 % over 30 days; needs ≥ 99 %" in html
    assert "measured 3\xa0minutes ago" in html
    # The htmx fragment after a status change shows it too; back in progress it is "not verified".
    response = client_for(member).post(
        url("milestone-status", milestone.pk), {"status": "in_progress"}, **HTMX
    )
    assert ">Not verified<" in response.text and "Done, not verified" not in response.text


def test_check_now_checks_again_however_recent(milestone, integration, member):
    c = AcceptanceCriterion.objects.create(
        milestone=milestone,
        integration=integration,
        kind="freshness",
        threshold=60,
        last_checked=NOW - timedelta(minutes=1),
        last_passed=True,
    )
    response = client_for(member).post(url("milestone-verify", milestone.pk))
    assert response.url == url("milestone-detail", milestone.pk)
    c.refresh_from_db()
    assert (c.last_passed, c.last_checked) == (False, NOW)  # nothing was ever received


def test_check_now_is_post_only_and_not_for_viewers(milestone, viewer, member):
    assert client_for(member).get(url("milestone-verify", milestone.pk)).status_code == 405
    assert client_for(viewer).post(url("milestone-verify", milestone.pk)).status_code == 403
