"""The comparison page: assessments of one organisation side by side, their charts' numbers
the figures' numbers (the dashboard: test_dashboard)."""

import datetime
import json
import re

import pytest

from assessments.models import (
    Assessment,
)
from tests.assessments.conftest import (
    answer_dimension,
    answer_levels,
    make_assessment,
    make_process,
)
from tests.assessments.evidence_helpers import accept_evidence
from tests.assessments.test_dashboard import compare_url, dashboard_url, embedded_charts
from tests.conftest import client_for


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
