"""Import a checked export into an organisation as a draft that gives the same figures."""

from dataclasses import dataclass, replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone

import audit.trail as audit
from accounts.models import Site, User
from assessments import scoring
from assessments.audit_areas import AuditArea
from assessments.exchange.reading import (
    Agreement,
    Answer,
    Answered,
    Plan,
    ProcessPlan,
    export_read,
)
from assessments.exchange.validation import InvalidExport
from assessments.framework import default_framework
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
from assessments.scoring import Settlement

IMPORTED_SUFFIX = " (imported)"
# Where a criterion's or a question side's answers and agreement go, and the field of the answer.
CRITERION_MODELS = (CriterionAnswer, CriterionAgreement, "status")
READINESS_MODELS = (ReadinessAnswer, ReadinessAgreement, "value")


def assessment_import(*, organization, data, user) -> Assessment:
    """Recreate an exported assessment in `organization` as a draft with the same figures.

    All or nothing: a file with any problem raises InvalidExport (each message says where and
    what) and stores nothing. The framework version is reused when an identical one (key,
    version and data) is available to the organisation, else stored for it. Processes are
    matched by name (an existing one must have the file's area and business value) or created;
    sites are matched by name, never created. Who answered what, per criterion or question:

    - an agreement in the file is kept with its reason (agreed by the importing user if the
      file names them, else by nobody);
    - only the importing user's own answers are kept as answers: a file names its assessors by
      email, and nobody else's name may be put on an answer here; the others are not imported
      (they stay in the file), and the assessment's `imported_note` lists who the file named;
    - a unanimous answer that not all of its assessors can bring along becomes an agreement,
      "Imported from <title>: unanimous answer of N assessors", agreed by the importing user;
    - a disputed question stays unsettled: the members' answers are kept only if they still
      disagree among themselves, so it never starts to count.

    Only settled answers feed the figures, so every figure is the same as in the file.
    """
    plan = export_read(data)
    with transaction.atomic():
        names = [p.name for p in plan.processes]
        existing = {
            p.name: p for p in Process.objects.filter(organization=organization, name__in=names)
        }
        problems = _conflicts(organization, plan, existing)
        if problems:
            raise InvalidExport(problems)
        assessment = _store(organization, plan, existing, user)
        audit.record(
            organization=organization,
            actor=user,
            area=AuditArea.ASSESSMENTS,
            action="imported",
            subject=f"Assessment {assessment.title}",
            obj=assessment,
            after={
                "from file": plan.title,
                "processes": len(plan.processes),
                "assessors named in the file": _assessors_named(plan),
            },
            scope=assessment,
        )
        return assessment


def _conflicts(organization, plan: Plan, existing: dict[str, Process]) -> list[str]:
    """What in this organisation keeps the file from giving the same figures."""
    problems = []
    for i, wanted in enumerate(plan.processes):
        process = existing.get(wanted.name)
        if process is None:
            continue
        if process.area != wanted.area:
            problems.append(
                f"processes[{i}].area: {wanted.name!r} is in area {process.area} here but "
                f"{wanted.area} in the file, so its answers would not apply"
            )
        if process.business_value != wanted.business_value:
            problems.append(
                f"processes[{i}].business_value: {wanted.name!r} has business value "
                f"{process.business_value} here but {wanted.business_value} in the file, so the "
                "figures would differ; make them the same and import again"
            )
    key, version = plan.framework["key"], plan.framework["version"]
    own = FrameworkVersion.objects.filter(
        organization=organization, key=key, version=version
    ).first()
    if own is not None and own.data != plan.framework["data"]:
        problems.append(
            f"framework: this organisation has its own {key} {version} with other content than "
            "the file's"
        )
    return problems


def _framework_version(organization, plan: Plan, user) -> FrameworkVersion:
    """An identical version available here (key, version and data), else one stored for it."""
    key, version = plan.framework["key"], plan.framework["version"]
    candidates = FrameworkVersion.objects.available_to(organization).filter(
        key=key, version=version
    )
    for candidate in candidates:
        if candidate.data == plan.framework["data"]:
            return candidate
    shipped = default_framework()
    if (
        (key, version) == (shipped.id, shipped.version)
        and plan.framework["data"] == shipped.as_dict()
        and not any(c.organization_id is None for c in candidates)
    ):
        return FrameworkVersion.objects.shipped()  # shipped, but not stored in this database yet
    stored = FrameworkVersion(organization=organization, uploaded_by=user, **plan.framework)
    stored.full_clean()
    stored.save()
    return stored


def _assessors_named(plan: Plan) -> list[str]:
    answered = [a for p in plan.processes for a in p.criteria.values()]
    answered += plan.readiness.values()
    return sorted({answer.assessor for a in answered for answer in a.answers})


