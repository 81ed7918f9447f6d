"""Import a checked export into an organisation as a draft that gives the same figures."""

from dataclasses import dataclass, replace

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
from assessments.exchange.restoring import answers_restore
from assessments.exchange.validation import InvalidExport
from assessments.framework.loading import shipped_framework
from assessments.models import Assessment, FrameworkVersion, Process
from assessments.scoring import Settlement

IMPORTED_SUFFIX = " (imported)"


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
    shipped = shipped_framework(key, version)
    if (
        shipped
        and plan.framework["data"] == shipped.as_dict()
        and not any(c.organization_id is None for c in candidates)
    ):
        # shipped, but not stored in this database yet
        return FrameworkVersion.objects.shipped(shipped)
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
    carry = _Carrier(user=user, title=plan.title)
    processes = [
        existing.get(w.name) or _process_create(organization, w, sites, members)
        for w in plan.processes
    ]
    answers_restore(
        assessment=assessment, plan=plan, processes=processes, carry=carry.carried, now=now
    )
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

    user: User  # the importer: nobody else's name may be put on an answer or agreement
    title: str

    def carried(self, answered: Answered, _path: str) -> tuple[list[Answer], Agreement | None]:
        """The importer's answers to keep, and the agreement to store (agreed by a user)."""
        answers, agreement, own = answered.answers, answered.agreement, self.user.email.lower()
        here = [replace(a, assessor=self.user) for a in answers if a.assessor == own]
        if agreement is not None:
            agreed_by = self.user if agreement.agreed_by == own else None
            return here, replace(agreement, agreed_by=agreed_by)
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
