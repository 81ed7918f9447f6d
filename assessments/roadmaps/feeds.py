"""Each person's milestones as an iCalendar feed at a private URL.

The URL carries the person's `FeedKey`, so calendar apps, which cannot log in, can read it; it
lists the milestones the person owns on the roadmaps of the organisations they are still a
member of, each due date an all-day event. Resetting the key makes the old URL a 404, and so
does deactivating the person or their leaving every organisation: a feed answers only while its
owner could log in and see the milestones themselves.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from assessments.models import FeedKey, Milestone
from assessments.roadmaps.rules.verification import FAILED


def feed_key_get(*, user) -> FeedKey:
    """The person's feed key, made on first use."""
    return FeedKey.objects.get_or_create(user=user)[0]


def feed_key_reset(*, user, now: datetime | None = None) -> FeedKey:
    """A new key for the person: the old feed URL stops working at once."""
    feed_key = feed_key_get(user=user)
    feed_key.reset(now=now or timezone.now())
    return feed_key


def feed_url(feed_key: FeedKey) -> str:
    return settings.SITE_URL + reverse("milestone-feed", args=[feed_key.key])


def feed_milestones(user):
    """The milestones `user` owns on a roadmap of an organisation they are a member of."""
    return (
        Milestone.objects.active()
        .filter(
            owner=user,
            due_date__isnull=False,
            roadmap__organization__memberships__user=user,
        )
        .select_related("roadmap__organization", "process")
        .prefetch_related("criteria")
        .order_by("due_date", "pk")
    )


def feed_render(*, key: str, now: datetime | None = None) -> bytes | None:
    """The feed of the key's owner as iCalendar text, or None for an unknown or reset key, a
    deactivated owner or one who is no longer a member of any organisation."""
    feed_key = (
        FeedKey.objects.select_related("user")
        .filter(key=key, user__is_active=True, user__memberships__isnull=False)
        .distinct()
        .first()
    )
    if feed_key is None:
        return None
    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//Ladder//Milestones//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Ladder: milestones of {feed_key.user}")
    host = urlsplit(settings.SITE_URL).hostname or "ladder"
    for milestone in feed_milestones(feed_key.user):
        calendar.add_component(_event(milestone, host=host, now=now))
    return calendar.to_ical()


def _event(m: Milestone, *, host: str, now: datetime) -> Event:
    organization = m.roadmap.organization
    verification = m.verification
    failed = verification is not None and verification.state == FAILED
    state = verification.label if failed and m.is_done else m.get_status_display()
    url = settings.SITE_URL + reverse(
        "assessments:milestone-detail", args=[organization.slug, m.pk]
    )
    lines = [
        f"Status: {state}",
        f"Roadmap: {m.roadmap.title} ({m.get_phase_display()})",
        f"Organisation: {organization.name}",
    ]
    if m.process:
        lines.append(f"Process: {m.process.name}")
    if verification:
        lines.append(f"Acceptance criteria: {verification.label}")
    lines.append(url)
    event = Event()
    event.add("uid", f"milestone-{m.pk}@{host}")
    event.add("dtstamp", now)
    event.add("last-modified", m.updated)
    event.add("dtstart", m.due_date)
    event.add("dtend", m.due_date + timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a due date, not time blocked in the diary
    event.add("summary", f"{m.title} [{state}] · {organization.name}")
    event.add("description", "\n".join(lines))
    event.add("url", url)
    event.add("categories", [m.roadmap.title])
    return event
