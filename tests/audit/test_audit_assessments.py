"""The audit trail of assessments: answers, agreed values, scope, targets and state."""

import pytest

from assessments import lifecycle, services
from assessments.figures import assessment_figures
from assessments.models import IllegalTransition
from audit.models import AuditEvent
from tests.assessments.conftest import make_assessment, make_process


@pytest.fixture
def score(org, framework):
    assessment = make_assessment(org, framework, [make_process(org)], title="Autumn")
    return assessment.process_scores.select_related("process", "assessment").get()


def criterion(score, level=1):
    definition = score.assessment.framework.definition
    return definition.criteria_for(score.process.area, level)[0].key


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("pk"))


def test_an_answer_is_recorded_with_who_when_and_the_values_before_and_after(score, member):
    key = criterion(score)
    services.criterion_answer_save(
        score=score, criterion_key=key, assessor=member, status="partial", rationale="Nights"
    )
    services.criterion_answer_save(
        score=score, criterion_key=key, assessor=member, status="fully", rationale="Nights"
    )
    first, second = events(area="answers")
    assert (first.action, first.actor, first.actor_email) == ("set", member, member.email)
    assert first.before == {}
    assert first.after == {"status": "partial", "rationale": "Nights", "evidence_url": ""}
    assert (second.action, second.before, second.after) == (
        "changed",
        {"status": "partial"},
        {"status": "fully"},
    )
    assert second.organization == score.assessment.organization
    assert AuditEvent.of_scope(score.assessment).first() == second
    assert key in second.subject and member.email in second.subject
    assert second.at >= first.at


def test_an_autosave_of_the_same_value_leaves_no_record(score, member):
    for _ in range(3):
        services.criterion_answer_save(
            score=score, criterion_key=criterion(score), assessor=member, status="largely"
        )
    assert len(events(area="answers")) == 1


def test_readiness_answers_scope_and_targets_are_recorded(score, owner):
    assessment = score.assessment
    services.readiness_answer_save(
        assessment=assessment,
        question_key="security-segmentation",
        side="ot",
        assessor=owner,
        value=2,
    )
    services.readiness_answer_save(
        assessment=assessment,
        question_key="security-segmentation",
        side="ot",
        assessor=owner,
        value=None,
        comment="Not applicable here",
    )
    services.dimension_scope_set(
        assessment=assessment,
        dimension_key="collaboration",
        in_scope=False,
        reason="Later",
        user=owner,
    )
    services.score_target_save(score=score, user=owner, values={"target_level": 3})
    readiness, changed, scope, target = events(area="answers")
    assert readiness.after["value"] == 2 and "(OT)" in readiness.subject
    assert changed.before == {"value": 2, "comment": ""}
    assert changed.after == {"value": None, "comment": "Not applicable here"}
    assert scope.before == {"in_scope": True}
    assert scope.after == {"in_scope": False, "reason": "Later"}
    assert (target.before, target.after) == ({"target_level": None}, {"target_level": 3})


def test_agreed_values_are_recorded_with_the_facilitator(score, consultant):
    key = criterion(score)
    agree = services.criterion_agree
    agree(score=score, criterion_key=key, status="not", reason="Pilot only", user=consultant)
    agree(score=score, criterion_key=key, status="partial", reason="Two lines", user=consultant)
    services.readiness_agree(
        assessment=score.assessment,
        question_key="security-segmentation",
        side="it",
        value=3,
        reason="Audit report",
        user=consultant,
    )
    first, second, readiness = events(area="agreements")
    assert first.actor == consultant and first.after == {"status": "not", "reason": "Pilot only"}
    assert second.before == {"status": "not", "reason": "Pilot only"}
    assert second.after == {"status": "partial", "reason": "Two lines"}
    assert readiness.after == {"value": 3, "reason": "Audit report"}


def test_state_changes_are_recorded_and_a_refused_one_is_not(score, owner):
    assessment = score.assessment
    lifecycle.assessment_transition(assessment=assessment, action="submit", user=owner)
    lifecycle.assessment_finalize(assessment=assessment, user=owner)
    with pytest.raises(IllegalTransition):
        lifecycle.assessment_transition(assessment=assessment, action="reopen", user=owner)
    submitted, finalized = events(area="assessments")
    assert (submitted.action, submitted.before, submitted.after) == (
        "submit",
        {"state": "Draft"},
        {"state": "In review"},
    )
    settled = lifecycle.finalize_summary(assessment_figures(assessment))
    assert (finalized.before, finalized.after) == (
        {"state": "In review"},
        {"state": "Final", "settled": f"{settled.settled} of {settled.total}"},
    )


def test_an_answer_refused_by_a_final_assessment_leaves_no_record(score, owner):
    score.assessment.finalize()
    with pytest.raises(Exception, match="final"):
        services.criterion_answer_save(
            score=score, criterion_key=criterion(score), assessor=owner, status="fully"
        )
    assert not events(area="answers")


def test_creating_an_assessment_is_recorded(org, framework, owner):
    process = make_process(org)
    assessment = services.assessment_create(
        organization=org, user=owner, title="Winter", processes=[process]
    )
    (event,) = events(area="assessments")
    assert (event.action, event.actor) == ("created", owner)
    assert AuditEvent.of_scope(assessment).get() == event
    assert event.after == {"title": "Winter", "processes": 1, "based on": None}
