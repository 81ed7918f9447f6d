"""Store an organisation document as a new organisation: all of it, or nothing."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

import audit.trail as audit
from accounts.addresses import ascii_problem, normalise
from accounts.models import Membership, Organization, Site, User
from accounts.services import AuditArea
from assessments.exchange.validation import InvalidExport, document_read, shown
from assessments.framework.fields import FrameworkError
from assessments.framework.loading import shipped_framework
from assessments.framework.model import Framework
from assessments.models import FrameworkVersion, Process
from assessments.orgtransfer.assessment_entries import assessments_import
from assessments.orgtransfer.audit_trail import audit_import
from assessments.orgtransfer.checks import Lookup, refuse, saved
from assessments.orgtransfer.document import (
    FrameworkEntry,
    OrganizationDocument,
    OrganizationEntry,
    PersonEntry,
    ProcessEntry,
)
from assessments.orgtransfer.exporting import FORMAT, READ_VERSIONS
from assessments.orgtransfer.roadmaps import kpis_import, roadmaps_import
from assessments.orgtransfer.telemetry import integrations_import
from assessments.orgtransfer.verification import checks_import, evidence_import


@dataclass
class ImportReport:
    """What an import stored, and what people have to do next."""

    organization: Organization
    counts: dict[str, int] = field(default_factory=dict)
    people_created: list[str] = field(default_factory=list)  # emails, without a password
    new_ids: list[tuple[str, str, str]] = field(default_factory=list)  # integration, old, new
    integrations: list[str] = field(default_factory=list)  # they need new ingest tokens
    frameworks_stored: list[str] = field(default_factory=list)  # shipped elsewhere, not here
    benchmarks_left: bool = False  # it shared benchmark figures where it came from


def organization_import(*, data, slug: str | None = None, name: str | None = None):
    """Create the document's organisation (renamed with `slug` / `name`) with everything in it.

    One transaction: any problem raises InvalidExport (each message says where and what) and
    stores nothing, including a slug taken here and an assessment whose figures would differ.
    """
    _header_check(data)
    document = document_read(OrganizationDocument, data)
    now = timezone.now()
    with transaction.atomic():
        org = _organization(document.organization, slug, name)
        report = ImportReport(organization=org)
        users = _people(document.people, report)
        for i, item in enumerate(document.memberships):
            path = f"memberships[{i}]"
            user = users.get_ref(item.user, f"{path}.user", null=False)
            membership = Membership(organization=org, user=user, role=item.role)
            membership.observe_from, membership.observe_to = item.observe_from, item.observe_to
            membership = saved(membership, path)
            _created_set(membership, item.created)
        sites = Lookup({}, "sites")
        for i, item in enumerate(document.sites):
            site = saved(Site(organization=org, **item.values()), f"sites[{i}]")
            sites[site.name] = site
        refs = {"users": users, "sites": sites}
        refs["frameworks"] = _frameworks(org, document.frameworks, users, report, now=now)
        telemetry = integrations_import(organization=org, integrations=document.integrations)
        refs["integrations"] = Lookup(telemetry.by_name, "integrations")
        refs["processes"] = _processes(org, document.processes, refs)
        bindings = checks_import(entries=document.checks, refs=refs)
        evidence = evidence_import(entries=document.evidence, refs=refs)
        stored = assessments_import(organization=org, entries=document.assessments, refs=refs)
        refs["assessments"] = Lookup(enumerate(stored), "assessments")
        refs["kpis"] = kpis_import(organization=org, entries=document.outcome_kpis, refs=refs)
        roadmaps = roadmaps_import(organization=org, entries=document.roadmaps, refs=refs)
        audited = audit_import(organization=org, entries=document.audit, refs=refs)
        report.benchmarks_left = _benchmarks_left(org, document.audit, now=now)
    report.new_ids = telemetry.new_ids
    report.integrations = sorted(telemetry.by_name)
    report.counts = {
        "people": len(users),
        "processes": len(refs["processes"]),
        "assessments": len(refs["assessments"]),
        "roadmaps": len(roadmaps),
        "milestones": sum(r.milestones.count() for r in roadmaps),
        "outcome KPIs": len(refs["kpis"]),
        "integrations": len(telemetry.by_name),
        "checks": len(document.checks),
        "check bindings": bindings,
        "evidence": evidence,
        "rollups": telemetry.rollups,
        "points": telemetry.points,
        "audit events": audited,
    }
    return report


def _benchmarks_left(org, events, *, now) -> bool:
    """The opt-in is an owner's consent for one install and is not carried: when the trail says
    the organisation shared its figures, record that it does not here, so trail and setting
    agree. True then."""
    said = [
        e.after["benchmark_opt_in"]
        for e in events
        if isinstance(e.after, dict) and "benchmark_opt_in" in e.after
    ]
    if not said or said[-1] is not True:
        return False
    audit.record(
        organization=org,
        actor=None,
        area=AuditArea.SETTINGS,
        action="benchmarks opted out",
        subject="benchmarks",
        obj=org,
        before={"benchmark_opt_in": True},
        after={"benchmark_opt_in": False},
        text="Moved from another install: an opt-in stays with the install it was given in.",
        at=now,
    )
    return True


def _header_check(data) -> None:
    if not isinstance(data, dict):
        refuse("top level", "must be an object: not a Ladder organisation export")
    if data.get("format") != FORMAT:
        found = shown(data["format"]) if "format" in data else "missing"
        refuse("format", f"{found}; a Ladder organisation export says {FORMAT!r}")
    if type(data.get("version")) is not int or data["version"] not in READ_VERSIONS:
        *first, last = map(str, READ_VERSIONS)
        readable = f"{', '.join(first)} and {last}" if first else last
        refuse(
            "version",
            f"{shown(data.get('version'))} is not supported; this Ladder reads {readable}",
        )


def _organization(item: OrganizationEntry, slug, name) -> Organization:
    org = Organization(
        name=name or item.name, slug=slug or item.slug, brand_colour=item.brand_colour
    )
    if Organization.objects.filter(slug=org.slug).exists():
        refuse(
            "organization.slug",
            f"{org.slug!r} is taken in this install; import under another one with --slug",
        )
    saved(org, "organization")
    _created_set(org, item.created)
    return org


def _created_set(obj, created) -> None:
    """`created` is set on save (auto_now_add): put the document's back."""
    type(obj).objects.filter(pk=obj.pk).update(created=created)


