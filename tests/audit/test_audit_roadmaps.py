"""The audit trail of roadmaps and milestones."""

from datetime import date

from assessments.roadmaps.editing import (
    milestone_comment_add,
    milestone_create,
    milestone_move,
    milestone_remove,
    milestone_status_set,
    milestone_update,
    roadmap_update,
)
from audit.models import AuditEvent


def roadmap_events(roadmap):
    return list(AuditEvent.objects.filter(area="roadmaps").order_by("pk"))


def test_generating_a_roadmap_is_recorded(roadmap, owner):
    (event,) = roadmap_events(roadmap)
    assert (event.action, event.actor, event.organization) == (
        "generated",
        owner,
        roadmap.organization,
    )
    assert roadmap.title in event.subject and event.after["change"].startswith("Generated")


def test_a_milestone_change_is_recorded_with_the_values_before_and_after(roadmap, owner, member):
    milestone = roadmap.milestones.order_by("position").first()
    old_due = milestone.due_date
    milestone_update(
        milestone=milestone, user=owner, changes={"due_date": date(2031, 3, 1), "owner": member}
    )
    event = roadmap_events(roadmap)[-1]
    assert (event.action, event.actor) == ("changed", owner)
    assert event.subject == f"Milestone {milestone.title}"
    assert event.before == {"due_date": old_due.isoformat(), "owner": None}
    assert event.after == {"due_date": "2031-03-01", "owner": str(member)}
    assert event.subject_type == "assessments.milestone" and event.subject_id == str(milestone.pk)


def test_status_moves_additions_removals_and_comments_are_recorded(roadmap, owner):
    milestone = roadmap.milestones.order_by("position").first()
    milestone_status_set(milestone=milestone, user=owner, status="in_progress")
    added = milestone_create(roadmap=roadmap, user=owner, title="Label the racks", phase="now")
    milestone_move(milestone=added, user=owner, direction="down")
    milestone_remove(milestone=added, user=owner)
    milestone_comment_add(milestone=milestone, user=owner, text="Started on line 2")
    status, created, moved, removed, comment = roadmap_events(roadmap)[1:]
    assert (status.before, status.after) == ({"status": "planned"}, {"status": "in_progress"})
    assert created.action == "added" and created.after["title"] == "Label the racks"
    assert moved.action == "moved" and moved.before["phase"] == "now"
    assert moved.after["phase"] == "next"
    assert removed.action == "removed" and removed.after["retired"] is not None
    assert comment.after == {"comment": "Started on line 2"}


def test_roadmap_settings_are_recorded_only_when_they_change(roadmap, owner):
    roadmap_update(roadmap=roadmap, user=owner, changes={"capacity": roadmap.capacity})
    roadmap_update(roadmap=roadmap, user=owner, changes={"capacity": 5})
    events = roadmap_events(roadmap)
    assert len(events) == 2
    assert events[-1].before == {"capacity": 2} and events[-1].after == {"capacity": 5}
