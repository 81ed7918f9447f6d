"""Storing what a read export holds for an assessment: its process scores, every criterion's
and question side's answers and agreement, its excluded dimensions. Both importers use it (an
export into an organisation, and an organisation moved whole); they differ only in which
answers they carry and whose they are, which they say with `carry`.
"""

from collections.abc import Callable

from assessments.exchange.reading import Agreement, Answer, Answered, Plan
from assessments.models import (
    Assessment,
    CriterionAgreement,
    CriterionAnswer,
    ExcludedDimension,
    Process,
    ProcessScore,
    ReadinessAgreement,
    ReadinessAnswer,
)

# What to store for one criterion or question side (at a path in the file): the answers, each
# with its assessor a User, and the agreement, agreed by a User or nobody.
Carry = Callable[[Answered, str], tuple[list[Answer], Agreement | None]]
# Where a criterion's or a question side's answers and agreement go, and the field of the answer.
CRITERION_MODELS = (CriterionAnswer, CriterionAgreement, "status")
READINESS_MODELS = (ReadinessAnswer, ReadinessAgreement, "value")


def answers_restore(
    *, assessment: Assessment, plan: Plan, processes: list[Process], carry: Carry, now
) -> None:
    """Store `plan` for `assessment`, the score of `plan.processes[i]` on `processes[i]`.

    A final assessment keeps each process as the file has it (as it was at finalize), whatever
    it is called or weighs here.
    """
    rows = []  # unsaved, created together at the end
    for i, (wanted, process) in enumerate(zip(plan.processes, processes, strict=True)):
        frozen = {}
        if assessment.is_final:
            frozen = {
                "frozen_name": wanted.name,
                "frozen_area": wanted.area,
                "frozen_business_value": wanted.business_value,
            }
        score = ProcessScore.objects.create(
            assessment=assessment,
            process=process,
            target_level=wanted.target_level,
            rationale=wanted.rationale,
            evidence=wanted.evidence,
            **frozen,
        )
        for key, answered in sorted(wanted.criteria.items()):
            answers, agreement = carry(answered, f"processes[{i}]")
            rows += _rows(
                answers, agreement, CRITERION_MODELS, now, process_score=score, criterion_key=key
            )
    for (question, side), answered in sorted(plan.readiness.items()):
        answers, agreement = carry(answered, "")
        rows += _rows(
            answers,
            agreement,
            READINESS_MODELS,
            now,
            assessment=assessment,
            question_key=question,
            side=side,
        )
    rows += [
        ExcludedDimension(assessment=assessment, dimension_key=key, reason=reason)
        for key, reason in plan.excluded.items()
    ]
    for model in (*CRITERION_MODELS[:2], *READINESS_MODELS[:2], ExcludedDimension):
        model.objects.bulk_create([row for row in rows if type(row) is model])


def _rows(answers: list[Answer], agreement: Agreement | None, models: tuple, now, **where):
    """Unsaved answers and agreement of `where` (a criterion or a question side)."""
    answer_model, agreement_model, field = models
    rows = [
        answer_model(**where, assessor=a.assessor, **{field: a.value}, **a.extra, updated=now)
        for a in answers
    ]
    if agreement:
        rows.append(
            agreement_model(
                **where,
                **{field: agreement.value},
                reason=agreement.reason,
                agreed_by=agreement.agreed_by,
                updated=now,
            )
        )
    return rows
