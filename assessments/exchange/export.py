"""The JSON export of an assessment: complete, versioned, with the figures it gives."""

from django.utils import timezone

from accounts.models import User
from assessments.exchange.verification_data import verification_export
from assessments.figures import AssessmentFigures, DimensionResult, assessment_figures
from assessments.models import Assessment, Side
from assessments.scoring import round_figure
from audit.models import AuditEvent

FORMAT = "ladder-assessment"
# 2: adds "verification" (claimed and verified levels, each criterion's basis and checks).
VERSION = 2
READ_VERSIONS = (1, 2)  # the versions `exchange.reading` still imports


def assessment_export(*, assessment: Assessment, now=None) -> dict:
    """The whole assessment as JSON-able data, figures included; `assessment_import` reads it."""
    figures = assessment_figures(assessment)
    users = users_of(figures)
    framework = assessment.framework
    questions = [q for d in figures.dimensions for q in d.questions]
    now = now or timezone.now()
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now.isoformat(),
        "organization": assessment.organization.name,
        "framework": {
            "key": framework.key,
            "version": framework.version,
            "title": framework.title,
            "data": framework.data,
        },
        "assessment": {
            "title": assessment.title,
            "state": assessment.state,
            "assessed_on": assessment.assessed_on.isoformat(),
            "site": assessment.site.name if assessment.site else None,
        },
        "processes": [_process_data(result, users) for result in figures.processes],
        "audit": [e.as_data() for e in AuditEvent.of_scope(assessment).order_by("at", "pk")],
        "excluded_dimensions": [
            {"key": d.dimension.key, "reason": d.excluded_reason}
            for d in figures.dimensions
            if not d.in_scope
        ],
        "readiness_answers": [
            {
                "question": q.question.key,
                "side": side,
                "assessor": answer.assessor.email,
                "value": answer.value,
                "comment": answer.comment,
            }
            for q in questions
            for side in Side.values
            for answer in _by_assessor(q.answers.get(side, []))
        ],
        "readiness_agreements": [
            {
                "question": q.question.key,
                "side": side,
                "value": q.agreements[side].value,
                "reason": q.agreements[side].reason,
                "agreed_by": email_of(users, q.agreements[side].agreed_by_id),
            }
            for q in questions
            for side in Side.values
            if side in q.agreements
        ],
        "figures": figures_data(figures),
        "verification": verification_export(figures, now=now),
    }


def figures_data(figures: AssessmentFigures) -> dict:
    """The computed figures as the export shows them: rounded with `round_figure()`."""
    return {
        "samr_index": round_figure(figures.samr_index),
        "target_index": round_figure(figures.target_index),
        "distribution": {str(level): n for level, n in figures.distribution.items()},
        "overall_readiness": round_figure(figures.overall_readiness),
        "convergence_gap": round_figure(figures.convergence_gap),
        "settled": figures.settled,
        "total": figures.total,
        "progress": figures.progress,
        "processes": [
            {
                "name": p.process.name,
                "business_value": p.process.business_value,
                "current": p.current,
                "target": p.target,
                "gap": p.gap,
                "gap_weight": p.gap_weight,
            }
            for p in figures.processes
        ],
        "dimensions": [
            {
                "key": d.dimension.key,
                "name": d.dimension.name,
                "in_scope": d.in_scope,
                **dimension_figures(d),
            }
            for d in figures.dimensions
        ],
    }


def dimension_figures(dimension: DimensionResult) -> dict:
    """IT, OT, combined and gap (IT − OT) of a readiness dimension, rounded."""
    f = dimension.figures
    return {
        "it": round_figure(f.it),
        "ot": round_figure(f.ot),
        "combined": round_figure(f.combined),
        "gap": round_figure(f.gap),
    }


def users_of(figures: AssessmentFigures) -> dict[int, User]:
    """Process owners and agreeing facilitators in one query (assessors come with answers)."""
    ids = {p.process.owner_id for p in figures.processes}
    ids |= {c.agreement.agreed_by_id for p in figures.processes for c in p.criteria if c.agreement}
    ids |= {
        a.agreed_by_id
        for d in figures.dimensions
        for q in d.questions
        for a in q.agreements.values()
    }
    return User.objects.in_bulk([pk for pk in ids if pk])


def email_of(users: dict[int, User], pk: int | None) -> str | None:
    return users[pk].email if pk in users else None


def _process_data(result, users) -> dict:
    process, score = result.process, result.score
    return {
        "name": process.name,
        "area": process.area,
        "site": process.site.name if process.site else None,
        "owner": email_of(users, process.owner_id),
        "business_value": process.business_value,
        "description": process.description,
        "target_level": score.target_level,
        "rationale": score.rationale,
        "evidence": score.evidence,
        # Only the criteria of the process's area count, so only those travel.
        "criteria": [
            {
                "key": c.criterion.key,
                "assessor": answer.assessor.email,
                "status": answer.status,
                "rationale": answer.rationale,
                "evidence_url": answer.evidence_url,
            }
            for c in result.criteria
            for answer in _by_assessor(c.answers)
        ],
        "agreements": [
            {
                "key": c.criterion.key,
                "status": c.agreement.status,
                "reason": c.agreement.reason,
                "agreed_by": email_of(users, c.agreement.agreed_by_id),
            }
            for c in result.criteria
            if c.agreement
        ],
    }


def _by_assessor(answers):
    return sorted(answers, key=lambda a: a.assessor.email)
