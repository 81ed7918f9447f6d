"""A process's integrations and their health (the roadmap's ×1.25 for shaky data); the pages
show claimed and verified levels; the roadmap puts claims above their verified level first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.evidence import process_evidence
from integration.models import Integration
from tests.assessments.conftest import answer_levels, make_assessment, make_process
from tests.assessments.evidence_helpers import accept_evidence
from tests.conftest import client_for


def make_integration(org, name, *, seen_ago=None):
    now = timezone.now()
    return Integration.objects.create(
        organization=org,
        name=name,
        interval_seconds=60,
        grace_seconds=60,
        last_seen=now - seen_ago if seen_ago is not None else None,
    )


@pytest.fixture
def process(org):
    return make_process(org, "Press line")


def evidence_for(process):
    return process_evidence(processes=[process], now=timezone.now())[process.pk]


def test_a_process_with_an_integration_up_has_none_down(org, process):
    process.integrations.add(make_integration(org, "Vibration", seen_ago=timedelta(seconds=10)))
    assert not evidence_for(process).any_down


def test_a_process_with_an_integration_down_or_never_seen(org, process):
    process.integrations.add(make_integration(org, "Vibration", seen_ago=timedelta(days=3)))
    process.integrations.add(make_integration(org, "Historian"))
    evidence = evidence_for(process)
    assert evidence.any_down
    assert [i.name for i, _ in evidence.integrations] == ["Historian", "Vibration"]


def test_a_process_without_integrations_has_none_down(process):
    assert evidence_for(process).integrations == []
    assert not evidence_for(process).any_down


def test_the_overview_and_the_process_page_show_claimed_and_verified(
    org, owner, framework, process
):
    process.integrations.add(make_integration(org, "Vibration", seen_ago=timedelta(days=3)))
    assessment = make_assessment(org, framework, [process])
    score = assessment.process_scores.get()
    answer_levels(score, owner, {1: "fully", 2: "fully"})
    client = client_for(owner)
    detail = client.get(reverse("assessments:assessment-detail", args=[org.slug, assessment.pk]))
    html = detail.content.decode()
    assert "Not backed by live data" not in html  # the overview shows verified levels instead
    assert "below the claimed 2" in html
    page = client.get(
        reverse("assessments:process-score", args=[org.slug, assessment.pk, score.pk])
    ).content.decode()
    assert "is not backed by live data" not in page
    assert "Level 2 is claimed; data and accepted evidence verify level 0." in page


def test_process_form_offers_only_own_integrations(org, other_org, owner, process):
    theirs = make_integration(other_org, "Their line")
    url = reverse("assessments:process-edit", args=[org.slug, process.pk])
    response = client_for(owner).post(
        url,
        {
            "name": "Press line",
            "area": "manufacturing",
            "business_value": 3,
            "integrations": [theirs.pk],
        },
    )
    assert response.status_code == 400
    assert not process.integrations.exists()


def test_roadmap_priority_puts_unverified_claims_first(org, owner, framework):
    from datetime import date

    from assessments.roadmaps.generate import roadmap_generate

    verified = make_process(org, "Verified", value=2)
    claimed = make_process(org, "Claimed", value=2)
    shaky = make_process(org, "Shaky", value=2)
    live = make_integration(org, "Live", seen_ago=timedelta(seconds=5))
    for process in (verified, claimed):  # an integration up: only the verification differs
        process.integrations.add(live)
    shaky.integrations.add(make_integration(org, "Dead", seen_ago=timedelta(days=3)))
    assessment = make_assessment(org, framework, [verified, claimed, shaky])
    for score in assessment.process_scores.all():
        answer_levels(score, owner, {1: "fully", 2: "fully"})
        score.target_level = 3
        score.save()
        if score.process != claimed:
            accept_evidence(score, owner, [1, 2])  # verified level 2, as claimed
    roadmap = roadmap_generate(
        assessment=assessment, user=owner, start_date=date(2027, 1, 1), capacity=5
    )
    steps = {m.process.name: m for m in roadmap.milestones.filter(kind="step")}
    # gap weight (1 + 3 - 2)^2 - 1 = 3, business value 2: 6; × 1.5 for a claim above its
    # verified level, × 1.25 for an integration down behind a verified one
    assert steps["Verified"].priority == 6
    assert steps["Claimed"].priority == 9
    assert steps["Shaky"].priority == 7.5
    assert "telemetry health 1.5" in steps["Claimed"].priority_explanation
    assert "telemetry health 1.25" in steps["Shaky"].priority_explanation
