"""The organisation's overview (home) and an assessment's overview, with its claimed and
verified levels side by side."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.figures import assessment_figures
from assessments.models.verification import ProcessCheck
from assessments.verified.bindings import check_bind
from assessments.verified.status import assessment_verification
from integration.models import Integration
from tests.assessments.conftest import answer_levels, make_assessment, make_process
from tests.assessments.evidence_helpers import accept_evidence
from tests.conftest import client_for


def test_overview_shows_the_latest_assessment_figures(
    org, owner, framework, django_assert_max_num_queries
):
    assessment = make_assessment(
        org, framework, [make_process(org, "Press line", value=2)], title="Autumn"
    )
    answer_levels(assessment.process_scores.get(), owner, {1: "fully", 2: "fully"})
    client = client_for(owner)
    with django_assert_max_num_queries(23):  # verification (checks, evidence, N/A), drops
        response = client.get(reverse("org-home", args=[org.slug]))
    body = response.content.decode()
    assert "Autumn" in body
    assert '<span class="figure-value">2.00</span>' in body  # one process at level 2


def test_overview_without_assessments_says_where_to_start(org, owner):
    body = client_for(owner).get(reverse("org-home", args=[org.slug])).content.decode()
    assert "Start here" in body


# --- The assessment overview: claimed and verified side by side -----------------------------

CHECK = "mfg-2-machine-data-arrives"  # bound to criterion mfg-2-machine-data


def bound_check(score, owner, *, state, failing_for=None):
    """The uptime check of `score`'s process bound to an integration, its latest result
    `state` (failing for `failing_for`), judged just now."""
    integration = Integration.objects.create(organization=score.process.organization, name="Line")
    framework = score.assessment.framework
    check_bind(
        process=score.process,
        framework=framework,
        check_key=CHECK,
        role=framework.definition.check(CHECK).roles[0],
        integration=integration,
        user=owner,
    )
    now = timezone.now()
    ProcessCheck.objects.filter(process=score.process, check_key=CHECK).update(
        state=state, evaluated=now, failing_since=now - failing_for if failing_for else None
    )


def detail_html(owner, assessment) -> str:
    url = reverse(
        "assessments:assessment-detail", args=[assessment.organization.slug, assessment.pk]
    )
    return client_for(owner).get(url).content.decode()


def process_row(html, name) -> str:
    at = html.index(f"<strong>{name}</strong>")
    return html[html.rindex("<tr", 0, at) : html.index("</tr>", at)]


@pytest.mark.parametrize(
    "state,failing_for,verified",
    [
        ("passing", None, 2),  # the check holds: the level rests on data and evidence
        ("failing", timedelta(days=2), 2),  # within its 7 days of grace: still holds
        ("failing", timedelta(days=10), 1),  # overdue: evidence cannot stand in for the data
    ],
)
def test_overview_shows_the_verified_level_beside_the_claimed_one(
    org, owner, framework, state, failing_for, verified
):
    assessment = make_assessment(org, framework, [make_process(org, "Press line")])
    score = assessment.process_scores.get()
    answer_levels(score, owner, {1: "fully", 2: "fully"})
    accept_evidence(score, owner, [1, 2])
    bound_check(score, owner, state=state, failing_for=failing_for)
    html = detail_html(owner, assessment)
    row = process_row(html, "Press line")
    assert '<span class="level level-2">2</span></td>' in row  # claimed
    assert f'<td data-verified><span class="level level-{verified}">{verified}</span>' in row
    assert ("below the claimed 2" in row) == (verified < 2)
    assert ('class="flagged"' in row) == (verified < 2)
    # the check's criterion rests on data while the check holds, on the claim once overdue
    basis = "1 on data · 5 on evidence · 0 on the claim" if verified == 2 else "0 on data"
    assert basis in row
    figure = re.search(r'data-figure="verified_index">.*?figure-value">([^<]+)<', html)[1]
    assert figure == f"{verified}.00"


def test_overview_lists_the_claims_above_verified_once_with_unbound_checks(org, owner, framework):
    press, stock = make_process(org, "Press line"), make_process(org, "Stock counts")
    assessment = make_assessment(org, framework, [press, stock])
    for score in assessment.process_scores.select_related("process"):
        answer_levels(score, owner, {1: "fully", 2: "fully"})
    accept_evidence(assessment.process_scores.get(process=stock), owner, [1, 2])  # unbound
    html = detail_html(owner, assessment)
    assert "Not backed by live data" not in html
    note = re.search(r'data-note="above-verified">(.*?)</p>', html, re.S)[1]
    assert "1 of 2 processes</strong> claims a level above what is verified" in note
    assert "Press line" in note and "Stock counts" not in note
    assert "below the claimed 2" in process_row(html, "Press line")
    assert "below the claimed" not in process_row(html, "Stock counts")
    # value-weighted (both 3): claimed (2 + 2) / 2, verified (0 + 2) / 2
    assert re.search(r'verified_index">.*?figure-value">1\.00<.*?claimed 2\.00<', html, re.S)


def test_a_final_without_recorded_verification_says_so(org, owner, framework):
    assessment = make_assessment(org, framework, [make_process(org, "Press line")])
    answer_levels(assessment.process_scores.get(), owner, {1: "fully"})
    assessment.finalize()
    row = process_row(detail_html(owner, assessment), "Press line")
    assert "not recorded" in row and "below the claimed" not in row


def test_pages_without_the_history_strip_skip_reading_it(org, owner, framework):
    assessment = make_assessment(org, framework, [make_process(org, "Press line")])
    score = assessment.process_scores.get()
    answer_levels(score, owner, {1: "fully", 2: "fully"})
    bound_check(score, owner, state="passing")
    figures = assessment_figures(assessment)
    counts = {}
    for history in (True, False):
        with CaptureQueriesContext(connection) as queries:
            verification = assessment_verification(figures, now=timezone.now(), history=history)
        counts[history] = len(queries)
        assert verification.of(score.process_id).claimed == 2
    assert counts[False] == counts[True] - 1  # the check results of the last 30 days
