"""The roadmap's activity log and the small texts its entries are made of."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from assessments.models import RoadmapActivity

Action = RoadmapActivity.Action


def log_activity(user, action, text, *, roadmap=None, milestone=None, now=None):
    """One line of the log: who did what, when; on the milestone's roadmap when one is given."""
    return RoadmapActivity.objects.create(
        roadmap=roadmap or milestone.roadmap,
        milestone=milestone,
        actor=user,
        action=action,
        text=text[:1000],
        created=now or timezone.now(),
    )


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
