"""The organisation's audit trail in the document, copied as it was written.

Events keep their times, actors (by email, as the trail keeps them) and subjects; `subject_id`
stays the id the subject had in the exporting install, since the trail records history. Where an
event is listed (its scope) is a position in the document: "assessment" in the assessments list;
"roadmap" in the roadmaps list and "milestone" in that roadmap's milestones for a line of a
roadmap's activity log, which carries its "text". Events are only ever added.

A document written before the activity log moved into the trail has the same changes twice: as
roadmaps' "activity" lines and as events. An event and the line made with it (same time, action
and kind of subject) are stored as one event; a line without an event becomes one.
"""

from assessments.audit_areas import AuditArea
from assessments.models import Assessment, Milestone, Roadmap
from assessments.orgtransfer.checks import checked
from assessments.orgtransfer.document import AuditEntry
from audit.models import AuditEvent

ASSESSMENT = Assessment._meta.label_lower
ROADMAP = Roadmap._meta.label_lower
MILESTONE = Milestone._meta.label_lower


def audit_export(*, organization, people, refs) -> list[dict]:
    """`refs`: positions of assessments, roadmaps and milestones (in their roadmap), by id."""
    return [
        {
            **event.as_data(),
            "actor": people.email(event.actor_id) or event.actor_email or None,
            "assessment": _position(refs["assessments"], event, ASSESSMENT),
            **_roadmap_positions(refs, event),
            "text": event.text,
        }
        for event in organization.audit_events.order_by("at", "pk")
    ]


def _position(positions: dict, event, scope_type: str):
    return positions.get(int(event.scope_id)) if event.scope_type == scope_type else None


def _roadmap_positions(refs, event) -> dict:
    roadmap = _position(refs["roadmaps"], event, ROADMAP)
    roadmap, milestone = _position(refs["milestones"], event, MILESTONE) or (roadmap, None)
    return {"roadmap": roadmap, "milestone": milestone}


def audit_import(*, organization, entries: list[AuditEntry], refs: dict) -> int:
    """Store the document's events (none when it has no audit section) and an older document's
    activity lines; returns how many events. `refs` as `roadmaps_import` leaves them."""
    lines = {}
    for line in refs["activity"]:
        lines.setdefault(_line_key(line), []).append(line)
    events = []
    for i, item in enumerate(entries):
        path = f"audit[{i}]"
        event = AuditEvent(
            organization=organization,
            actor=refs["users"].get(item.actor),  # a person since deleted stays an email
            actor_email=item.actor or "",
            **item.values("actor", "assessment", "roadmap", "milestone"),
        )
        assessment = refs["assessments"].get_ref(item.assessment, f"{path}.assessment")
        roadmap = refs["roadmaps"].get_ref(item.roadmap, f"{path}.roadmap")
        if assessment is not None:
            _scope(event, assessment)
        if roadmap is not None:
            milestones = refs["milestones"][roadmap.pk]
            milestone = milestones.get_ref(item.milestone, f"{path}.milestone")
            _scope(event, milestone or roadmap)
        elif item.area == AuditArea.ROADMAPS and _plain_text(event.action, event.subject_type):
            matching = lines.get((item.at, event.action, event.subject_type))
            if matching:
                line = matching.pop(0)
                event.text = line["text"]
                _scope(event, line["milestone"] or line["roadmap"])
        events.append(checked(event, path, exclude=["actor"]))  # Ladder itself: no actor
    events += [_line_event(organization, line) for rest in lines.values() for line in rest]
    AuditEvent.objects.bulk_create(events)
    return len(events)


def _plain_text(*values) -> bool:
    return all(isinstance(v, str) for v in values)


def _scope(event, scope):
    event.scope_type, event.scope_id = scope._meta.label_lower, str(scope.pk)


def _line_key(line: dict) -> tuple:
    return (line["at"], line["action"], MILESTONE if line["milestone"] else ROADMAP)


def _line_event(organization, line: dict):
    """An older document's activity line with no event: the event `log_activity` would write."""
    roadmap, milestone = line["roadmap"], line["milestone"]
    subject = milestone or roadmap
    event = AuditEvent(
        organization=organization,
        at=line["at"],
        actor=line["actor"],
        actor_email=line["actor_email"],
        area=AuditArea.ROADMAPS,
        action=line["action"],
        subject=f"Milestone {milestone.title}" if milestone else f"Roadmap {roadmap.title}",
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        before={},
        after={"change": line["text"]},
        text=line["text"],
    )
    _scope(event, subject)
    return event
