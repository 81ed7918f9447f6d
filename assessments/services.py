"""Work on assessments that spans models: creating, answering, agreeing, scoping.

Answers are upserted one row per assessor and question, so two people saving at the same time
never overwrite each other; a final assessment refuses every change with `AssessmentLocked`.
"""

from django.db import transaction
from django.utils import timezone

import audit.trail as audit
from assessments.audit_areas import AuditArea
from assessments.models import (
    Assessment,
    CriterionAgreement,
    CriterionAnswer,
    ExcludedDimension,
    FrameworkVersion,
    Process,
    ProcessScore,
    ReadinessAgreement,
    ReadinessAnswer,
)
from integration.services.integrations import AuditArea as IntegrationArea

Area = AuditArea


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
    after = {"title": title, "processes": len(processes), "based on": based_on}
    subject = f"Assessment {assessment.title}"
    _audit(Area.ASSESSMENTS, user, assessment, assessment, subject, {}, after, action="created")
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


@transaction.atomic
def criterion_answer_save(
    *, score, criterion_key, assessor, status, rationale="", evidence_url=""
) -> CriterionAnswer:
    """Store one assessor's answer to one criterion (insert or update, race-free)."""
    _check_criterion(score, criterion_key)
    return _answer_upsert(
        CriterionAnswer,
        keys={"process_score": score, "criterion_key": criterion_key, "assessor": assessor},
        values={"status": status, "rationale": rationale, "evidence_url": evidence_url},
        assessment=score.assessment,
        subject=f"{score.process.name} · {criterion_key} · answer of {assessor.email}",
    )


@transaction.atomic
def readiness_answer_save(
    *, assessment, question_key, side, assessor, value, comment=""
) -> ReadinessAnswer:
    """Store one assessor's readiness answer (0-4 or None for N/A) for one side."""
    _check_question(assessment, question_key)
    return _answer_upsert(
        ReadinessAnswer,
        keys={
            "assessment": assessment,
            "question_key": question_key,
            "side": side,
            "assessor": assessor,
        },
        values={"value": value, "comment": comment},
        assessment=assessment,
        subject=f"Readiness {question_key} ({side.upper()}) · answer of {assessor.email}",
    )


def _answer_upsert(model, *, keys: dict, values: dict, assessment, subject):
    """Insert or update the row with `keys`, race-free, and audit the change."""
    before = model.objects.filter(**keys).values(*values).first()
    (answer,) = model.objects.bulk_create(
        [model(**keys, **values, updated=timezone.now())],
        update_conflicts=True,
        unique_fields=list(keys),
        update_fields=[*values, "updated"],
    )
    _audit(Area.ANSWERS, keys["assessor"], answer, assessment, subject, before, values)
    return answer


@transaction.atomic
def criterion_agree(*, score, criterion_key, status, reason, user) -> CriterionAgreement:
    """The facilitator settles a criterion; the reason is kept."""
    _check_criterion(score, criterion_key)
    keys = {"process_score": score, "criterion_key": criterion_key}
    values = {"status": status, "reason": reason}
    subject = f"{score.process.name} · {criterion_key} · agreed value"
    return _agreement_save(CriterionAgreement, keys, values, user, score.assessment, subject)


@transaction.atomic
def readiness_agree(*, assessment, question_key, side, value, reason, user) -> ReadinessAgreement:
    """The facilitator settles a readiness answer for one side; the reason is kept."""
    _check_question(assessment, question_key)
    keys = {"assessment": assessment, "question_key": question_key, "side": side}
    values = {"value": value, "reason": reason}
    subject = f"Readiness {question_key} ({side.upper()}) · agreed value"
    return _agreement_save(ReadinessAgreement, keys, values, user, assessment, subject)


def _agreement_save(model, keys, values, user, assessment, subject):
    before = model.objects.filter(**keys).values(*values).first()
    agreement, _ = model.objects.update_or_create(
        **keys, defaults={**values, "agreed_by": user, "updated": timezone.now()}
    )
    _audit(Area.AGREEMENTS, user, agreement, assessment, subject, before, values)
    return agreement


def _audit(area, user, obj, assessment, subject, before, after, action=None):
    audit.record(
        organization=assessment.organization,
        actor=user,
        area=area,
        action=action or ("changed" if before else "set"),
        subject=subject,
        obj=obj,
        before=before,
        after=after,
        scope=assessment,
    )


