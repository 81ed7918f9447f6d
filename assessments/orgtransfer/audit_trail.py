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

from assessments.audit_areas import AREAS, AuditArea
from assessments.exchange.validation import shown
from assessments.models import Assessment, Milestone, Roadmap
from assessments.orgtransfer.checks import checked, entries, fields, moment, refuse
from audit.models import AuditEvent

EVENT_FIELDS = ("area", "action", "subject", "subject_type", "subject_id", "before", "after")
ASSESSMENT = Assessment._meta.label_lower
ROADMAP = Roadmap._meta.label_lower
MILESTONE = Milestone._meta.label_lower
AREA_NAMES = {name for name, _ in AREAS}


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


def audit_import(*, organization, data: dict, refs: dict) -> int:
    """Store the document's events (none when it has no audit section) and an older document's
    activity lines; returns how many events. `refs` as `roadmaps_import` leaves them."""
    lines = {}
    for line in refs["activity"]:
        lines.setdefault(_line_key(line), []).append(line)
    events = []
    for path, item in entries(data, "audit", optional=True):
        area = item.get("area")
        if not isinstance(area, str) or area not in AREA_NAMES:  # ours to check, not audit's
            refuse(f"{path}.area", f"{shown(area)} is not one of the areas")
        email = item.get("actor")
        event = AuditEvent(
            organization=organization,
            at=fields(item, path, "at")["at"],
            actor=refs["users"].get(email),  # a person since deleted stays an email
            actor_email=email or "",
            text=item.get("text", ""),
            **fields(item, path, *EVENT_FIELDS),
        )
        assessment = refs["assessments"].get_ref(item.get("assessment"), f"{path}.assessment")
        roadmap = refs["roadmaps"].get_ref(item.get("roadmap"), f"{path}.roadmap")
        if assessment is not None:
            _scope(event, assessment)
        if roadmap is not None:
            milestones = refs["milestones"][roadmap.pk]
            milestone = milestones.get_ref(item.get("milestone"), f"{path}.milestone")
            _scope(event, milestone or roadmap)
        elif area == AuditArea.ROADMAPS and lines and _plain_text(event.action, event.subject_type):
            key = (moment(event.at, f"{path}.at"), event.action, event.subject_type)
            if matching := lines.get(key):
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
