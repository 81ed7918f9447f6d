"""The organisation's audit trail in the document, copied as it was written.

Events keep their times, actors (by email, as the trail keeps them) and subjects; `subject_id`
stays the id the subject had in the exporting install, since the trail records history, and an
event's assessment is its position in the document's list. Events are only ever added.
"""

from assessments.orgtransfer.checks import checked, entries, fields
from audit.models import AuditEvent

EVENT_FIELDS = ("area", "action", "subject", "subject_type", "subject_id", "before", "after")


def audit_export(*, organization, people, refs) -> list[dict]:
    return [
        {
            **event.as_data(),
            "actor": people.email(event.actor_id) or event.actor_email or None,
            "assessment": refs["assessments"].get(event.assessment_id),
        }
        for event in organization.audit_events.order_by("at", "pk")
    ]


def audit_import(*, organization, data: dict, refs: dict) -> int:
    """Store the document's events (none when it has no audit section); returns how many."""
    events = []
    for path, item in entries(data, "audit", optional=True):
        email = item.get("actor")
        event = AuditEvent(
            organization=organization,
            at=fields(item, path, "at")["at"],
            actor=refs["users"].get(email),  # a person since deleted stays an email
            actor_email=email or "",
            assessment=refs["assessments"].get_ref(item.get("assessment"), f"{path}.assessment"),
            **fields(item, path, *EVENT_FIELDS),
        )
        events.append(checked(event, path, exclude=["actor"]))  # Ladder itself: no actor
    AuditEvent.objects.bulk_create(events)
    return len(events)