def _imported_note(plan: Plan, user) -> str:
    named = _assessors_named(plan)
    if not named:
        return f"Imported by {user.email} from a file with no answers."
    return (
        f"Imported by {user.email} from a file naming the assessors {', '.join(named)}; "
        "the answers here are the importer's or settled as agreements."
    )


def _store(organization, plan: Plan, existing: dict[str, Process], user) -> Assessment:
    now = timezone.now()
    # Process owners are matched among the members; answers belong to the importing user only.
    members = {u.email: u for u in User.objects.filter(memberships__organization=organization)}
    sites = {s.name: s for s in Site.objects.filter(organization=organization)}
    assessment = Assessment(
        organization=organization,
        site=sites.get(plan.site),
        title=plan.title[: 150 - len(IMPORTED_SUFFIX)] + IMPORTED_SUFFIX,
        framework=_framework_version(organization, plan, user),
        state=Assessment.State.DRAFT,
        assessed_on=plan.assessed_on,
        created_by=user,
        created=now,
        imported_note=_imported_note(plan, user),
    )
    assessment.full_clean()
    assessment.save()
    carry = _Carrier(members={user.email.lower(): user}, user=user, title=plan.title, now=now)
    rows = []  # unsaved, created together at the end
    for wanted in plan.processes:
        process = existing.get(wanted.name) or _process_create(organization, wanted, sites, members)
        score = ProcessScore.objects.create(
            assessment=assessment,
            process=process,
            target_level=wanted.target_level,
            rationale=wanted.rationale,
            evidence=wanted.evidence,
        )
        for key, answered in sorted(wanted.criteria.items()):
            rows += carry.rows(answered, CRITERION_MODELS, process_score=score, criterion_key=key)
    for (question, side), answered in sorted(plan.readiness.items()):
        rows += carry.rows(
            answered, READINESS_MODELS, assessment=assessment, question_key=question, side=side
        )
    rows += [
        ExcludedDimension(assessment=assessment, dimension_key=key, reason=reason)
        for key, reason in plan.excluded.items()
    ]
    for model in (
        CriterionAnswer,
        CriterionAgreement,
        ReadinessAnswer,
        ReadinessAgreement,
        ExcludedDimension,
    ):
        model.objects.bulk_create([row for row in rows if type(row) is model])
    return assessment


def _process_create(organization, wanted: ProcessPlan, sites, members) -> Process:
    process = Process(
        organization=organization,
        name=wanted.name,
        area=wanted.area,
        site=sites.get(wanted.site),
        owner=members.get(wanted.owner),
        business_value=wanted.business_value,
        description=wanted.description,
    )
    # The area was checked against the file's framework, which may have areas the shipped one
    # (the field's choices) lacks.
    process.full_clean(exclude=["area"])
    process.save()
    return process


@dataclass
class _Carrier:
    """Decides, for one criterion or question side, what to store so it settles as in the file."""

    members: dict[str, User]  # whose answers are kept as theirs, by email: the importer only
    user: User
    title: str
    now: datetime

    def rows(self, answered: Answered, models: tuple, **where) -> list:
        """Unsaved answers and agreement of `where` (a criterion or a question side)."""
        answer_model, agreement_model, field = models
        answers, agreement = self._carried(answered)
        rows = [
            answer_model(
                **where,
                assessor=self.members[a.assessor],
                **{field: a.value},
                **a.extra,
                updated=self.now,
            )
            for a in answers
        ]
        if agreement:
            rows.append(
                agreement_model(
                    **where,
                    **{field: agreement.value},
                    reason=agreement.reason,
                    agreed_by=agreement.agreed_by,
                    updated=self.now,
                )
            )
        return rows

    def _carried(self, answered: Answered) -> tuple[list[Answer], Agreement | None]:
        """The members' answers to keep, and the agreement to store (agreed by a user)."""
        answers, agreement = answered.answers, answered.agreement
        here = [a for a in answers if a.assessor in self.members]
        if agreement is not None:
            return here, replace(agreement, agreed_by=self.members.get(agreement.agreed_by))
        original = scoring.settle([a.value for a in answers])
        if original.state == Settlement.UNANIMOUS and len(here) < len(answers):
            n = len(answers)
            reason = f"Imported from {self.title}: unanimous answer of {n} assessor{'s' * (n > 1)}"
            return here, Agreement(original.value, reason, self.user)
        if original.state == Settlement.DISPUTED:
            # A subset that agrees would settle what the file left open: keep it open.
            still_open = scoring.settle([a.value for a in here]).state == Settlement.DISPUTED
            return (here if still_open else []), None
        return here, None
