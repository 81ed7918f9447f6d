"""Store an organisation document as a new organisation: all of it, or nothing."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.addresses import ascii_problem, normalise
from accounts.models import Membership, Organization, Site, User
from assessments.exchange import InvalidExport
from assessments.exchange.validation import shown
from assessments.framework import Framework, FrameworkError, default_framework
from assessments.models import FrameworkVersion, Process
from assessments.orgtransfer.assessment_entries import assessments_import
from assessments.orgtransfer.audit_trail import audit_import
from assessments.orgtransfer.checks import Lookup, entries, fields, moment, pick, refuse, saved
from assessments.orgtransfer.exporting import FORMAT, VERSION
from assessments.orgtransfer.roadmaps import roadmaps_import
from assessments.orgtransfer.telemetry import integrations_import


@dataclass
class ImportReport:
    """What an import stored, and what people have to do next."""

    organization: Organization
    counts: dict[str, int] = field(default_factory=dict)
    people_created: list[str] = field(default_factory=list)  # emails, without a password
    new_ids: list[tuple[str, str, str]] = field(default_factory=list)  # integration, old, new
    integrations: list[str] = field(default_factory=list)  # they need new ingest tokens
    frameworks_stored: list[str] = field(default_factory=list)  # shipped elsewhere, not here


def organization_import(*, data, slug: str | None = None, name: str | None = None):
    """Create the document's organisation (renamed with `slug` / `name`) with everything in it.

    One transaction: any problem raises InvalidExport (each message says where and what) and
    stores nothing, including a slug taken here and an assessment whose figures would differ.
    """
    _header_check(data)
    now = timezone.now()
    with transaction.atomic():
        org = _organization(data, slug, name)
        report = ImportReport(organization=org)
        users = _people(data, report)
        for path, item in entries(data, "memberships"):
            user = users.get_ref(pick(item, path, "user")[0], f"{path}.user", null=False)
            membership = saved(
                Membership(organization=org, user=user, **fields(item, path, "role")), path
            )
            _created_set(membership, item, path)
        sites = Lookup({}, "sites")
        for path, item in entries(data, "sites"):
            site = saved(
                Site(organization=org, **fields(item, path, "name", "kind", "location")), path
            )
            sites[site.name] = site
        refs = {"users": users, "sites": sites}
        refs["frameworks"] = _frameworks(org, data, users, report, now=now)
        telemetry = integrations_import(organization=org, data=data)
        refs["integrations"] = Lookup(telemetry.by_name, "integrations")
        refs["processes"] = _processes(org, data, refs)
        refs["assessments"] = Lookup(
            enumerate(assessments_import(organization=org, data=data, refs=refs)), "assessments"
        )
        roadmaps = roadmaps_import(organization=org, data=data, refs=refs)
        audited = audit_import(organization=org, data=data, refs=refs)
    report.new_ids = telemetry.new_ids
    report.integrations = sorted(telemetry.by_name)
    report.counts = {
        "people": len(users),
        "processes": len(refs["processes"]),
        "assessments": len(refs["assessments"]),
        "roadmaps": len(roadmaps),
        "milestones": sum(r.milestones.count() for r in roadmaps),
        "integrations": len(telemetry.by_name),
        "rollups": telemetry.rollups,
        "points": telemetry.points,
        "audit events": audited,
    }
    return report


def _header_check(data) -> None:
    if not isinstance(data, dict):
        refuse("top level", "must be an object: not a Ladder organisation export")
    if data.get("format") != FORMAT:
        found = shown(data["format"]) if "format" in data else "missing"
        refuse("format", f"{found}; a Ladder organisation export says {FORMAT!r}")
    if type(data.get("version")) is not int or data["version"] != VERSION:
        refuse(
            "version", f"{shown(data.get('version'))} is not supported; this Ladder reads {VERSION}"
        )


def _organization(data: dict, slug, name) -> Organization:
    (item,) = pick(data, "", "organization")
    found = fields(item, "organization", "name", "slug", "brand_colour", "created")
    org = Organization(
        name=name or found["name"], slug=slug or found["slug"], brand_colour=found["brand_colour"]
    )
    if Organization.objects.filter(slug=org.slug).exists():
        refuse(
            "organization.slug",
            f"{org.slug!r} is taken in this install; import under another one with --slug",
        )
    saved(org, "organization")
    _created_set(org, item, "organization")
    return org


def _created_set(obj, item: dict, path: str) -> None:
    """`created` is set on save (auto_now_add): put the document's back."""
    created = moment(pick(item, path, "created")[0], f"{path}.created")
    type(obj).objects.filter(pk=obj.pk).update(created=created)


