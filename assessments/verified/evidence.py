"""Manual evidence for a process's criteria, and accepting the reason of an N/A answer.

Anyone of the organisation who can write (not a viewer) may add evidence; it counts for the
verified level only once an owner or consultant accepted it, from its effective date for the
organisation's `evidence_validity_days` (docs/VERIFICATION.md). Accepting it, withdrawing that,
and accepting an N/A answer's reason move a verified figure: facilitator-only, checked here and
not only in the view, and audited. Evidence belongs to the process, so it outlives assessments;
an N/A acceptance belongs to one assessment's answer and is refused once that is final.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

import audit.trail as audit
from accounts.models import Membership
from assessments.audit_areas import AuditArea
from assessments.figures import assessment_figures
from assessments.models import Process, ProcessScore
from assessments.models.verification import CriterionEvidence, NaAcceptance
from assessments.scoring import Status

MAX_DESCRIPTION = 2000
EARLIEST_EFFECTIVE = timedelta(days=10 * 365)  # evidence older than this is history


class EvidenceRefused(Exception):
    """Not allowed as asked; the message says why, for the form."""


def _role(user, process: Process) -> str | None:
    return (
        Membership.objects.filter(user=user, organization=process.organization_id)
        .values_list("role", flat=True)
        .first()
    )


def _facilitator(user, process: Process) -> None:
    if _role(user, process) not in ("owner", "consultant"):
        raise EvidenceRefused("Only the organisation's owners and consultants accept evidence.")


@transaction.atomic
def evidence_add(
    *, process: Process, framework, criterion_key: str, description: str, effective: date, user
) -> CriterionEvidence:
    """Add evidence for a criterion of the process; it waits for a facilitator's acceptance."""
    role = _role(user, process)
    if role is None or not Membership(role=role).can_write:
        raise EvidenceRefused("Only members who can write add evidence.")
    today = timezone.localdate()
    if not today - EARLIEST_EFFECTIVE <= effective <= today:
        raise EvidenceRefused(
            "The effective date is the day the evidence speaks for: today or within the last "
            f"{EARLIEST_EFFECTIVE.days // 365} years."
        )
    try:
        criterion = framework.definition.criterion(criterion_key)
    except KeyError:
        criterion = None
    if criterion is None or criterion.area != process.area:
        raise EvidenceRefused(f"{process.name} has no criterion {criterion_key!r}.")
    description = description.strip()
    if not description:
        raise EvidenceRefused("Say what shows the criterion is met.")
    if len(description) > MAX_DESCRIPTION:
        raise EvidenceRefused(f"At most {MAX_DESCRIPTION} characters.")
    item = CriterionEvidence.objects.create(
        process=process,
        criterion_key=criterion_key,
        description=description,
        effective=effective,
        valid_days=process.organization.evidence_validity_days,
        added_by=user,
    )
    _audit(user, process, item, "evidence add", {}, _fields(item))
    return item


@transaction.atomic
def evidence_accept(*, evidence: CriterionEvidence, user, accept: bool, now: datetime) -> None:
    """Accept the evidence (it counts while in force) or withdraw an acceptance."""
    process = evidence.process
    _facilitator(user, process)
    before = _fields(evidence)
    evidence.accepted, evidence.accepted_by = (now, user) if accept else (None, None)
    evidence.save(update_fields=["accepted", "accepted_by"])
    action = "evidence accept" if accept else "evidence withdraw"
    _audit(user, process, evidence, action, before, _fields(evidence))


@transaction.atomic
def na_accept(*, score: ProcessScore, criterion_key: str, user, accept: bool, now: datetime):
    """Accept (or stop accepting) the reason of the criterion's settled N/A answer in this
    assessment. It lapses by itself once the criterion's answers change afterwards."""
    assessment = score.assessment
    _facilitator(user, score.process)
    if assessment.is_final:
        raise EvidenceRefused(f"{assessment.title} is final and read-only.")
    if accept:
        figures = assessment_figures(assessment, assessors=False)
        result = next(p for p in figures.processes if p.score.pk == score.pk)
        found = next((c for c in result.criteria if c.criterion.key == criterion_key), None)
        if found is None or found.status != Status.NA:
            raise EvidenceRefused("Only a settled N/A answer's reason can be accepted.")
        row, _ = NaAcceptance.objects.update_or_create(
            process_score=score,
            criterion_key=criterion_key,
            defaults={"accepted_by": user, "accepted": now},
        )
        before, after = {"na_accepted": False}, {"na_accepted": True}
    else:
        row = NaAcceptance.objects.filter(process_score=score, criterion_key=criterion_key).first()
        if row is None:
            return
        row.delete()
        before, after = {"na_accepted": True}, {"na_accepted": False}
    audit.record(
        organization=assessment.organization,
        actor=user,
        area=AuditArea.CHECKS,
        action="na accept" if accept else "na withdraw",
        subject=f"N/A of {criterion_key} on {score.process.name}",
        obj=score,
        before=before,
        after=after,
        scope=assessment,
    )


def _fields(item: CriterionEvidence) -> dict:
    return {
        **audit.snapshot(item, "criterion_key", "effective", "valid_days"),
        "accepted": item.accepted is not None,
    }


def _audit(user, process, item, action, before, after) -> None:
    audit.record(
        organization=process.organization,
        actor=user,
        area=AuditArea.CHECKS,
        action=action,
        subject=f"Evidence for {item.criterion_key} on {process.name}",
        obj=item,
        before=before,
        after=after,
        scope=process,
    )
