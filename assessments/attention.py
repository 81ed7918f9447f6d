"""The home page's "needs attention" list: each kind of entry is one function of the home
snapshot (`assessments.home.Snapshot`) in `ATTENTION_KINDS`, so a new kind is one more function.

`needs_attention` shows at most `MAX_PER_KIND` entries of one kind and a line for the rest,
linking to the page that lists them all (`MORE_PAGES`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.urls import reverse

from integration.models import Integration
from integration.services.health import HealthFigures, format_freshness

if TYPE_CHECKING:
    from assessments.home import Snapshot

MAX_PER_KIND = 5  # more than this of one kind reads as one line "and N more", linking to the list


class Some(list):
    """The first entries of a kind (at most `MAX_PER_KIND`, read so by the database) and how
    many there are in all."""

    def __init__(self, entries=(), *, total: int):
        super().__init__(entries)
        self.total = total


@dataclass(frozen=True)
class Attention:
    """One thing to fix: `subject` (a name or title, user text) links to where it is fixed."""

    kind: str  # "integration-down", "milestone-overdue", ...: a class and a test hook
    label: str  # what kind of problem, e.g. "Integration down"
    subject: str
    detail: str
    url: str


def integrations_down(s: Snapshot) -> Some:
    entries = [
        Attention(
            "integration-down",
            "Integration down",
            integration.name,
            _down_detail(integration, health, s.now),
            s.url("integration:integration-detail", integration.pk),
        )
        for integration, health in s.down
    ]
    return Some(entries, total=s.down.total)


def integrations_flapping(s: Snapshot) -> Some:
    """Up now and then, down in between: several up/down changes within a day (a down one is
    listed as down already)."""
    entries = [
        Attention(
            "integration-flapping",
            "Integration flapping",
            integration.name,
            f"{health.changes} up/down changes in 24 h; {health.status} now",
            s.url("integration:integration-detail", integration.pk),
        )
        for integration, health in s.flapping
    ]
    return Some(entries, total=s.flapping.total)


def _down_detail(integration: Integration, health: HealthFigures, now: datetime) -> str:
    failed = integration.last_failed
    if failed is not None and (health.last_seen is None or failed >= health.last_seen):
        return f"reported a failure {format_freshness(max(now - failed, timedelta(0)))}"
    if health.last_seen is None:
        return "has never sent data"
    return f"last data {health.freshness_display}"


def overdue_milestones(s: Snapshot) -> list[Attention]:
    return [
        Attention(
            "milestone-overdue",
            "Overdue milestone",
            m.title,
            f"due {m.due_date:%-d %b %Y}, {days_words(s.today - m.due_date)} late",
            s.url("assessments:milestone-detail", m.pk),
        )
        for m in s.overdue
    ]


def disputed_answers(s: Snapshot) -> list[Attention]:
    entries = []
    for a in s.open_assessments:
        n = len(s.figures[a.pk].disputed)
        if n:
            page = "agreement" if s.membership.can_facilitate else "detail"
            entries.append(
                Attention(
                    "disputed",
                    "Disputed answers",
                    a.title,
                    f"{n} answer{'s' if n != 1 else ''} where assessors disagree",
                    s.url(f"assessments:assessment-{page}", a.pk),
                )
            )
    return entries


def claims_above_verified(s: Snapshot) -> list[Attention]:
    """Processes of the latest assessment claiming a level above their verified level."""
    if s.verification is None:
        return []
    names = s.latest.framework.definition.samr_levels
    names = {level.level: level.name for level in names}
    entries = []
    for p in s.figures[s.latest.pk].processes:
        v = s.verification.of(p.process.pk)
        if v is None or not v.unverified:
            continue
        entries.append(
            Attention(
                "above-verified",
                "Claimed above verified",
                p.process.name,
                f"claims level {v.claimed} {names.get(v.claimed, '')}, verified level "
                f"{v.verified}: {v.claim} met criteri{'on rests' if v.claim == 1 else 'a rest'} "
                "on the answer alone",
                s.url("assessments:process-score", s.latest.pk, p.score.pk),
            )
        )
    return entries


def verified_dropped(s: Snapshot) -> list[Attention]:
    """A process of an open assessment whose verified level fell below its claim because a
    check is overdue (marked by `assessments.verified.drift` after each evaluator round)."""
    return [
        Attention(
            "verified-dropped",
            "Verified level dropped",
            seen.process_score.process.name,
            f"verified level {seen.level} in {seen.process_score.assessment.title}: "
            "a check is overdue",
            s.url(
                "assessments:process-score", seen.process_score.assessment_id, seen.process_score_id
            ),
        )
        for seen in s.dropped
    ]


def assessment_progress(s: Snapshot) -> list[Attention]:
    entries = []
    for a in s.open_assessments:
        f = s.figures[a.pk]
        entries.append(
            Attention(
                "assessment-progress",
                f"Assessment {a.get_state_display().lower()}",
                a.title,
                f"{f.progress}% settled ({f.settled} of {f.total} answers)",
                s.url("assessments:assessment-detail", a.pk),
            )
        )
    return entries


# In the order the page lists them; each turns the snapshot into entries of one kind.
ATTENTION_KINDS: tuple[Callable[[Snapshot], list[Attention]], ...] = (
    integrations_down,
    integrations_flapping,
    overdue_milestones,
    disputed_answers,
    claims_above_verified,
    verified_dropped,
    assessment_progress,
)

# Where "and N more" of a kind links to.
MORE_PAGES = {
    "integration-down": ("integration:integration-list", "integrations down"),
    "integration-flapping": ("integration:integration-list", "integrations flapping"),
    "milestone-overdue": ("assessments:roadmap-list", "overdue milestones"),
    "disputed": ("assessments:assessment-list", "assessments with disputes"),
    "above-verified": ("assessments:assessment-list", "claims above verified"),
    "verified-dropped": ("assessments:processes", "verified levels dropped"),
    "assessment-progress": ("assessments:assessment-list", "open assessments"),
}


def needs_attention(s: Snapshot) -> list[Attention]:
    """Every entry of every kind, at most `MAX_PER_KIND` of one kind and a line for the rest."""
    entries = []
    for kind in ATTENTION_KINDS:
        found = kind(s)
        entries += found[:MAX_PER_KIND]
        total = found.total if isinstance(found, Some) else len(found)
        if total > MAX_PER_KIND:
            name, what = MORE_PAGES.get(found[0].kind, ("org-home", "more"))
            more = total - MAX_PER_KIND
            url = reverse(name, args=[s.org.slug])
            entries.append(Attention(found[0].kind, "", f"and {more} more {what}", "", url))
    return entries


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def days_words(delta) -> str:
    return counted(delta.days, "day")
