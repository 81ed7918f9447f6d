"""The dashboard: the charts' numbers are the figures' numbers (the comparison page:
test_compare_page)."""

import json
import re

import pytest
from django.urls import reverse

from assessments.figures import assessment_figures
from assessments.models import (
    CriterionAgreement,
    ExcludedDimension,
    ReadinessAgreement,
)
from assessments.scoring import format_figure
from integration.models import Integration
from tests.assessments.conftest import (
    answer_dimension,
    answer_levels,
    make_assessment,
    make_process,
)
from tests.conftest import client_for

JSON_SCRIPT = re.compile(r'<script id="([\w-]+)" type="application/json">(.*?)</script>', re.S)


def dashboard_url(assessment):
    return reverse(
        "assessments:assessment-dashboard", args=[assessment.organization.slug, assessment.pk]
    )


def compare_url(org, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("assessments:assessment-compare", args=[org.slug]) + (
        f"?{query}" if query else ""
    )


def embedded_charts(response) -> dict:
    """The Plotly figures the page embeds with json_script, by element id."""
    return {i: json.loads(text) for i, text in JSON_SCRIPT.findall(response.content.decode())}


def trace(figure, name):
    return next(t for t in figure["data"] if t.get("name") == name)


@pytest.fixture
def scored(org, framework, owner, member):
    """Two processes, two assessors who disagree on a few answers, one settled by the owner."""
    press = make_process(org, "Press line", value=1)
    stock = make_process(org, "Stock counts", area="retail", value=3)
    assessment = make_assessment(org, framework, [press, stock])
    press_score, stock_score = assessment.process_scores.order_by("process__name")
    answer_levels(press_score, owner, {1: "fully", 2: "largely", 3: "partial"})
    answer_levels(press_score, member, {1: "partial"})
    answer_levels(stock_score, owner, {1: "fully"})
    answer_levels(stock_score, member, {1: "fully"})
    first = framework.definition.criteria_for("manufacturing", 1)[0]
    CriterionAgreement.objects.create(
        process_score=press_score, criterion_key=first.key, status="fully", reason="Seen the MES"
    )
    press_score.target_level = 4
    press_score.save()
    stock_score.target_level = 3
    stock_score.save()
    answer_dimension(assessment, owner, "connectivity", it=3, ot=1)
    answer_dimension(assessment, member, "connectivity", it=2, ot=1)
    question = framework.definition.dimension("connectivity").questions[0]
    ReadinessAgreement.objects.create(
        assessment=assessment, question_key=question.key, side="it", value=3, reason="Checked"
    )
    answer_dimension(assessment, owner, "security", it=2, ot=4)
    ExcludedDimension.objects.create(
        assessment=assessment, dimension_key="collaboration", reason="No OT team yet"
    )
    return assessment


# --- Dashboard -------------------------------------------------------------------------------


def test_dashboard_shows_the_headline_figures(scored, member):
    response = client_for(member).get(dashboard_url(scored))
    assert response.status_code == 200
    figures = assessment_figures(scored)
    html = response.content.decode()
    for name in ("samr_index", "target_index", "overall_readiness", "convergence_gap"):
        shown = format_figure(getattr(figures, name))
        assert f'data-figure="{name}">{shown}<' in html, name
    assert f'data-figure="progress">{figures.progress}' in html
    assert f'data-figure="disputed">{len(figures.disputed)}<' in html
    assert len(figures.disputed) > 0


def test_heatmap_and_gap_bars_carry_the_process_figures(scored, member):
    charts = embedded_charts(client_for(member).get(dashboard_url(scored)))
    figures = assessment_figures(scored)
    heat = charts["chart-heatmap"]
    assert heat["data"][0]["y"] == [p.process.name for p in figures.processes]
    current = trace(heat, "Current level")
    assert [int(x.split()[0]) for x in current["x"]] == [p.current for p in figures.processes]
    target = trace(heat, "Target level")
    assert [int(x.split()[0]) for x in target["x"]] == [p.target for p in figures.processes]

    bars = charts["chart-gaps"]["data"][0]
    by_value = sorted(
        figures.processes, key=lambda p: (-p.process.business_value, -p.gap, p.process.name)
    )
    assert bars["y"] == [p.process.name for p in by_value]
    assert bars["x"] == [p.gap for p in by_value]


def test_radar_carries_it_and_ot_readiness_of_dimensions_in_scope(scored, member):
    radar = embedded_charts(client_for(member).get(dashboard_url(scored)))["chart-radar"]
    figures = assessment_figures(scored)
    in_scope = [d for d in figures.dimensions if d.in_scope]
    it, ot = radar["data"]
    assert [t.replace("<br>", " ") for t in it["theta"][:-1]] == [
        d.dimension.name for d in in_scope
    ]
    assert it["r"][:-1] == [d.figures.it for d in in_scope]
    assert ot["r"][:-1] == [d.figures.ot for d in in_scope]
    assert "IT/OT collaboration" not in json.dumps(radar)  # out of scope


def test_spread_charts_show_where_assessors_differ(scored, member):
    response = client_for(member).get(dashboard_url(scored))
    charts = embedded_charts(response)
    criteria = charts["chart-spread-criteria"]
    disputed = trace(criteria, "Still disputed")["y"]
    settled = trace(criteria, "Settled by the facilitator")["y"]
    assert disputed == ["Press line · L1.2", "Press line · L1.3"]
    assert settled == ["Press line · L1.1"]
    readiness = charts["chart-spread-readiness"]
    questions = len(scored.framework.definition.dimension("connectivity").questions)
    assert len(trace(readiness, "Still disputed")["y"]) == questions - 1
    assert trace(readiness, "Answer that counts")["x"] == [3]
    # the same in the figures table, for people who do not read charts
    assert "Press line · L1.2" in response.content.decode()


def test_figures_table_names_the_levels(scored, member):
    html = client_for(member).get(dashboard_url(scored)).content.decode()
    press = re.search(r'<th scope="row" hx-disable>Press line</th>(.*?)</tr>', html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", press)]
    # value 1; level 0 while level 1 is disputed (verified 0 too); target 4; gap 4, weight
    # (1 + 4)^2 - 1
    assert cells == ["1", "0 Manual", "0", "4 Redefinition", "4", "24"]


def test_page_loads_plotly_from_our_static_files_and_runs_no_inline_script(scored, member):
    html = client_for(member).get(dashboard_url(scored)).content.decode()
    assert "/static/vendor/plotly.min.js" in html
    assert "/static/js/charts.js" in html
    # Every script and stylesheet is ours (a random CSP nonce may spell "cdn",
    # so the test reads the addresses rather than searching the page).
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    ids = {i for i in re.findall(r'data-chart="([\w-]+)"', html)}
    assert ids == {i for i, _ in JSON_SCRIPT.findall(html)}


def test_dashboard_of_an_empty_assessment_explains_instead_of_drawing(org, framework, owner):
    assessment = make_assessment(org, framework)
    response = client_for(owner).get(dashboard_url(assessment))
    assert response.status_code == 200
    assert embedded_charts(response) == {}
    html = response.content.decode()
    assert "No processes in scope." in html
    assert "No readiness answers count yet" in html


def test_any_member_may_view_the_dashboard(scored, viewer, consultant):
    for user in (viewer, consultant):
        assert client_for(user).get(dashboard_url(scored)).status_code == 200


def test_dashboard_is_read_only(scored, owner):
    assert client_for(owner).post(dashboard_url(scored)).status_code == 405


def test_outsider_gets_404_for_the_dashboard(scored, outsider, other_org):
    client = client_for(outsider)
    assert client.get(dashboard_url(scored)).status_code == 404
    own_org_url = reverse("assessments:assessment-dashboard", args=[other_org.slug, scored.pk])
    assert client.get(own_org_url).status_code == 404


def test_dashboard_takes_a_fixed_number_of_queries(
    org, framework, owner, member, django_assert_num_queries
):
    """Session, user, membership, the assessment, six for the figures, two for the live data
    (the processes' integrations, their status changes), the org switcher, and three to save
    the session's last organisation: the same for one process or six."""
    small = make_assessment(org, framework, [make_process(org, "P0")], title="Small")
    big = make_assessment(
        org, framework, [make_process(org, f"P{i}", area="logistics") for i in range(1, 7)]
    )
    for assessment in (small, big):
        for score in assessment.process_scores.all():
            feed = Integration.objects.create(organization=org, name=f"Feed {score.pk}")
            score.process.integrations.add(feed)
            answer_levels(score, owner, {1: "fully", 2: "partial"})
            answer_levels(score, member, {1: "largely"})
        answer_dimension(assessment, owner, "connectivity", it=3, ot=1)
        answer_dimension(assessment, member, "connectivity", it=2, ot=1)
    client = client_for(owner)
    client.get(dashboard_url(small))  # the first visit stores the organisation in the session
    for assessment in (small, big):
        with django_assert_num_queries(14):  # verification: checks, evidence, accepted N/A
            assert client.get(dashboard_url(assessment)).status_code == 200
