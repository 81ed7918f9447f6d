import re

import pytest
from django.urls import reverse

from assessments.figures import assessment_figures
from assessments.models import (
    CriterionAgreement,
    CriterionAnswer,
    ReadinessAgreement,
    ReadinessAnswer,
)
from tests.assessments.conftest import (
    answer_dimension,
    answer_levels,
    make_assessment,
    make_process,
)
from tests.conftest import client_for

HX = {"HX-Request": "true"}


@pytest.fixture
def disputed(org, framework, owner, member):
    assessment = make_assessment(org, framework, [make_process(org, "Press line")])
    score = assessment.process_scores.get()
    answer_levels(score, owner, {1: "fully"})
    answer_levels(score, member, {1: "partial"})
    answer_dimension(assessment, owner, "security", it=3, ot=1)
    answer_dimension(assessment, member, "security", it=3, ot=2)
    return assessment


def page_url(org, assessment):
    return reverse("assessments:assessment-agreement", args=[org.slug, assessment.pk])


def set_url(org, assessment):
    return reverse("assessments:assessment-agreement-set", args=[org.slug, assessment.pk])


def test_facilitator_sees_the_spread_per_question(org, consultant, disputed, owner, member):
    body = client_for(consultant).get(page_url(org, disputed)).content.decode()
    criterion = disputed.framework.definition.criteria_for("manufacturing", 1)[0]
    assert criterion.text in body
    assert (
        f"{owner}: <strong>Fully</strong>" in body
        and f"{member}: <strong>Partially</strong>" in body
    )
    assert '<strong class="warn">1–3</strong>' in body  # partial (1) to fully (3)
    assert '<strong class="warn">1–2</strong>' in body  # OT security answers 1 and 2


def test_agreement_page_is_for_facilitators(org, member, disputed):
    assert client_for(member).get(page_url(org, disputed)).status_code == 403


def test_agreeing_a_criterion_keeps_the_reason_and_feeds_the_figures(org, consultant, disputed):
    score = disputed.process_scores.get()
    criteria = disputed.framework.definition.criteria_for("manufacturing", 1)
    assert assessment_figures(disputed).processes[0].current == 0
    client = client_for(consultant)
    for criterion in criteria:
        response = client.post(
            set_url(org, disputed),
            {
                "kind": "criterion",
                "item_key": f"c-{score.pk}-{criterion.key}",
                "score_id": score.pk,
                "criterion_key": criterion.key,
                "status": "largely",
                "reason": "Saw the MES screens on site",
            },
            headers=HX,
        )
        assert response.status_code == 200
        assert "Saved" in response.content.decode()
    agreement = CriterionAgreement.objects.get(criterion_key=criteria[0].key)
    assert (agreement.status, agreement.reason, agreement.agreed_by) == (
        "largely",
        "Saw the MES screens on site",
        consultant,
    )
    assert assessment_figures(disputed).processes[0].current == 1


def test_agreeing_readiness_needs_a_reason(org, owner, disputed):
    question = disputed.framework.definition.dimension("security").questions[0]
    data = {
        "kind": "readiness",
        "item_key": f"r-{question.key}-ot",
        "question_key": question.key,
        "side": "ot",
        "value": "2",
    }
    response = client_for(owner).post(set_url(org, disputed), data, headers=HX)
    assert response.status_code == 400
    assert "Reason: This field is required" in response.content.decode()
    assert not ReadinessAgreement.objects.exists()
    client_for(owner).post(set_url(org, disputed), {**data, "reason": "OT lead's view"}, headers=HX)
    assert ReadinessAgreement.objects.get().value == 2
    security = next(
        d for d in assessment_figures(disputed).dimensions if d.dimension.key == "security"
    )
    assert security.figures.ot == 2  # agreed question at 2, the others disputed are left out


def test_agreement_on_a_foreign_process_score_is_404(org, other_org, framework, owner, disputed):
    theirs = make_assessment(other_org, framework, [make_process(other_org, "Their line")])
    score = theirs.process_scores.get()
    response = client_for(owner).post(
        set_url(org, disputed),
        {
            "kind": "criterion",
            "score_id": score.pk,
            "criterion_key": "x",
            "status": "fully",
            "reason": "r",
        },
    )
    assert response.status_code == 404


def test_final_assessment_refuses_agreement(org, owner, disputed):
    disputed.finalize()
    question = disputed.framework.definition.dimension("security").questions[0]
    response = client_for(owner).post(
        set_url(org, disputed),
        {
            "kind": "readiness",
            "question_key": question.key,
            "side": "it",
            "value": "1",
            "reason": "r",
        },
        headers=HX,
    )
    assert response.status_code == 409
    assert not ReadinessAgreement.objects.exists()


# --- Each assessor's reasons, the way through the disputes, counters that follow (issue 13.8) --


def test_each_answer_shows_its_assessors_rationale_and_evidence(org, consultant, disputed, owner):
    score = disputed.process_scores.get()
    criterion = disputed.framework.definition.criteria_for("manufacturing", 1)[0]
    CriterionAnswer.objects.filter(
        process_score=score, assessor=owner, criterion_key=criterion.key
    ).update(rationale="MES <b>live</b> on line 3", evidence_url="https://wiki.example/mes")
    ReadinessAnswer.objects.filter(assessment=disputed, assessor=owner, side="ot").update(
        comment="Firewall rules reviewed"
    )
    body = client_for(consultant).get(page_url(org, disputed)).content.decode()
    assert "“MES &lt;b&gt;live&lt;/b&gt; on line 3”" in body
    assert 'href="https://wiki.example/mes" rel="noopener noreferrer"' in body
    assert "“Firewall rules reviewed”" in body


def test_next_dispute_links_walk_the_open_disputes_in_order(org, consultant, disputed):
    body = client_for(consultant).get(page_url(org, disputed)).content.decode()
    keys = re.findall(r'<tr id="item-([^"]+)"', body)
    nexts = re.findall(r'<a class="step-link" href="#item-([^"]+)">Next dispute</a>', body)
    assert len(keys) > 2 and nexts == keys[1:]  # here every item is disputed
    assert f'<a href="#item-{keys[0]}">Go to the first</a>' in body


def test_settling_a_dispute_sends_the_new_counters_with_it(org, consultant, disputed):
    figures = assessment_figures(disputed)
    before = len(figures.disputed)
    page = client_for(consultant).get(page_url(org, disputed)).content.decode()
    assert f"{before} disputed</strong> answers left" in page
    score = disputed.process_scores.get()
    criterion = disputed.framework.definition.criteria_for("manufacturing", 1)[0]
    response = client_for(consultant).post(
        set_url(org, disputed),
        {
            "kind": "criterion",
            "item_key": f"c-{score.pk}-{criterion.key}",
            "score_id": score.pk,
            "criterion_key": criterion.key,
            "status": "largely",
            "reason": "Seen on site",
        },
        headers=HX,
    )
    body = response.content.decode()
    counter = re.search(r'<p id="agreement-counter"[^>]*hx-swap-oob="true"[^>]*>(.*?)</p>', body)
    assert counter and f"{before - 1} disputed</strong> answer" in counter[1]
    progress = re.search(r'<div id="progress"[^>]*hx-swap-oob="true"', body)
    assert progress and f"{before - 1} disputed" in body
