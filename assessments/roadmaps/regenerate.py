"""Regeneration: bring a roadmap up to date with a new assessment, keeping people's work.

Done milestones, milestones people edited (title, description, phase, place in the order) and
milestones added by hand stay as they are; regeneration adds the milestones the new assessment
calls for, updates generated ones nobody edited, and retires (never deletes) generated ones that
are no longer called for and have not started.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.utils import timezone

from assessments.models import Assessment, Milestone, Roadmap
from assessments.roadmaps.activity import Action, log_activity
from assessments.roadmaps.inputs import (
    CONTENT_FIELDS,
    assessment_inputs,
    milestone_content,
    new_milestone,
)
from assessments.roadmaps.rules.milestones import Planned, milestones_for
from assessments.roadmaps.rules.ordering import arrange
from assessments.roadmaps.rules.phasing import PHASE_NAMES
from assessments.roadmaps.rules.priority import format_priority


@dataclass
class RegenerationReport:
    """What regeneration did, milestone by milestone."""

    assessment: Assessment
    added: list[Milestone] = field(default_factory=list)
    updated: list[tuple[Milestone, list[str]]] = field(default_factory=list)
    retired: list[Milestone] = field(default_factory=list)
    kept: list[tuple[Milestone, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired)

    def summary(self) -> str:
        if not self.changed and not self.kept:
            return f"Regenerated from {self.assessment.title}: the roadmap already matches it."
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.retired)} retired",
            f"{len(self.kept)} kept as people left them",
        ]
        return f"Regenerated from {self.assessment.title}: {', '.join(parts)}."

    def lines(self) -> list[str]:
        """One line per milestone, for the page."""
        return (
            [f"Added: {_named(m)}" for m in self.added]
            + [f"Updated: {_named(m)}: {', '.join(changes)}" for m, changes in self.updated]
            + [f"Retired: {_named(m)}: {m.retired_reason}" for m in self.retired]
            + [f"Kept: {_named(m)}: {why}" for m, why in self.kept]
        )


def _named(m: Milestone) -> str:
    """The title, and for a level step its process and levels: titles repeat across processes."""
    if m.kind == Milestone.Kind.STEP and m.process_id:
        return f"{m.title} ({m.process.name} {m.from_level} → {m.to_level})"
    return m.title


@transaction.atomic
def roadmap_regenerate(*, roadmap: Roadmap, assessment: Assessment, user, now=None):
    """Bring a roadmap up to date with an assessment, keeping what people did; says what changed."""
    if assessment.organization_id != roadmap.organization_id:
        raise ValueError("The assessment belongs to another organisation.")
    now = now or timezone.now()
    framework, processes, dimensions = assessment_inputs(assessment)
    fresh = {i.key: i for i in milestones_for(framework, processes, dimensions)}
    existing = list(roadmap.milestones.select_related("process"))
    known = {m.key for m in existing if m.key}
    report = RegenerationReport(assessment=assessment)
    pinned: list[Milestone] = []
    free: dict[str, Milestone | None] = {key: None for key in fresh if key not in known}
    source = f"from {assessment.title}"

    for m in existing:
        decision = classify(m, fresh.get(m.key) if m.key else None)
        if decision.note:
            report.kept.append((m, decision.note))
        if decision.action in ("restore", "replan"):
            free[m.key] = m
        elif decision.action == "keep":
            pinned.append(m)
        elif decision.action == "retire":
            m.retired, m.retired_reason = now, f"no longer called for {source}"
            m.save(update_fields=["retired", "retired_reason"])
            report.retired.append(m)
            text = f"Retired: {m.title}, {m.retired_reason}."
            log_activity(user, Action.RETIRED, text, milestone=m, now=now)
        elif decision.action == "update":
            pinned.append(m)
            changes = _apply(m, fresh[m.key])
            if changes:
                m.updated = now
                m.save()
                report.updated.append((m, changes))

    order = arrange(
        [m.as_slot() for m in pinned],
        [fresh[key] for key in free],
        capacity=roadmap.capacity,
    )
    by_pk = {m.pk: m for m in pinned}
    for position, (key, phase) in enumerate(order):
        if key in by_pk:
            by_pk[key].position = position
            continue
        item, m = fresh[key], free[key]
        if m is None:
            m = new_milestone(roadmap, item, phase=phase, position=position, now=now)
            m.save()
            report.added.append(m)
            log_activity(user, Action.ADDED, f"Added {source}: {m.title}.", milestone=m, now=now)
            continue
        changes = _apply(m, item)
        if m.phase != phase:
            changes.append(f"phase {m.get_phase_display()} → {PHASE_NAMES[phase]}")
            if m.due_date == roadmap.window(m.phase).end:
                m.due_date = roadmap.window(phase).end
            m.phase = phase
        m.position = position
        if m.retired:
            m.retired, m.retired_reason = None, ""
            report.added.append(m)
            log_activity(user, Action.ADDED, f"Back {source}: {m.title}.", milestone=m, now=now)
        elif changes:
            report.updated.append((m, changes))
        if changes:
            m.updated = now
        m.save()
    Milestone.objects.bulk_update(pinned, ["position"])
    for m, changes in report.updated:
        text = f"Updated {source}: {', '.join(changes)}."
        log_activity(user, Action.CHANGED, text, milestone=m, now=now)

    roadmap.assessment = assessment
    roadmap.framework = assessment.framework
    roadmap.baseline = [asdict(p) for p in processes]
    roadmap.regenerated = now
    roadmap.save(update_fields=["assessment", "framework", "baseline", "regenerated"])
    log_activity(user, Action.REGENERATED, report.summary(), roadmap=roadmap, now=now)
    return report


def _differences(m: Milestone, item: Planned) -> list[str]:
    content = milestone_content(item)
    changes = []
    for name in CONTENT_FIELDS:
        old, new = getattr(m, name), content[name]
        if old == new:
            continue
        if name == "priority":
            changes.append(f"priority {format_priority(old)} → {format_priority(new)}")
        elif name in ("title", "description"):
            changes.append(name)
        elif name in ("from_level", "to_level"):
            changes.append(
                f"step {m.from_level} → {m.to_level} is now {item.from_level} → {item.to_level}"
            )
        elif name != "priority_explanation":
            changes.append(name.replace("_", " "))
    return list(dict.fromkeys(changes))


def _apply(m: Milestone, item: Planned) -> list[str]:
    changes = _differences(m, item)
    for name, value in milestone_content(item).items():
        setattr(m, name, value)
    return changes


@dataclass(frozen=True)
class Decision:
    """What regeneration does with one existing milestone, and the line it reports as kept.

    `action` is one of: "keep" (left as people left it, in its place), "update" (under way:
    new content, same place), "replan" (planned: new content, placed again among the new
    ones), "retire" (planned, no longer called for), "restore" (retired by regeneration,
    called for again) and "leave_out" (retired, stays off the roadmap). A planned item no
    milestone has is added; it needs no decision.
    """

    action: str
    note: str = ""


def classify(m: Milestone, item: Planned | None) -> Decision:
    """Decide, without the database, what happens to milestone `m` given `item`, the new
    plan's milestone of the same key (None: the plan no longer calls for it, or `m` was
    added by hand)."""
    if m.retired:
        if item is None:
            return Decision("leave_out")
        if m.edited:
            return Decision("leave_out", "removed by a person, so left out")
        return Decision("restore")
    if not m.key:
        return Decision("keep")
    if m.is_done:
        if item is None:
            return Decision("keep", "done; the new assessment no longer needs it")
        if m.to_level is not None:
            return Decision("keep", "done, though the assessment still shows the step open")
        return Decision("keep")
    if m.edited:
        if item is None:
            return Decision("keep", "edited by people; the new assessment no longer needs it")
        if _differences(m, item):
            return Decision("keep", "edited by people, so not updated")
        return Decision("keep")
    if item is None:
        if m.status == Milestone.Status.PLANNED:
            return Decision("retire")
        return Decision("keep", "work has started; the new assessment no longer needs it")
    if m.status == Milestone.Status.PLANNED:
        return Decision("replan")
    return Decision("update")
