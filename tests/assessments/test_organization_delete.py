"""An organisation can be deleted with everything in it; its pieces still guard each other."""

import pytest
from django.db.models import RestrictedError

from accounts.demo import demo_accounts_create
from assessments.demo import demo_assessments_create, demo_roadmaps_create
from assessments.models import Assessment, Process, ProcessScore, Roadmap
from audit.models import AuditEvent


@pytest.fixture
def orgs(db):
    orgs = demo_accounts_create()
    demo_assessments_create(orgs)
    demo_roadmaps_create(orgs)
    return orgs


def test_deleting_an_organisation_takes_its_assessments_roadmaps_and_trail(orgs):
    acme, northwind = orgs["acme"], orgs["northwind"]
    kept = Assessment.objects.filter(organization=northwind).count()
    assert Roadmap.objects.filter(organization=acme).exists()
    acme.delete()
    assert not Assessment.objects.filter(organization_id=acme.pk).exists()
    assert not Process.objects.filter(organization_id=acme.pk).exists()
    assert not AuditEvent.objects.filter(organization_id=acme.pk).exists()
    assert Assessment.objects.filter(organization=northwind).count() == kept


def test_a_process_with_scores_cannot_be_deleted_alone(orgs):
    process = ProcessScore.objects.filter(assessment__organization=orgs["acme"]).first().process
    with pytest.raises(RestrictedError):
        process.delete()
    assert Process.objects.filter(pk=process.pk).exists()