def _people(entries: list[PersonEntry], report: ImportReport) -> Lookup:
    """People by email: the ones here already, and the others created without a password."""
    users = Lookup({}, "people")
    for i, item in enumerate(entries):
        path = f"people[{i}]"
        given, email = item.email, normalise(item.email)
        user = User.objects.filter(email=email).first()
        if user is None:
            if problem := ascii_problem(email):
                refuse(f"{path}.email", problem)
            user = User(email=email, **item.values("email"))
            user.set_unusable_password()  # they set one before they can log in
            saved(user, path)
            report.people_created.append(email)
        users[email] = users[given] = user  # the document may refer to it as it wrote it
    return users


def _frameworks(org, entries: list[FrameworkEntry], users: Lookup, report, *, now) -> Lookup:
    """Own frameworks stored for `org`; shipped ones found here (identical) or stored for it."""
    found = Lookup({}, "frameworks")
    for i, item in enumerate(entries):
        path = f"frameworks[{i}]"
        wanted = item.values("own", "uploaded_by", "created")
        _definition_check(wanted, path)
        framework = None if item.own else _shipped(wanted)
        if framework is None:
            if not item.own:
                report.frameworks_stored.append(f"{item.key} {item.version}")
            framework = FrameworkVersion(
                organization=org,
                uploaded_by=users.get_ref(item.uploaded_by, f"{path}.uploaded_by"),
                created=item.created or now,  # a shipped one stored here: from now
                **wanted,
            )
            saved(framework, path)
        found[i] = framework
    return found


def _definition_check(wanted: dict, path: str) -> None:
    """The framework file is one Ladder can use, and it is the version the entry says."""
    try:
        definition = Framework.from_dict(wanted["data"], source=f"{path}.data")
    except FrameworkError as exc:
        raise InvalidExport(exc.errors) from None
    if (definition.id, definition.version) != (wanted["key"], wanted["version"]):
        refuse(path, f"key and version differ from data's {definition.id} {definition.version}")


def _shipped(wanted: dict) -> FrameworkVersion | None:
    candidates = FrameworkVersion.objects.filter(
        organization=None, key=wanted["key"], version=wanted["version"]
    )
    for candidate in candidates:
        if candidate.data == wanted["data"]:
            return candidate
    shipped = shipped_framework(wanted["key"], wanted["version"])
    if shipped and wanted["data"] == shipped.as_dict() and not candidates.exists():
        return FrameworkVersion.objects.shipped(shipped)
    return None


def _processes(org, entries: list[ProcessEntry], refs: dict) -> Lookup:
    processes = Lookup({}, "processes")
    areas = {a.key for f in refs["frameworks"].values() for a in f.definition.areas}
    for i, item in enumerate(entries):
        path = f"processes[{i}]"
        process = Process(
            organization=org,
            site=refs["sites"].get_ref(item.site, f"{path}.site"),
            owner=refs["users"].get_ref(item.owner, f"{path}.owner"),
            **item.values("site", "owner", "integrations"),
        )
        # The area belongs to a framework, which may have areas the shipped one (the field's
        # choices) lacks: any of the document's frameworks will do.
        if not isinstance(process.area, str) or process.area not in areas:
            refuse(
                f"{path}.area", f"{shown(process.area)} is not an area of the document's frameworks"
            )
        saved(process, path, exclude=["area"])
        process.integrations.set(
            [
                refs["integrations"].get_ref(n, f"{path}.integrations", null=False)
                for n in item.integrations
            ]
        )
        processes[process.name] = process
    return processes
