"""Migrations that moved the audit trail below every app keep every row: an event's assessment
becomes its scope (audit 0003), and the roadmap activity log becomes audit events (assessments
0010). Rows are written at the state before, migrated, and read back."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from assessments.roadmaps.activity import milestone_activity, roadmap_activity
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("assessments", "0009_assessment_imported_note"),
    ("audit", "0002_areas_processes_integrations"),
]
AFTER = [("assessments", "0010_roadmap_activity_to_audit"), ("audit", "0003_scope")]


def migrate(targets):
    """The database moved to `targets`; the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def at_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_audit_no_longer_depends_on_assessments():
    graph = MigrationExecutor(connection).loader.graph
    audit_nodes = [n for n in graph.nodes if n[0] == "audit"]
    ancestors = {a for node in audit_nodes for a in graph.forwards_plan(node)}
    assert not [a for a in ancestors if a[0] in ("assessments", "integration")]


def test_events_and_activity_rows_are_kept(roadmap, owner, at_latest):
    milestone = roadmap.milestones.order_by("position").first()
    assessment = roadmap.assessment
    apps = migrate(BEFORE)
    Event = apps.get_model("audit", "AuditEvent")
    Activity = apps.get_model("assessments", "RoadmapActivity")
    Event.objects.all().delete()
    Activity.objects.all().delete()
    t0 = timezone.now() - timedelta(days=3)
    common = {"organization_id": roadmap.organization_id, "actor_id": owner.pk}
    answer = Event.objects.create(
        **common,
        at=t0,
        actor_email=owner.email,
        area="answers",
        action="set",
        subject="Answer",
        subject_type="assessments.criterionanswer",
        subject_id="7",
        assessment_id=assessment.pk,
        after={"status": "fully"},
    )
    # Written together by log_activity: one event, with the values, for the row.
    changed = Event.objects.create(
        **common,
        at=t0 + timedelta(hours=1),
        actor_email=owner.email,
        area="roadmaps",
        action="changed",
        subject=f"Milestone {milestone.title}",
        subject_type="assessments.milestone",
        subject_id=str(milestone.pk),
        before={"due_date": "2031-01-01"},
        after={"due_date": "2031-03-01"},
    )
    Activity.objects.create(
        roadmap_id=roadmap.pk,
        milestone_id=milestone.pk,
        actor_id=owner.pk,
        action="changed",
        text="Changed due date 01 Jan 2031 → 01 Mar 2031.",
        created=changed.at,
    )
    # Imported from another install: the event's subject id is that install's.
    imported = Event.objects.create(
        organization_id=roadmap.organization_id,
        at=t0 + timedelta(hours=2),
        actor_email="",  # Ladder itself
        area="roadmaps",
        action="commented",
        subject=f"Milestone {milestone.title}",
        subject_type="assessments.milestone",
        subject_id="99999",
        after={"comment": "On it"},
    )
    Activity.objects.create(
        roadmap_id=roadmap.pk,
        milestone_id=milestone.pk,
        actor_id=None,
        action="commented",
        text=f"Commented on {milestone.title}.",
        created=imported.at,
    )
    # Older than the audit trail: no event at all.
    Activity.objects.create(
        roadmap_id=roadmap.pk,
        milestone_id=None,
        actor_id=owner.pk,
        action="generated",
        text="Generated from Spring: 5 milestones.",
        created=t0 - timedelta(days=1),
    )

    apps = migrate(AFTER)
    Event = apps.get_model("audit", "AuditEvent")
    assert Event.objects.count() == 4
    answer = Event.objects.get(pk=answer.pk)
    assert (answer.scope_type, answer.scope_id) == ("assessments.assessment", str(assessment.pk))
    assert (answer.area, answer.after, answer.text) == ("answers", {"status": "fully"}, "")
    changed = Event.objects.get(pk=changed.pk)
    assert (changed.scope_type, changed.scope_id) == ("assessments.milestone", str(milestone.pk))
    assert changed.text == "Changed due date 01 Jan 2031 → 01 Mar 2031."
    assert changed.before == {"due_date": "2031-01-01"}
    imported = Event.objects.get(pk=imported.pk)
    assert (imported.scope_id, imported.subject_id) == (str(milestone.pk), "99999")
    assert imported.text == f"Commented on {milestone.title}."
    generated = Event.objects.exclude(pk__in=[answer.pk, changed.pk, imported.pk]).get()
    assert (generated.scope_type, generated.scope_id) == ("assessments.roadmap", str(roadmap.pk))
    assert (generated.action, generated.actor_id, generated.actor_email) == (
        "generated",
        owner.pk,
        owner.email,
    )
    assert generated.subject == f"Roadmap {roadmap.title}"
    assert generated.after == {"change": "Generated from Spring: 5 milestones."}
    assert connection.introspection.table_names().count("assessments_roadmapactivity") == 0

    # The pages read them as they read the activity log (with today's models, so at today's
    # schema: later migrations add milestone columns).
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    log = [(a.text, a.milestone, a.actor) for a in roadmap_activity(roadmap)]
    assert log == [
        (f"Commented on {milestone.title}.", milestone, None),
        ("Changed due date 01 Jan 2031 → 01 Mar 2031.", milestone, owner),
        ("Generated from Spring: 5 milestones.", None, owner),
    ]
    assert [a.text for a in milestone_activity(milestone)] == [log[0][0], log[1][0]]
    assert AuditEvent.of_scope(assessment).get().pk == answer.pk


def test_going_back_restores_the_activity_log_and_assessments(roadmap, at_latest):
    texts = [a.text for a in roadmap_activity(roadmap)]
    events = {e.pk: e.scope_id for e in AuditEvent.objects.filter(area="answers")}
    apps = migrate(BEFORE)
    Activity = apps.get_model("assessments", "RoadmapActivity")
    Event = apps.get_model("audit", "AuditEvent")
    assert [a.text for a in Activity.objects.order_by("-created", "-pk")] == texts
    for pk, scope_id in events.items():
        assert str(Event.objects.get(pk=pk).assessment_id) == scope_id
