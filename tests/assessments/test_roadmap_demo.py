from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from assessments.models import AcceptanceCriterion, Milestone, Roadmap


def test_demo_has_a_roadmap_per_organisation_with_milestones_in_every_status(db):
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # idempotent
    today = timezone.localdate()
    for slug in ("acme", "northwind"):
        (roadmap,) = Roadmap.objects.filter(organization__slug=slug)
        assert roadmap.assessment.title == "Current assessment"
        milestones = list(roadmap.milestones.active())
        assert {m.status for m in milestones} == set(Milestone.Status.values)
        assert all(m.owner_id and m.due_date for m in milestones)
        assert any(m.is_overdue(today) for m in milestones)
        assert any(m.kind == "readiness" for m in milestones)
        assert roadmap.milestones.filter(comments__isnull=False).exists()
        done = [m for m in milestones if m.is_done]
        assert all(roadmap.start_date <= timezone.localdate(m.completed) < today for m in done)


def test_demo_milestones_are_verified_by_the_simulators_telemetry_but_one(db):
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # adds no criterion twice
    criteria = AcceptanceCriterion.objects.select_related("integration", "milestone__roadmap")
    assert {c.milestone.roadmap.organization.slug for c in criteria} == {"acme", "northwind"}
    assert {c.kind for c in criteria} == {"uptime", "freshness", "aggregate"}
    assert all(c.last_checked is not None for c in criteria)
    (failing,) = [c for c in criteria if not c.last_passed]
    assert failing.integration.name == "Legacy SCADA historian export"
    assert failing.last_explanation == "last data 3 d ago; needs ≤ 1800 s"
    assert sum(1 for c in criteria if c.last_passed) >= 5
    verified = [
        m for m in Milestone.objects.all() if m.verification and m.verification.label == "Verified"
    ]
    assert len(verified) >= 4