@transaction.atomic
def dimension_scope_set(*, assessment, dimension_key, in_scope, reason="", user=None) -> None:
    """Put a readiness dimension in or out of scope (out needs a reason)."""
    assessment.ensure_editable()
    dimension = assessment.framework.definition.dimension(dimension_key)
    excluded = ExcludedDimension.objects.filter(assessment=assessment, dimension_key=dimension_key)
    before = excluded.values("reason").first()
    before = {"in_scope": False, **before} if before else {"in_scope": True}
    if in_scope:
        excluded.delete()
        after = {"in_scope": True}
    else:
        ExcludedDimension.objects.update_or_create(
            assessment=assessment, dimension_key=dimension_key, defaults={"reason": reason}
        )
        after = {"in_scope": False, "reason": reason}
    subject = f"Readiness dimension {dimension.name}"
    action = "scope changed"
    _audit(Area.ANSWERS, user, assessment, assessment, subject, before, after, action=action)


@transaction.atomic
def score_target_save(*, score, user, values: dict) -> None:
    """A process's target level, rationale and evidence."""
    score.assessment.ensure_editable()
    before = audit.snapshot(score, *values)
    for name, value in values.items():
        setattr(score, name, value)
    score.save(update_fields=list(values))
    subject = f"{score.process.name} · target and rationale"
    _audit(Area.ANSWERS, user, score, score.assessment, subject, before, values)


# --- Processes ---------------------------------------------------------------------------------
# A process's area and business value move every draft's figures (a final assessment keeps the
# values it was finalized with, see ProcessScore.freeze); its integrations are the live-data
# evidence behind its claimed level. Every change is audited; who may link integrations
# (owners and consultants) is the views' business.

PROCESS_FIELDS = ("name", "area", "site", "owner", "business_value", "description")


@transaction.atomic
def process_create(*, organization, user, integrations=None, **fields) -> Process:
    """A new process; `integrations` (of the same organisation) are linked to it. Audited."""
    process = Process(organization=organization, **fields)
    process.full_clean()
    process.save()
    _process_audit(process, user, "created", {}, audit.snapshot(process, *PROCESS_FIELDS))
    if integrations:
        _process_links_set(process, integrations, user)
    return process


@transaction.atomic
def process_update(*, process: Process, user, integrations=None, **fields) -> None:
    """Change the named fields; `integrations` None leaves the links as they are. Audited."""
    unknown = set(fields) - set(PROCESS_FIELDS)
    if unknown:
        raise TypeError(f"process_update cannot change {', '.join(sorted(unknown))}")
    # "Before" is what is stored: a form may already have set its values on `process`.
    stored = Process.objects.select_for_update().get(pk=process.pk)
    before = audit.snapshot(stored, *fields)
    for name, value in fields.items():
        setattr(stored, name, value)
        setattr(process, name, value)
    stored.full_clean()
    stored.save()
    _process_audit(stored, user, "changed", before, audit.snapshot(stored, *fields))
    if integrations is not None:
        _process_links_set(stored, integrations, user)


@transaction.atomic
def process_archive_set(*, process: Process, user, archived: bool) -> None:
    """Archive (kept in past assessments, not offered for new ones) or restore. Audited."""
    before = {"archived": process.archived}
    process.archived = archived
    process.save(update_fields=["archived"])
    action = "archived" if archived else "restored"
    _process_audit(process, user, action, before, {"archived": archived})


def _process_links_set(process: Process, integrations, user) -> None:
    integrations = list(integrations)
    if any(i.organization_id != process.organization_id for i in integrations):
        raise ValueError("A process links only integrations of its own organisation.")
    before = sorted(i.name for i in process.integrations.all())
    process.integrations.set(integrations)
    audit.record(
        organization=process.organization,
        actor=user,
        area=IntegrationArea.INTEGRATIONS,
        action="links changed",
        subject=f"Process {process.name}: its integrations",
        obj=process,
        before={"integrations": before},
        after={"integrations": sorted(i.name for i in integrations)},
    )


def _process_audit(process, user, action, before, after):
    audit.record(
        organization=process.organization,
        actor=user,
        area=Area.PROCESSES,
        action=action,
        subject=f"Process {process.name}",
        obj=process,
        before=before,
        after=after,
    )
