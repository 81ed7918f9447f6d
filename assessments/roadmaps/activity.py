"""The roadmap's activity log and the small texts its entries are made of."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

import audit.trail as audit
from assessments.models import RoadmapActivity
from audit.models import AuditEvent

Action = RoadmapActivity.Action


def log_activity(
    user, action, text, *, roadmap=None, milestone=None, now=None, before=None, after=None
):
    """One line of the log: who did what, when; on the milestone's roadmap when one is given.

    The audit trail gets the same change, with `before` and `after` values when given (the
    line's text otherwise).
    """
    roadmap = roadmap or milestone.roadmap
    entry = RoadmapActivity.objects.create(
        roadmap=roadmap,
        milestone=milestone,
        actor=user,
        action=action,
        text=text[:1000],
        created=now or timezone.now(),
    )
    if before is None and after is None:
        after = {"change": entry.text}
    audit.record(
        organization=roadmap.organization,
        actor=user,
        area=AuditEvent.Area.ROADMAPS,
        action=entry.get_action_display().lower(),
        subject=f"Milestone {milestone.title}" if milestone else f"Roadmap {roadmap.title}",
        obj=milestone or roadmap,
        before=before,
        after=after,
        at=entry.created,
    )
    return entry


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
