"""Every organisation-scoped URL is a 404 to anyone outside the organisation.

The URL patterns are read from the resolver, so a new view cannot be forgotten: a pattern with
a parameter this test does not know how to fill fails until a sample object is added below.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Invitation, Membership, Site
from tests.conftest import client_for

ORG_PREFIX = "o/<slug:org_slug>/"


def org_scoped_routes():
    """(route, name) for every pattern below /o/<org_slug>/."""

    def walk(patterns, prefix):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                yield route, p.name

    return [
        (route, name)
        for route, name in walk(get_resolver().url_patterns, "")
        if route.startswith(ORG_PREFIX)
    ]


# How to make an object of the victim organisation for each URL parameter.
def _assessment(org, owner):
    from assessments.models import Assessment, FrameworkVersion, Process, ProcessScore

    assessment = Assessment.objects.filter(organization=org).first()
    if assessment is None:
        framework = FrameworkVersion.objects.shipped()
        assessment = Assessment.objects.create(organization=org, framework=framework, title="T")
        process = Process.objects.create(organization=org, name="P", area="manufacturing")
        ProcessScore.objects.create(assessment=assessment, process=process)
    return assessment


def _framework(org):
    from assessments.models import FrameworkVersion

    shipped = FrameworkVersion.objects.shipped()
    return FrameworkVersion.objects.create(
        organization=org, key="own", version="1", title="Own", data=shipped.data
    )


def _integration(org):
    from integration.models import Integration

    return Integration.objects.get_or_create(organization=org, name="Sample integration")[0]


def _ingest_token(org):
    from integration.models import IngestToken

    return IngestToken.objects.issue(integration=_integration(org))[0]


def _read_token(org):
    from integration.models import ReadToken

    return ReadToken.objects.issue(integration=_integration(org))[0]


def _roadmap(org, owner):
    from datetime import date

    from assessments.models import Milestone, Roadmap

    roadmap = Roadmap.objects.filter(organization=org).first()
    if roadmap is None:
        assessment = _assessment(org, owner)
        roadmap = Roadmap.objects.create(
            organization=org, title="R", assessment=assessment, framework=assessment.framework
        )
        Milestone.objects.create(roadmap=roadmap, title="M", owner=owner, due_date=date(2026, 1, 1))
    return roadmap


def _criterion(org, owner):
    from assessments.models import AcceptanceCriterion

    milestone = _roadmap(org, owner).milestones.first()
    return AcceptanceCriterion.objects.get_or_create(
        milestone=milestone,
        integration=_integration(org),
        defaults={"kind": "freshness", "threshold": 60},
    )[0]


def _kpi(org):
    from assessments.models import OutcomeKpi

    return OutcomeKpi.objects.get_or_create(
        organization=org,
        name="Unplanned downtime",
        defaults={"benefit": "efficiency", "integration": _integration(org), "metric": "x"},
    )[0]


def _report(org, owner):
    from assessments.models import Report

    return Report.objects.create(
        organization=org, assessment=_assessment(org, owner), requested_by=owner
    )


def _attestation(org, owner):
    from datetime import date

    from assessments.models import Attestation

    return Attestation.objects.create(
        organization=org,
        scope_name="All checks",
        window_start=date(2026, 1, 1),
        window_end=date(2026, 6, 30),
        signer_name="A",
        signed_as="auditor",
        statement="S",
    )


def _evidence(org, owner):
    from datetime import date

    from assessments.models.verification import CriterionEvidence

    process = _assessment(org, owner).process_scores.first().process
    return CriterionEvidence.objects.get_or_create(
        process=process,
        criterion_key="mfg-1-digital-records",
        defaults={"description": "Shift log", "effective": date(2026, 1, 1)},
    )[0]


SAMPLES = {
    "membership_id": lambda org, owner: Membership.objects.get(organization=org, user=owner).pk,
    "invitation_id": lambda org, owner: (
        Invitation.objects.create(organization=org, email="new@x.test").pk
    ),
    "site_id": lambda org, owner: Site.objects.filter(organization=org).first().pk,
    "assessment_id": lambda org, owner: _assessment(org, owner).pk,
    "process_id": lambda org, owner: _assessment(org, owner).process_scores.first().process_id,
    "score_id": lambda org, owner: _assessment(org, owner).process_scores.first().pk,
    "dimension_key": lambda org, owner: "connectivity",
    "format": lambda org, owner: "json",
    "framework_id": lambda org, owner: _framework(org).pk,
    "integration_id": lambda org, owner: _integration(org).pk,
    "token_id": lambda org, owner: _ingest_token(org).pk,
    "read_token_id": lambda org, owner: _read_token(org).pk,
    "roadmap_id": lambda org, owner: _roadmap(org, owner).pk,
    "milestone_id": lambda org, owner: _roadmap(org, owner).milestones.first().pk,
    "report_id": lambda org, owner: _report(org, owner).pk,
    "criterion_id": lambda org, owner: _criterion(org, owner).pk,
    "attestation_id": lambda org, owner: _attestation(org, owner).pk,
    "check_key": lambda org, owner: "mfg-2-machine-data-arrives",
    "criterion_key": lambda org, owner: "mfg-1-digital-records",
    "evidence_id": lambda org, owner: _evidence(org, owner).pk,
    "kpi_id": lambda org, owner: _kpi(org).pk,
}


def fill(route: str, org, owner) -> str:
    import re

    def replace(match):
        name = match.group(2)
        if name == "org_slug":
            return org.slug
        if name not in SAMPLES:
            pytest.fail(f"test_tenancy does not know how to fill <{name}> in {route}: add a sample")
        return str(SAMPLES[name](org, owner))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", replace, route)


def test_there_are_org_scoped_routes():
    names = {name for _, name in org_scoped_routes()}
    assert {"org-home", "members", "settings", "site-edit"} <= names


@pytest.mark.parametrize("route,name", org_scoped_routes())
def test_outsider_gets_404_for_every_org_scoped_url(route, name, org, owner, outsider):
    url = fill(route, org, owner)
    client = client_for(outsider)
    assert client.get(url).status_code == 404, url
    assert client.post(url, {"role": "owner", "name": "x"}).status_code == 404, url


@pytest.mark.parametrize("route,name", [r for r in org_scoped_routes() if r[0].count("<") > 1])
def test_other_orgs_object_is_404_in_own_org(route, name, org, owner, other_org, outsider):
    """An outsider using their own organisation's URL with our object's id still gets a 404."""
    url = fill(route, org, owner).replace(f"/o/{org.slug}/", f"/o/{other_org.slug}/", 1)
    client = client_for(outsider)
    assert client.get(url).status_code in (404, 405), url  # 405: a POST-only view
    assert client.post(url, {"role": "owner", "name": "x"}).status_code == 404, url


@pytest.mark.parametrize("route,name", org_scoped_routes())
def test_anonymous_is_sent_to_login(route, name, org, owner, client):
    response = client.get(fill(route, org, owner))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_unknown_organisation_is_404(owner):
    assert client_for(owner).get("/o/nope/").status_code == 404
