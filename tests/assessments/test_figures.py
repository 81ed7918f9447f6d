"""The figures service on hand-built assessments: rows in, the same numbers as `scoring`."""

import pytest
from django.urls import reverse

from assessments.exchange.export import assessment_export
from assessments.figures import assessment_figures
from assessments.models import (
    Assessment,
    CriterionAgreement,
    ExcludedDimension,
    Process,
    ReadinessAgreement,
)
from audit.models import AuditEvent
from tests.assessments.conftest import (
    answer_dimension,
    answer_levels,
    make_assessment,
    make_process,
)
from tests.conftest import client_for


@pytest.fixture
def scored(org, framework, owner, member):
    press = make_process(org, "Press line", value=1)
    stock = make_process(org, "Stock counts", area="retail", value=3)
    assessment = make_assessment(org, framework, [press, stock])
    press_score, stock_score = assessment.process_scores.order_by("process__name")
    answer_levels(press_score, owner, {1: "fully", 2: "largely", 3: "partial"})
    answer_levels(stock_score, owner, {1: "fully"})
    stock_score.target_level = 3
    stock_score.save()
    return assessment


def test_levels_and_value_weighted_index(scored):
    figures = assessment_figures(scored)
    levels = {p.process.name: p.current for p in figures.processes}
    assert levels == {"Press line": 2, "Stock counts": 1}
    # (1 * 2 + 3 * 1) / (1 + 3)
    assert figures.samr_index == pytest.approx(1.25)
    assert figures.distribution == {0: 0, 1: 1, 2: 1, 3: 0, 4: 0}


def test_gap_weight_and_blockers(scored):
    stock = next(
        p for p in assessment_figures(scored).processes if p.process.name == "Stock counts"
    )
    assert (stock.gap, stock.gap_weight) == (2, 8)  # (1 + 3 - 1)^2 - 1
    framework = scored.framework.definition
    assert [b.criterion for b in stock.blockers] == list(framework.criteria_for("retail", 2))


def test_disagreement_does_not_count_until_agreed(scored, member, owner):
    press = scored.process_scores.get(process__name="Press line")
    answer_levels(press, member, {1: "partial"})  # member disagrees on level 1
    figures = assessment_figures(scored)
    assert next(p for p in figures.processes if p.score == press).current == 0
    assert len(figures.disputed) == len(
        scored.framework.definition.criteria_for("manufacturing", 1)
    )

    for criterion in scored.framework.definition.criteria_for("manufacturing", 1):
        CriterionAgreement.objects.create(
            process_score=press, criterion_key=criterion.key, status="fully", reason="Seen the MES"
        )
    figures = assessment_figures(scored)
    assert next(p for p in figures.processes if p.score == press).current == 2
    assert figures.disputed == []


def test_readiness_it_ot_gap_and_out_of_scope(scored, owner):
    answer_dimension(scored, owner, "connectivity", it=3, ot=1)
    answer_dimension(scored, owner, "security", it=2, ot=2)
    answer_dimension(scored, owner, "collaboration", it=4, ot=0)
    ExcludedDimension.objects.create(
        assessment=scored, dimension_key="collaboration", reason="No OT team"
    )
    figures = assessment_figures(scored)
    by_key = {d.dimension.key: d for d in figures.dimensions}
    assert (by_key["connectivity"].figures.it, by_key["connectivity"].figures.ot) == (3, 1)
    assert by_key["connectivity"].figures.gap == 2
    assert not by_key["collaboration"].in_scope
    assert figures.overall_readiness == pytest.approx(2.0)  # mean of 2.0 and 2.0
    assert figures.convergence_gap == pytest.approx(1.0)  # mean of |2| and |0|


def test_agreed_na_readiness_is_left_out_of_the_mean(scored, owner):
    answer_dimension(scored, owner, "connectivity", it=4, ot=2)
    question = scored.framework.definition.dimension("connectivity").questions[0]
    ReadinessAgreement.objects.create(
        assessment=scored, question_key=question.key, side="it", value=None, reason="No IT system"
    )
    it = next(
        d for d in assessment_figures(scored).dimensions if d.dimension.key == "connectivity"
    ).figures.it
    assert it == 4


def test_progress_counts_settled_answers(scored):
    figures = assessment_figures(scored)
    framework = scored.framework.definition
    criteria = sum(
        len(framework.criteria_for(a, lv))
        for a in ("manufacturing", "retail")
        for lv in (1, 2, 3, 4)
    )
    questions = sum(len(d.questions) for d in framework.dimensions) * 2
    assert figures.total == criteria + questions
    assert figures.settled == 3 * 3 + 3  # press levels 1-3, stock level 1 (three criteria each)
    assert figures.progress == round(100 * 12 / (criteria + questions))


def test_figures_take_a_fixed_number_of_queries(scored, django_assert_max_num_queries):
    scored = type(scored).objects.select_related("framework").get(pk=scored.pk)
    with django_assert_max_num_queries(7):
        assessment_figures(scored)


# --- A final assessment keeps the processes as they were ------------------------------------


def test_a_final_assessment_keeps_its_figures_when_a_process_is_edited(
    scored, framework, org, owner, member
):
    press = scored.process_scores.get(process__name="Press line").process
    draft = make_assessment(org, framework, Process.objects.all(), title="Next round")
    for score in draft.process_scores.select_related("process"):
        answer_levels(score, owner, {1: "fully", 2: "largely"})
    scored.finalize()
    final_figures = assessment_figures(scored)
    final_export = assessment_export(assessment=scored)
    draft_before = assessment_figures(draft)

    edit = reverse("assessments:process-edit", args=[org.slug, press.pk])
    data = {"name": "Press line 3", "area": "retail", "business_value": 5, "description": ""}
    assert client_for(member).post(edit, data).status_code == 302

    scored = Assessment.objects.get(pk=scored.pk)
    after = assessment_figures(scored)
    assert after.samr_index == final_figures.samr_index
    assert after.target_index == final_figures.target_index
    rows = [(p.process.name, p.process.area, p.process.business_value) for p in after.processes]
    assert rows == [("Press line", "manufacturing", 1), ("Stock counts", "retail", 3)]
    export = assessment_export(assessment=scored)
    assert {**export, "exported_at": None} == {**final_export, "exported_at": None}
    page = client_for(member).get(
        reverse("assessments:assessment-detail", args=[org.slug, scored.pk])
    )
    assert "<strong>Press line</strong>" in page.content.decode()
    assert "Press line 3" not in page.content.decode()

    # A draft follows the process as it is now.
    draft_after = assessment_figures(draft)
    names = {p.process.name: p.process.business_value for p in draft_after.processes}
    assert names == {"Press line 3": 5, "Stock counts": 3}
    assert draft_after.samr_index != draft_before.samr_index

    event = AuditEvent.objects.get(area="processes", action="changed")
    assert (event.actor, event.before["business_value"], event.after["business_value"]) == (
        member,
        1,
        5,
    )
