"""The organisation document: everything `organization_import` needs, no ids, no secrets."""

from django.utils import timezone

from assessments.models import FrameworkVersion
from assessments.orgtransfer.assessment_entries import assessments_export
from assessments.orgtransfer.audit_trail import audit_export
from assessments.orgtransfer.references import People, stamp
from assessments.orgtransfer.roadmaps import kpis_export, roadmaps_export
from assessments.orgtransfer.telemetry import integrations_export
from assessments.orgtransfer.verification import checks_export, evidence_export

FORMAT = "ladder-organization"
# 2: adds "checks" (with their bindings) and "evidence"; each assessment's export is version 2.
# 3: adds "outcome_kpis" and each milestone's KPI, start date, expected change, effort, cost
# and frozen baseline.
VERSION = 3
READ_VERSIONS = (1, 2, 3)  # the versions `organization_import` still reads


def organization_export(*, organization, with_points: bool = False, now=None) -> dict:
    """The whole organisation as JSON-able data; raw points only `with_points`."""
    people = People()
    frameworks = _frameworks(organization)
    processes = list(
        organization.processes.select_related("site")
        .prefetch_related("integrations")
        .order_by("name")
    )
    assessments = list(organization.assessments.order_by("created", "pk"))
    refs = {
        "frameworks": {f.pk: i for i, f in enumerate(frameworks)},
        "assessments": {a.pk: i for i, a in enumerate(assessments)},
        "processes": {p.pk: p.name for p in processes},
    }
    sections = {
        "memberships": [
            {
                "user": m.user.email,
                "role": m.role,
                "created": stamp(m.created),
                "observe_from": m.observe_from and m.observe_from.isoformat(),
                "observe_to": m.observe_to and m.observe_to.isoformat(),
            }
            for m in organization.memberships.select_related("user").order_by("user__email")
        ],
        "sites": [
            {"name": s.name, "kind": s.kind, "location": s.location}
            for s in organization.sites.order_by("name")
        ],
        "frameworks": [_framework_export(f, organization, people) for f in frameworks],
        "processes": [_process_export(p, people) for p in processes],
        "integrations": integrations_export(organization=organization, with_points=with_points),
        "checks": checks_export(organization=organization, people=people, refs=refs),
        "evidence": evidence_export(organization=organization, people=people),
        "assessments": assessments_export(assessments=assessments, people=people, refs=refs),
        "outcome_kpis": kpis_export(organization=organization),
        "roadmaps": roadmaps_export(organization=organization, people=people, refs=refs),
        "audit": audit_export(organization=organization, people=people, refs=refs),
    }
    people.add_emails(m["user"] for m in sections["memberships"])
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": stamp(now or timezone.now()),
        "with_points": with_points,
        "organization": {
            "name": organization.name,
            "slug": organization.slug,
            "brand_colour": organization.brand_colour,
            "created": stamp(organization.created),
        },
        "people": people.rows(),  # after every section has named the people it refers to
        **sections,
    }


def _frameworks(organization) -> list[FrameworkVersion]:
    """The organisation's own frameworks and the shipped ones its assessments and roadmaps use."""
    used = set(organization.assessments.values_list("framework", flat=True))
    used |= set(organization.roadmaps.values_list("framework", flat=True))
    found = FrameworkVersion.objects.filter(organization=organization) | (
        FrameworkVersion.objects.filter(pk__in=used)
    )
    return sorted(found, key=lambda f: (f.key, f.version, f.organization_id is not None, f.pk))


def _framework_export(framework: FrameworkVersion, organization, people: People) -> dict:
    own = framework.organization_id == organization.pk
    return {
        "key": framework.key,
        "version": framework.version,
        "title": framework.title,
        "own": own,
        "uploaded_by": people.email(framework.uploaded_by_id) if own else None,
        "created": stamp(framework.created) if own else None,
        "data": framework.data,
    }


def _process_export(process, people: People) -> dict:
    return {
        "name": process.name,
        "area": process.area,
        "site": process.site.name if process.site else None,
        "owner": people.email(process.owner_id),
        "business_value": process.business_value,
        "description": process.description,
        "archived": process.archived,
        "created": stamp(process.created),
        "integrations": sorted(i.name for i in process.integrations.all()),
    }