def _people(data: dict, report: ImportReport) -> Lookup:
    """People by email: the ones here already, and the others created without a password."""
    users = Lookup({}, "people")
    for path, item in entries(data, "people"):
        email, first, last, firm = pick(item, path, "email", "first_name", "last_name", "firm_name")
        if not isinstance(email, str) or not email.strip():
            refuse(f"{path}.email", "must be an email address")
        given, email = email, normalise(email)
        user = User.objects.filter(email=email).first()
        if user is None:
            if problem := ascii_problem(email):
                refuse(f"{path}.email", problem)
            user = User(email=email, first_name=first, last_name=last, firm_name=firm)
            user.set_unusable_password()  # they set one before they can log in
            saved(user, path)
            report.people_created.append(email)
        users[email] = users[given] = user  # the document may refer to it as it wrote it
    return users


def _frameworks(org, data: dict, users: Lookup, report: ImportReport, *, now) -> Lookup:
    """Own frameworks stored for `org`; shipped ones found here (identical) or stored for it."""
    found = Lookup({}, "frameworks")
    for i, (path, item) in enumerate(entries(data, "frameworks")):
        wanted = fields(item, path, "key", "version", "title", "data", "own")
        own = wanted.pop("own")
        _definition_check(wanted, path)
        framework = None if own else _shipped(wanted)
        if framework is None:
            if not own:
                report.frameworks_stored.append(f"{wanted['key']} {wanted['version']}")
            framework = FrameworkVersion(
                organization=org,
                uploaded_by=users.get_ref(item.get("uploaded_by"), f"{path}.uploaded_by"),
                created=item.get("created") or now,  # a shipped one stored here: from now
                **wanted,
            )
            saved(framework, path)
        found[i] = framework
    return found


def _definition_check(wanted: dict, path: str) -> None:
    """The framework file is one Ladder can use, and it is the version the entry says."""
    if not isinstance(wanted["data"], dict):
        refuse(f"{path}.data", "must be an object")
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
    shipped = default_framework()
    if (
        (wanted["key"], wanted["version"]) == (shipped.id, shipped.version)
        and wanted["data"] == shipped.as_dict()
        and not candidates.exists()
    ):
        return FrameworkVersion.objects.shipped()
    return None


def _processes(org, data: dict, refs: dict) -> Lookup:
    processes = Lookup({}, "processes")
    areas = {a.key for f in refs["frameworks"].values() for a in f.definition.areas}
    for path, item in entries(data, "processes"):
        process = Process(
            organization=org,
            site=refs["sites"].get_ref(item.get("site"), f"{path}.site"),
            owner=refs["users"].get_ref(item.get("owner"), f"{path}.owner"),
            **fields(item, path, "name", "area", "business_value", "description", "archived"),
            **fields(item, path, "created"),
        )
        # The area belongs to a framework, which may have areas the shipped one (the field's
        # choices) lacks: any of the document's frameworks will do.
        if not isinstance(process.area, str) or process.area not in areas:
            refuse(
                f"{path}.area", f"{shown(process.area)} is not an area of the document's frameworks"
            )
        saved(process, path, exclude=["area"])
        (names,) = pick(item, path, "integrations")
        if not isinstance(names, list):
            refuse(f"{path}.integrations", "must be a list of integration names")
        process.integrations.set(
            [refs["integrations"].get_ref(n, f"{path}.integrations", null=False) for n in names]
        )
        processes[process.name] = process
    return processes
