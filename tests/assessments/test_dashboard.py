"""The dashboard and the comparison page: the charts' numbers are the figures' numbers."""

import datetime
import json
import re

import pytest
from django.urls import reverse

from assessments.figures import assessment_figures
from assessments.models import (
    Assessment,
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
from tests.assessments.evidence_helpers import accept_evidence
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


# --- Compare ---------------------------------------------------------------------------------


@pytest.fixture
def two(org, framework, owner):
    """A baseline and a current assessment with changes up and down, and a process in only one."""
    press = make_process(org, "Press line")
    stock = make_process(org, "Stock counts", area="retail")
    ledger = make_process(org, "Ledger", area="finance")
    dispatch = make_process(org, "Dispatch", area="logistics")
    before = make_assessment(
        org, framework, [press, stock, ledger], title="Baseline",
        assessed_on=datetime.date(2025, 10, 1),
    )  # fmt: skip
    after = make_assessment(
        org, framework, [press, stock, dispatch], title="Current",
        assessed_on=datetime.date(2026, 1, 15),
    )  # fmt: skip
    levels = {
        before: {press: {1: "fully"}, stock: {1: "fully", 2: "fully"}, ledger: {1: "fully"}},
        after: {press: {1: "fully", 2: "fully", 3: "largely"}, stock: {1: "fully"}},
    }
    for assessment, by_process in levels.items():
        for score in assessment.process_scores.select_related("process"):
            answer_levels(score, owner, by_process.get(score.process, {}))
    answer_dimension(before, owner, "connectivity", it=1, ot=2)
    answer_dimension(after, owner, "connectivity", it=3, ot=1)
    answer_dimension(before, owner, "security", it=2, ot=2)
    answer_dimension(after, owner, "security", it=2, ot=2)
    return before, after


def test_compare_shows_changes_per_process_and_dimension(two, member, org):
    before, after = two
    response = client_for(member).get(compare_url(org, a=before.pk, b=after.pk))
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert [(r.name, r.before, r.after, r.delta) for r in comparison.processes] == [
        ("Ledger", 1, None, None),
        ("Press line", 1, 3, 2.0),
        ("Stock counts", 2, 1, -1.0),
        ("Dispatch", None, 0, None),
    ]
    connectivity = next(d for d in comparison.dimensions if d.key == "connectivity")
    assert (connectivity.it.delta, connectivity.ot.delta) == (2.0, -1.0)
    html = response.content.decode()
    assert "Baseline (01 Oct 2025)" in html and "Current (15 Jan 2026)" in html
    assert "−1" in html and "+2" in html


def test_compare_shows_verified_levels_and_index_beside_the_claimed(two, owner, member, org):
    """Evidence belongs to a process: Press line's level 1 and Stock counts' levels 1 and 2
    are evidenced in both assessments, nothing else is verified."""
    before, after = two
    accept_evidence(before.process_scores.get(process__name="Press line"), owner, [1])
    accept_evidence(before.process_scores.get(process__name="Stock counts"), owner, [1, 2])
    response = client_for(member).get(compare_url(org, a=before.pk, b=after.pk))
    verified = {row.name: (v.before, v.after) for row, v in response.context["process_rows"]}
    assert verified == {
        "Ledger": (0, None),
        "Press line": (1, 1),  # claimed 1 then 3: verified stays 1
        "Stock counts": (2, 1),
        "Dispatch": (None, 0),
    }
    [index] = [r for r in response.context["headline"] if r.name == "Verified index"]
    assert (index.before_display, index.after_display) == ("1.00", "0.67")
    html = response.content.decode()
    press = html[html.index("Press line</th>") : html.index("</tr>", html.index("Press line</th>"))]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", press)]
    assert cells == ["1", "3", "+2", "1", "1", "0"]  # claimed before, after, change; verified


def test_compare_ranks_most_improved_and_most_concerning(two, member, org):
    before, after = two
    comparison = (
        client_for(member).get(compare_url(org, a=before.pk, b=after.pk)).context["comparison"]
    )
    press = f"process:{after.process_scores.get(process__name='Press line').process_id}"
    stock = f"process:{after.process_scores.get(process__name='Stock counts').process_id}"
    assert [r.key for r in comparison.improved] == ["it:connectivity", press]
    assert [r.key for r in comparison.concerning] == ["ot:connectivity", stock]


def test_compare_embeds_grouped_bars_with_the_same_numbers(two, member, org):
    before, after = two
    response = client_for(member).get(compare_url(org, a=before.pk, b=after.pk))
    charts = embedded_charts(response)
    processes = charts["chart-compare-processes"]
    assert processes["layout"]["barmode"] == "group"
    old, new = processes["data"]
    assert old["y"] == ["Ledger", "Press line", "Stock counts", "Dispatch"]
    assert (old["x"], new["x"]) == ([1, 1, 2, None], [None, 3, 1, 0])
    dimensions = charts["chart-compare-dimensions"]
    assert len(dimensions["data"]) == 4  # IT before/after, OT before/after
    assert "/static/vendor/plotly.min.js" in response.content.decode()


def test_compare_without_a_choice_compares_the_latest_two_and_says_they_are_drafts(
    two, member, org
):
    before, after = two  # neither is final
    response = client_for(member).get(compare_url(org))
    assert response.status_code == 200
    assert (response.context["a"], response.context["b"]) == (str(before.pk), str(after.pk))
    assert (response.context["before"], response.context["after"]) == (before, after)
    html = response.content.decode()
    assert f'<option value="{after.pk}" selected>' in html
    assert "/static/vendor/plotly.min.js" in html  # the comparison itself, charts and all
    assert (
        "Not final yet: <strong>Baseline</strong> is a draft and <strong>Current</strong> is a "
        "draft, so their figures can still change."
    ) in html


def dated(org, framework, title, day, state="draft"):
    assessment = make_assessment(org, framework, title=title, assessed_on=day)
    Assessment.objects.filter(pk=assessment.pk).update(state=state)
    return assessment


def test_compare_opens_with_the_latest_final_and_the_newest_after_it(org, framework, member):
    dated(org, framework, "Old final", datetime.date(2025, 1, 10), "final")
    final = dated(org, framework, "Autumn final", datetime.date(2025, 10, 1), "final")
    dated(org, framework, "Early draft", datetime.date(2025, 11, 1))
    newest = dated(org, framework, "Spring", datetime.date(2026, 3, 1), "review")
    response = client_for(member).get(compare_url(org))
    assert (response.context["before"], response.context["after"]) == (final, newest)
    html = response.content.decode()
    assert "Not final yet: <strong>Spring</strong> is in review, so its figures can" in html
    assert '<span class="state state-review">In review</span>' in html


def test_compare_opens_with_the_two_latest_finals_when_the_newest_is_final(org, framework, member):
    older = dated(org, framework, "Spring final", datetime.date(2025, 4, 1), "final")
    dated(org, framework, "Abandoned draft", datetime.date(2025, 6, 1))
    newest = dated(org, framework, "Autumn final", datetime.date(2025, 10, 1), "final")
    response = client_for(member).get(compare_url(org))
    assert (response.context["before"], response.context["after"]) == (older, newest)
    assert "Not final yet" not in response.content.decode()


def test_compare_with_one_assessment_says_two_are_needed(org, framework, member):
    dated(org, framework, "Only one", datetime.date(2025, 4, 1), "final")
    response = client_for(member).get(compare_url(org))
    assert response.status_code == 200
    assert "Comparing needs two assessments; this organisation has 1." in response.text
    assert "comparison" not in response.context


def test_compare_from_a_dashboard_preselects_that_assessment(two, member, org):
    before, after = two
    response = client_for(member).get(compare_url(org, b=before.pk))
    assert response.status_code == 200
    assert (response.context["a"], response.context["b"]) == (str(after.pk), str(before.pk))


@pytest.mark.parametrize(
    "params,message",
    [
        ("same", "Choose two different assessments"),
        ("text", "Assessments are chosen by their number"),
    ],
)
def test_compare_refuses_a_bad_pair_with_400(two, member, org, params, message):
    before, after = two
    query = {"same": {"a": before.pk, "b": before.pk}, "text": {"a": "x", "b": after.pk}}[params]
    response = client_for(member).get(compare_url(org, **query))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "comparison" not in response.context


def test_compare_missing_or_foreign_assessment_is_404(
    two, member, org, other_org, framework, outsider
):
    before, _ = two
    foreign = make_assessment(other_org, framework, title="Theirs")
    client = client_for(member)
    assert client.get(compare_url(org, a=before.pk, b=999999)).status_code == 404
    assert client.get(compare_url(org, a=foreign.pk, b=before.pk)).status_code == 404
    # and the other way round: the outsider cannot reach ours from their organisation
    url = compare_url(other_org, a=foreign.pk, b=before.pk)
    assert client_for(outsider).get(url).status_code == 404


def test_outsider_gets_404_for_compare(two, outsider, org):
    before, after = two
    assert client_for(outsider).get(compare_url(org, a=before.pk, b=after.pk)).status_code == 404


def test_compare_is_read_only(two, owner, org):
    before, after = two
    assert client_for(owner).post(compare_url(org, a=before.pk, b=after.pk)).status_code == 405


def test_compare_takes_a_fixed_number_of_queries(two, owner, org, django_assert_num_queries):
    """As the dashboard's, plus the picker's list and the second assessment with its figures;
    each assessment's verification (checks, evidence, accepted N/A) three more."""
    before, after = two
    client = client_for(owner)
    with django_assert_num_queries(28):
        assert client.get(compare_url(org, a=before.pk, b=after.pk)).status_code == 200


def table_row(html, name) -> str:
    th = html.index(f'<th scope="row" hx-disable>{name}</th>')
    return html[html.rindex("<tr", 0, th) : html.index("</tr>", th)]


def test_dashboard_shows_claimed_and_verified_levels(org, framework, owner, member):
    """Press line claims level 2, nothing verified (no check bound, no evidence); Stores claims
    level 2 with accepted evidence for all of it; Paint shop claims level 1, verified."""
    press, stores, paint = (make_process(org, n) for n in ("Press line", "Stores", "Paint shop"))
    assessment = make_assessment(org, framework, [press, stores, paint])
    for score in assessment.process_scores.select_related("process"):
        levels = [1] if score.process == paint else [1, 2]
        answer_levels(score, owner, dict.fromkeys(levels, "fully"))
        if score.process != press:
            accept_evidence(score, owner, levels)
    html = client_for(member).get(dashboard_url(assessment)).content.decode()
    rows = {name: table_row(html, name) for name in ("Press line", "Stores", "Paint shop")}
    assert '<tr class="flagged">' in rows["Press line"]
    assert '<td data-verified><span class="level level-0">0</span>' in rows["Press line"]
    assert "below the claimed 2" in rows["Press line"]
    assert '<td data-verified><span class="level level-2">2</span></td>' in rows["Stores"]
    assert '<td data-verified><span class="level level-1">1</span></td>' in rows["Paint shop"]
    for name in ("Stores", "Paint shop"):
        assert "flagged" not in rows[name]
    assert "Not backed by live data" not in html
    assert '<h3 id="claims-title">Claimed above verified</h3>' in html
    assert (
        "<li><strong hx-disable>Press line:</strong> claims level 2 Augmentation, verified level 0"
    ) in html
    # The verified index (value-weighted, all values 3): (0 + 2 + 1) / 3 = 1.00, claimed 1.67.
    assert re.search(r'data-figure="verified_index">1\.00<', html)
    assert re.search(r'data-figure="samr_index">1\.67<', html)
    # The phone ladder marks the claimed but unverified cells in words, with a legend.
    assert html.count('<span class="heat-unverified-mark">not verified</span>') == 2
    assert "“not verified”: claimed, above the verified level" in html
    chart = json.loads(re.search(r'id="chart-heatmap"[^>]*>(.*?)</script>', html, re.S)[1])
    assert any(t.get("name") == "Claimed, not verified" for t in chart["data"])


def test_a_dashboard_without_claims_above_verified_has_no_such_note(org, framework, owner, member):
    assessment = make_assessment(org, framework, [make_process(org, "Press line")])
    score = assessment.process_scores.get()
    answer_levels(score, owner, {1: "fully"})
    accept_evidence(score, owner, [1])
    html = client_for(member).get(dashboard_url(assessment)).content.decode()
    assert "Claimed above verified" not in html
    assert "flagged" not in html
    assert "heat-unverified-mark" not in html


def test_compare_says_when_a_final_has_no_recorded_verification(two, member, org):
    before, after = two
    before.finalize()  # finalized without a verification snapshot
    response = client_for(member).get(compare_url(org, a=before.pk, b=after.pk))
    html = response.content.decode()
    note = re.search(r'data-note="unrecorded"[^>]*>(.*?)</p>', html, re.S)[1]
    assert "<strong>Baseline</strong>" in note and "Current" not in note
    [index] = [r for r in response.context["headline"] if r.name == "Verified index"]
    assert index.before is None and index.after == 0.0  # nothing verified in the draft
