"""Work on assessments that spans models: creating, answering, agreeing, scoping.

Answers are upserted one row per assessor and question, so two people saving at the same time
never overwrite each other; a final assessment refuses every change with `AssessmentLocked`.
"""

from django.db import transaction
from django.utils import timezone

from assessments.models import (
    Assessment,
    CriterionAgreement,
    CriterionAnswer,
    ExcludedDimension,
    FrameworkVersion,
    ProcessScore,
    ReadinessAgreement,
    ReadinessAnswer,
)


class InvalidAnswer(ValueError):
    """An answer that does not fit the assessment's framework."""


@transaction.atomic
def assessment_create(
    *,
    organization,
    user,
    title,
    processes,
    site=None,
    assessed_on=None,
    based_on=None,
    framework=None,
) -> Assessment:
    """A new draft (shipped framework unless given); `based_on` carries over its answers."""
    if based_on:
        framework = based_on.framework
    framework = framework or FrameworkVersion.objects.shipped()
    assessment = Assessment.objects.create(
        organization=organization,
        title=title,
        site=site,
        assessed_on=assessed_on or timezone.localdate(),
        framework=framework,
        based_on=based_on,
        created_by=user,
    )
    ProcessScore.objects.bulk_create(
        ProcessScore(assessment=assessment, process=process) for process in processes
    )
    if based_on:
        _carry_over(based_on, assessment, user)
    return assessment


def _carry_over(source: Assessment, target: Assessment, user) -> None:
    """Start from the source's settled answers, as agreements that say where they came from."""
    from assessments.figures import assessment_figures

    figures = assessment_figures(source)
    reason = f"Carried over from {source.title} ({source.assessed_on:%d %b %Y})"
    new_scores = {s.process_id: s for s in target.process_scores.all()}
    agreements = []
    for result in figures.processes:
        score = new_scores.get(result.process.pk)
        if score is None:
            continue
        score.target_level = result.score.target_level
        score.rationale, score.evidence = result.score.rationale, result.score.evidence
        score.save(update_fields=["target_level", "rationale", "evidence"])
        agreements += [
            CriterionAgreement(
                process_score=score,
                criterion_key=c.criterion.key,
                status=c.settled.value,
                reason=reason,
                agreed_by=user,
            )
            for c in result.criteria
            if c.settled.counts
        ]
    CriterionAgreement.objects.bulk_create(agreements)
    ReadinessAgreement.objects.bulk_create(
        ReadinessAgreement(
            assessment=target,
            question_key=q.question.key,
            side=side,
            value=settled.value,
            reason=reason,
            agreed_by=user,
        )
        for d in figures.dimensions
        for q in d.questions
        for side, settled in q.sides.items()
        if settled.counts
    )
    ExcludedDimension.objects.bulk_create(
        ExcludedDimension(
            assessment=target, dimension_key=d.dimension.key, reason=d.excluded_reason
        )
        for d in figures.dimensions
        if not d.in_scope
    )


def _check_criterion(score: ProcessScore, criterion_key: str) -> None:
    score.assessment.ensure_editable()
    framework = score.assessment.framework.definition
    keys = {
        c.key for level in (1, 2, 3, 4) for c in framework.criteria_for(score.process.area, level)
    }
    if criterion_key not in keys:
        raise InvalidAnswer(f"{criterion_key!r} is not a criterion of {score.process.name}.")


def _check_question(assessment: Assessment, question_key: str) -> None:
    assessment.ensure_editable()
    try:
        assessment.framework.definition.question(question_key)
    except KeyError:
        raise InvalidAnswer(f"{question_key!r} is not a readiness question.") from None


def criterion_answer_save(
    *, score, criterion_key, assessor, status, rationale="", evidence_url=""
) -> CriterionAnswer:
    """Store one assessor's answer to one criterion (insert or update, race-free)."""
    _check_criterion(score, criterion_key)
    (answer,) = CriterionAnswer.objects.bulk_create(
        [
            CriterionAnswer(
                process_score=score,
                criterion_key=criterion_key,
                assessor=assessor,
                status=status,
                rationale=rationale,
                evidence_url=evidence_url,
                updated=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["process_score", "criterion_key", "assessor"],
        update_fields=["status", "rationale", "evidence_url", "updated"],
    )
    return answer


def readiness_answer_save(
    *, assessment, question_key, side, assessor, value, comment=""
) -> ReadinessAnswer:
    """Store one assessor's readiness answer (0-4 or None for N/A) for one side."""
    _check_question(assessment, question_key)
    (answer,) = ReadinessAnswer.objects.bulk_create(
        [
            ReadinessAnswer(
                assessment=assessment,
                question_key=question_key,
                side=side,
                assessor=assessor,
                value=value,
                comment=comment,
                updated=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["assessment", "question_key", "side", "assessor"],
        update_fields=["value", "comment", "updated"],
    )
    return answer


def criterion_agree(*, score, criterion_key, status, reason, user) -> CriterionAgreement:
    """The facilitator settles a criterion; the reason is kept."""
    _check_criterion(score, criterion_key)
    agreement, _ = CriterionAgreement.objects.update_or_create(
        process_score=score,
        criterion_key=criterion_key,
        defaults={"status": status, "reason": reason, "agreed_by": user, "updated": timezone.now()},
    )
    return agreement


def readiness_agree(*, assessment, question_key, side, value, reason, user) -> ReadinessAgreement:
    """The facilitator settles a readiness answer for one side; the reason is kept."""
    _check_question(assessment, question_key)
    agreement, _ = ReadinessAgreement.objects.update_or_create(
        assessment=assessment,
        question_key=question_key,
        side=side,
        defaults={"value": value, "reason": reason, "agreed_by": user, "updated": timezone.now()},
    )
    return agreement


def dimension_scope_set(*, assessment, dimension_key, in_scope, reason="") -> None:
    """Put a readiness dimension in or out of scope (out needs a reason)."""
    assessment.ensure_editable()
    assessment.framework.definition.dimension(dimension_key)
    if in_scope:
        ExcludedDimension.objects.filter(
            assessment=assessment, dimension_key=dimension_key
        ).delete()
    else:
        ExcludedDimension.objects.update_or_create(
            assessment=assessment, dimension_key=dimension_key, defaults={"reason": reason}
        )
