"""The roadmap's activity log and the small texts its entries are made of.

The log is the audit trail: each line is an audit event in the roadmaps area with its line of
text, scoped to the milestone it is about or else to the roadmap.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q
from django.utils import timezone

import audit.trail as audit
from assessments.audit_areas import AuditArea
from assessments.models import Milestone, Roadmap
from audit.models import AuditEvent


class Action(models.TextChoices):
    GENERATED = "generated", "Generated"
    REGENERATED = "regenerated", "Regenerated"
    ADDED = "added", "Added"
    CHANGED = "changed", "Changed"
    STATUS = "status", "Status"
    MOVED = "moved", "Moved"
    COMMENTED = "commented", "Commented"
    REMOVED = "removed", "Removed"
    RETIRED = "retired", "Retired"
    SETTINGS = "settings", "Settings"


def log_activity(
    user, action, text, *, roadmap=None, milestone=None, now=None, before=None, after=None
):
    """One line of the log: who did what, when; on the milestone's roadmap when one is given.

    Stored as an audit event with `before` and `after` values when given (the line's text
    otherwise).
    """
    roadmap = roadmap or milestone.roadmap
    text = text[:1000]
    if before is None and after is None:
        after = {"change": text}
    return audit.record(
        organization=roadmap.organization,
        actor=user,
        area=AuditArea.ROADMAPS,
        action=Action(action).label.lower(),
        subject=f"Milestone {milestone.title}" if milestone else f"Roadmap {roadmap.title}",
        obj=milestone or roadmap,
        before=before,
        after=after,
        scope=milestone or roadmap,
        text=text,
        at=now or timezone.now(),
    )


def roadmap_activity(roadmap, *, limit: int | None = None) -> list[AuditEvent]:
    """The roadmap's log and its milestones', newest first; each line's `milestone` is set
    (None for the roadmap's own)."""
    milestones = {str(m.pk): m for m in roadmap.milestones.all()}
    scoped = Q(scope_type=Roadmap._meta.label_lower, scope_id=str(roadmap.pk)) | Q(
        scope_type=Milestone._meta.label_lower, scope_id__in=list(milestones)
    )
    events = AuditEvent.objects.filter(scoped, area=AuditArea.ROADMAPS).select_related("actor")
    events = list(events[:limit] if limit is not None else events)
    for event in events:
        is_milestone = event.scope_type == Milestone._meta.label_lower
        event.milestone = milestones.get(event.scope_id) if is_milestone else None
    return events


def milestone_activity(milestone):
    """The milestone's lines of the log, newest first."""
    return AuditEvent.of_scope(milestone).filter(area=AuditArea.ROADMAPS).select_related("actor")


def display(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    return str(value)


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def plural(n: int) -> str:
    return "" if n == 1 else "s"
