from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from assessments.models import Milestone, Roadmap


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
