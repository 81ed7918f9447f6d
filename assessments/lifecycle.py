"""An assessment's way from draft to final, and back as a revision; each step audited.

Draft → in review → final. Finalizing is guarded: the facilitator first sees what the figures
will rest on (`finalize_summary`), and disputed answers (which count in no figure) refuse it
unless the facilitator gives a reason to finalize with them left out. A final assessment never
changes: to correct one, a facilitator reopens it as a revision, a new draft holding the same
answers, agreements and scope, which supersedes the final once it is final itself
(`Assessment.objects.finals()`). The final one and every report made from it stay as they were.
"""

import re
from dataclasses import dataclass

from django.db import transaction

import audit.trail as audit
from assessments.audit_areas import AuditArea
from assessments.figures import AssessmentFigures, assessment_figures
from assessments.models import (
    Assessment,
    CriterionAgreement,
    CriterionAnswer,
    ExcludedDimension,
    IllegalTransition,
    ProcessScore,
    ReadinessAgreement,
    ReadinessAnswer,
)
from assessments.scoring import Settlement, Status
from assessments.verified.status import freeze_verification

REVISION_SUFFIX = re.compile(r" \(revision \d+\)$")


class FinalizeRefused(IllegalTransition):
    """Finalizing refused as asked (disputed answers and no reason); the message says why."""


@dataclass(frozen=True)
class FinalizeSummary:
    """What a final assessment's figures will rest on, for the facilitator to confirm."""

    settled: int
    total: int
    unanswered: int
    disputed: int
    not_applicable: int
    excluded: list  # (dimension name, reason) out of scope

    @property
    def complete(self) -> bool:
        return self.settled == self.total


def finalize_summary(figures: AssessmentFigures) -> FinalizeSummary:
    criteria = [c.settled for p in figures.processes for c in p.criteria]
    sides = [
        s for d in figures.dimensions if d.in_scope for q in d.questions for s in q.sides.values()
    ]
    return FinalizeSummary(
        settled=figures.settled,
        total=figures.total,
        unanswered=sum(1 for s in criteria + sides if s.state == Settlement.UNANSWERED),
        disputed=len(figures.disputed),
        not_applicable=sum(1 for s in criteria if s.counts and s.value == Status.NA),
        excluded=[
            (d.dimension.name, d.excluded_reason) for d in figures.dimensions if not d.in_scope
        ],
    )


TRANSITIONS = {
    "submit": Assessment.submit_for_review,
    "reopen": Assessment.reopen,
}


@transaction.atomic
def assessment_transition(*, assessment, action: str, user) -> None:
    """Submit for review or back to draft (raises IllegalTransition); audited."""
    move = TRANSITIONS[action]
    before = {"state": assessment.get_state_display()}
    move(assessment)
    _audit(user, assessment, before, {"state": assessment.get_state_display()}, action)


@transaction.atomic
def assessment_finalize(*, assessment, user, reason: str = "") -> FinalizeSummary:
    """Make the assessment final and read-only; refused (FinalizeRefused) while answers are
    disputed, unless `reason` says why it is final with them left out. Audited with the
    numbers it was finalized on."""
    Assessment.objects.select_for_update().filter(pk=assessment.pk).first()  # one at a time
    assessment.refresh_from_db()
    figures = assessment_figures(assessment, assessors=False)
    summary = finalize_summary(figures)
    reason = reason.strip()
    if summary.disputed and not reason:
        raise FinalizeRefused(
            f"{summary.disputed} answer{'s are' if summary.disputed > 1 else ' is'} disputed and "
            "would count in no figure: settle them on the agreement page, or give the reason "
            "to finalize with them left out."
        )
    before = {"state": assessment.get_state_display()}
    assessment.finalize()
    snapshot = freeze_verification(figures, now=assessment.finalized)
    after = {"state": assessment.get_state_display()}
    if snapshot.data["verified_index"] is not None:
        after["verified index"] = round(snapshot.data["verified_index"], 2)
    after["settled"] = f"{summary.settled} of {summary.total}"
    if summary.disputed:
        after |= {"disputed": summary.disputed, "reason": reason}
    _audit(user, assessment, before, after, "finalize")
    return summary


@transaction.atomic
def assessment_revise(*, assessment, user) -> Assessment:
    """A new draft revision of a final assessment, with its processes, targets, every
    assessor's answers, the agreements and the scope; the final one is left as it is."""
    if not assessment.is_final:
        raise IllegalTransition("Only a final assessment is reopened as a revision.")
    number = assessment.revision + 1
    base = REVISION_SUFFIX.sub("", assessment.title)
    suffix = f" (revision {number})"
    title = base[: Assessment._meta.get_field("title").max_length - len(suffix)] + suffix
    revision = Assessment.objects.create(
        organization=assessment.organization,
        site=assessment.site,
        title=title,
        framework=assessment.framework,
        assessed_on=assessment.assessed_on,
        based_on=assessment.based_on,
        revision_of=assessment,
        revision=number,
        created_by=user,
    )
    _copy_answers(assessment, revision)
    _audit(user, revision, {}, {"revision of": assessment.title, "revision": number}, "revised")
    return revision


def _copy_answers(source: Assessment, target: Assessment) -> None:
    scores = {}
    for score in source.process_scores.all():
        scores[score.pk] = ProcessScore.objects.create(
            assessment=target,
            process_id=score.process_id,
            target_level=score.target_level,
            rationale=score.rationale,
            evidence=score.evidence,
        )
    per_score = ("criterion_key", "assessor_id", "status", "rationale", "evidence_url", "updated")
    CriterionAnswer.objects.bulk_create(
        CriterionAnswer(process_score=scores[a.process_score_id], **_fields(a, per_score))
        for a in CriterionAnswer.objects.filter(process_score__assessment=source)
    )
    agreed = ("criterion_key", "status", "reason", "agreed_by_id", "updated")
    CriterionAgreement.objects.bulk_create(
        CriterionAgreement(process_score=scores[a.process_score_id], **_fields(a, agreed))
        for a in CriterionAgreement.objects.filter(process_score__assessment=source)
    )
    per_side = ("question_key", "side", "assessor_id", "value", "comment", "updated")
    ReadinessAnswer.objects.bulk_create(
        ReadinessAnswer(assessment=target, **_fields(a, per_side))
        for a in source.readiness_answers.all()
    )
    agreed = ("question_key", "side", "value", "reason", "agreed_by_id", "updated")
    ReadinessAgreement.objects.bulk_create(
        ReadinessAgreement(assessment=target, **_fields(a, agreed))
        for a in source.readiness_agreements.all()
    )
    ExcludedDimension.objects.bulk_create(
        ExcludedDimension(assessment=target, dimension_key=e.dimension_key, reason=e.reason)
        for e in source.excluded_dimensions.all()
    )


def _audit(user, assessment, before: dict, after: dict, action: str) -> None:
    audit.record(
        organization=assessment.organization,
        actor=user,
        area=AuditArea.ASSESSMENTS,
        action=action,
        subject=f"Assessment {assessment.title}",
        obj=assessment,
        before=before,
        after=after,
        scope=assessment,
    )


def _fields(row, names) -> dict:
    return {name: getattr(row, name) for name in names}
