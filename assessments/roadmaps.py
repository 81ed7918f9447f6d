"""Roadmap services: generate and regenerate from an assessment, edit, track, read for a page.

The arithmetic (priority, order, phases, projection) is in `assessments.roadmap`; this module
reads the rows it needs, calls it and writes the results. Every change a person makes goes
through a function here, which writes the activity log in the same transaction.

Regeneration keeps people's work: done milestones, milestones people edited (title,
description, phase, place in the order) and milestones added by hand stay as they are; it adds
the milestones the new assessment calls for, updates generated ones nobody edited, and retires
(never deletes) generated ones that are no longer called for and have not started.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from assessments import roadmap as plan
from assessments import scoring
from assessments.figures import assessment_figures
from assessments.models import Assessment, Milestone, MilestoneComment, Roadmap, RoadmapActivity


class OrderRefused(ValueError):
    """A change that would put a milestone before something it waits for."""


# --- Inputs from an assessment -------------------------------------------------------------------


def process_health_factors(assessment: Assessment) -> dict[str, float]:
    """Telemetry-health factor per process (keyed by str(process.pk)); 1.0 where missing.

    The hook for the evidence module: a process whose integrations are down or silent will get
    a factor other than 1.0 here, and every priority of its steps is multiplied by it (the page
    then shows "× telemetry health 0.5" in the explanation). Until then every factor is 1.0.
    """
    return {}


def _inputs(assessment: Assessment):
    figures = assessment_figures(assessment)
    health = process_health_factors(assessment)
    processes = [
        plan.ProcessInput(
            key=str(p.process.pk),
            name=p.process.name,
            area=p.process.area,
            business_value=p.process.business_value,
            current=p.current,
            target=p.target,
            health=health.get(str(p.process.pk), 1.0),
        )
        for p in figures.processes
    ]
    dimensions = [
        plan.DimensionInput(
            key=d.dimension.key,
            name=d.dimension.name,
            it=d.figures.it,
            ot=d.figures.ot,
            in_scope=d.in_scope,
        )
        for d in figures.dimensions
    ]
    return assessment.framework.definition, processes, dimensions


# --- Generate ------------------------------------------------------------------------------------

CONTENT_FIELDS = (
    "kind",
    "title",
    "description",
    "action_key",
    "responsibility",
    "benefit",
    "priority",
    "priority_explanation",
    "process_id",
    "from_level",
    "to_level",
    "dimension_key",
)


def _content(item: plan.Planned) -> dict:
    return {
        "kind": item.kind,
        "title": item.title[:200],
        "description": item.description,
        "action_key": item.action_key,
        "responsibility": item.responsibility,
        "benefit": item.benefit,
        "priority": item.priority,
        "priority_explanation": item.explanation[:500],
        "process_id": None if item.process_key is None else int(item.process_key),
        "from_level": item.from_level,
        "to_level": item.to_level,
        "dimension_key": item.dimension_key,
    }


@transaction.atomic
def roadmap_generate(
    *,
    assessment: Assessment,
    user,
    start_date: date,
    capacity: int,
    phase_days: int = 90,
    title: str = "",
    now=None,
) -> Roadmap:
    """A new roadmap from an assessment's gaps (draft or final), milestones placed in phases."""
    now = now or timezone.now()
    framework, processes, dimensions = _inputs(assessment)
    items = plan.schedule(plan.milestones_for(framework, processes, dimensions), capacity=capacity)
    roadmap = Roadmap(
        organization=assessment.organization,
        title=title or f"Roadmap from {assessment.title}",
        assessment=assessment,
        framework=assessment.framework,
        start_date=start_date,
        phase_days=phase_days,
        capacity=capacity,
        baseline=[asdict(p) for p in processes],
        created_by=user,
        created=now,
    )
    roadmap.full_clean()
    roadmap.save()
    windows = {w.phase: w for w in roadmap.windows()}
    Milestone.objects.bulk_create(
        Milestone(
            roadmap=roadmap,
            key=item.key,
            phase=item.phase,
            position=position,
            due_date=windows[item.phase].end,
            created=now,
            updated=now,
            **_content(item),
        )
        for position, item in enumerate(items)
    )
    _log(
        roadmap,
        user,
        RoadmapActivity.Action.GENERATED,
        f"Generated from {assessment.title}: {len(items)} milestone{_s(len(items))}.",
        now=now,
    )
    return roadmap


# --- Regenerate ----------------------------------------------------------------------------------


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
    framework, processes, dimensions = _inputs(assessment)
    fresh = {i.key: i for i in plan.milestones_for(framework, processes, dimensions)}
    existing = list(roadmap.milestones.select_related("process"))
    known = {m.key for m in existing if m.key}
    report = RegenerationReport(assessment=assessment)
    pinned: list[Milestone] = []
    free: dict[str, Milestone | None] = {key: None for key in fresh if key not in known}
    windows = {w.phase: w for w in roadmap.windows()}
    source = f"from {assessment.title}"

    for m in existing:
        item = fresh.get(m.key) if m.key else None
        if m.retired:
            if item is not None and not m.edited:
                free[m.key] = m  # called for again: back on the roadmap
            elif item is not None:
                report.kept.append((m, "removed by a person, so left out"))
            continue
        if not m.key:
            pinned.append(m)
        elif m.is_done:
            pinned.append(m)
            if item is None:
                report.kept.append((m, "done; the new assessment no longer needs it"))
            elif m.to_level is not None:
                report.kept.append((m, "done, though the assessment still shows the step open"))
        elif m.edited:
            pinned.append(m)
            if item is None:
                report.kept.append((m, "edited by people; the new assessment no longer needs it"))
            elif _differences(m, item):
                report.kept.append((m, "edited by people, so not updated"))
        elif item is None:
            if m.status == Milestone.Status.PLANNED:
                m.retired, m.retired_reason = now, f"no longer called for {source}"
                m.save(update_fields=["retired", "retired_reason"])
                report.retired.append(m)
                _log(
                    roadmap,
                    user,
                    RoadmapActivity.Action.RETIRED,
                    f"Retired: {m.title}, {m.retired_reason}.",
                    milestone=m,
                    now=now,
                )
            else:
                pinned.append(m)
                report.kept.append((m, "work has started; the new assessment no longer needs it"))
        elif m.status == Milestone.Status.PLANNED:
            free[m.key] = m
        else:  # under way: new content, same place
            pinned.append(m)
            changes = _apply(m, item)
            if changes:
                m.updated = now
                m.save()
                report.updated.append((m, changes))

    order = plan.arrange(
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
            m = Milestone.objects.create(
                roadmap=roadmap,
                key=key,
                phase=phase,
                position=position,
                due_date=windows[phase].end,
                created=now,
                updated=now,
                **_content(item),
            )
            report.added.append(m)
            _log(
                roadmap,
                user,
                RoadmapActivity.Action.ADDED,
                f"Added {source}: {m.title}.",
                milestone=m,
                now=now,
            )
            continue
        changes = _apply(m, item)
        if m.phase != phase:
            changes.append(f"phase {m.get_phase_display()} → {plan.PHASE_NAMES[phase]}")
            if m.due_date == windows[m.phase].end:
                m.due_date = windows[phase].end
            m.phase = phase
        m.position = position
        if m.retired:
            m.retired, m.retired_reason = None, ""
            report.added.append(m)
            _log(
                roadmap,
                user,
                RoadmapActivity.Action.ADDED,
                f"Back {source}: {m.title}.",
                milestone=m,
                now=now,
            )
        elif changes:
            report.updated.append((m, changes))
        if changes:
            m.updated = now
        m.save()
    Milestone.objects.bulk_update(pinned, ["position"])
    for m, changes in report.updated:
        _log(
            roadmap,
            user,
            RoadmapActivity.Action.CHANGED,
            f"Updated {source}: {', '.join(changes)}.",
            milestone=m,
            now=now,
        )

    roadmap.assessment = assessment
    roadmap.framework = assessment.framework
    roadmap.baseline = [asdict(p) for p in processes]
    roadmap.regenerated = now
    roadmap.save(update_fields=["assessment", "framework", "baseline", "regenerated"])
    _log(roadmap, user, RoadmapActivity.Action.REGENERATED, report.summary(), now=now)
    return report


def _differences(m: Milestone, item: plan.Planned) -> list[str]:
    content = _content(item)
    changes = []
    for name in CONTENT_FIELDS:
        old, new = getattr(m, name), content[name]
        if old == new:
            continue
        if name == "priority":
            changes.append(f"priority {plan.format_priority(old)} → {plan.format_priority(new)}")
        elif name in ("title", "description"):
            changes.append(name)
        elif name in ("from_level", "to_level"):
            changes.append(
                f"step {m.from_level} → {m.to_level} is now {item.from_level} → {item.to_level}"
            )
        elif name != "priority_explanation":
            changes.append(name.replace("_", " "))
    return list(dict.fromkeys(changes))


def _apply(m: Milestone, item: plan.Planned) -> list[str]:
    changes = _differences(m, item)
    for name, value in _content(item).items():
        setattr(m, name, value)
    return changes


# --- Settings and editing ------------------------------------------------------------------------


@transaction.atomic
def roadmap_update(*, roadmap: Roadmap, user, changes: dict, now=None) -> list[str]:
    """Change title, start date, phase length or capacity. Due dates left at their phase's
    last day move with the phase."""
    now = now or timezone.now()
    old_windows = {w.phase: w for w in roadmap.windows()}
    labels = []
    for name, value in changes.items():
        old = getattr(roadmap, name)
        if old != value:
            setattr(roadmap, name, value)
            label = Roadmap._meta.get_field(name).verbose_name
            labels.append(f"{label} {_display(old)} → {_display(value)}")
    if not labels:
        return []
    roadmap.full_clean()
    roadmap.save()
    new_windows = {w.phase: w for w in roadmap.windows()}
    for phase in plan.PHASES:
        old_end, new_end = old_windows[phase].end, new_windows[phase].end
        if old_end != new_end:
            roadmap.milestones.filter(phase=phase, due_date=old_end).exclude(
                status=Milestone.Status.DONE
            ).update(due_date=new_end)
    _log(roadmap, user, RoadmapActivity.Action.SETTINGS, f"Changed {', '.join(labels)}.", now=now)
    return labels


@transaction.atomic
def milestone_create(*, roadmap: Roadmap, user, now=None, **fields) -> Milestone:
    """A milestone added by hand, at the end of its phase."""
    now = now or timezone.now()
    milestone = Milestone(
        roadmap=roadmap, kind=Milestone.Kind.CUSTOM, edited=True, created=now, updated=now, **fields
    )
    if milestone.due_date is None:
        milestone.due_date = roadmap.window(milestone.phase).end
    milestone.full_clean(exclude=["position"])
    milestone.position = 10**6
    milestone.save()
    _renumber(_ordered(roadmap))
    _log(
        roadmap,
        user,
        RoadmapActivity.Action.ADDED,
        f"Added: {milestone.title}.",
        milestone=milestone,
        now=now,
    )
    return milestone


TRACKING_LABELS = {"owner": "owner", "due_date": "due date", "status": "status"}


@transaction.atomic
def milestone_update(*, milestone: Milestone, user, changes: dict, now=None) -> list[str]:
    """Change a milestone's fields; a phase change puts it at the end of the new phase.

    Changing a planning field marks it edited, so regeneration leaves it alone. Raises
    OrderRefused if the new phase would put it before something it waits for.
    """
    _ensure_active(milestone)
    now = now or timezone.now()
    before = _problems(milestone.roadmap)
    labels = []
    edited = moved = False
    for name, value in changes.items():
        old = getattr(milestone, name)
        if old == value:
            continue
        label = Milestone._meta.get_field(name).verbose_name
        if name == "status":
            old_display = milestone.get_status_display()
            milestone.set_status(value, now=now)
            labels.append(f"status {old_display} → {milestone.get_status_display()}")
            continue
        if name in ("title", "description", "responsibility", "benefit"):
            labels.append(str(label))
        elif name == "phase":
            labels.append(f"phase {plan.PHASE_NAMES[old]} → {plan.PHASE_NAMES[value]}")
            milestone.position = 10**6  # to the end of the new phase
            moved = True
        else:
            labels.append(f"{label} {_display(old)} → {_display(value)}")
        setattr(milestone, name, value)
        edited = edited or name in Milestone.PLANNING_FIELDS
    if not labels:
        return []
    milestone.edited = milestone.edited or edited
    milestone.updated = now
    milestone.full_clean()
    milestone.save()
    if moved:
        _renumber(_ordered(milestone.roadmap))
        _refuse_new_problems(milestone, before)
    if len(labels) == 1 and labels[0].startswith("status "):
        action, text = RoadmapActivity.Action.STATUS, _cap(labels[0])
    else:
        action, text = RoadmapActivity.Action.CHANGED, f"Changed {', '.join(labels)}"
    _log(milestone.roadmap, user, action, f"{text}.", milestone=milestone, now=now)
    return labels


def milestone_status_set(*, milestone: Milestone, user, status: str, now=None) -> list[str]:
    """Move a milestone to planned, in progress, blocked or done (the board's drag)."""
    return milestone_update(milestone=milestone, user=user, changes={"status": status}, now=now)


@transaction.atomic
def milestone_move(*, milestone: Milestone, user, direction: str, now=None) -> None:
    """One place up or down the plan; past the first or last of its phase, into the next phase.

    Raises OrderRefused when that would put it before something it waits for.
    """
    _ensure_active(milestone)
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be up or down, got {direction!r}")
    now = now or timezone.now()
    roadmap = milestone.roadmap
    before = _problems(roadmap)
    order = _ordered(roadmap)
    index = next(i for i, m in enumerate(order) if m.pk == milestone.pk)
    me = order[index]
    rank = plan.phase_rank(me.phase)
    step = -1 if direction == "up" else 1
    neighbour = order[index + step] if 0 <= index + step < len(order) else None
    if neighbour is not None and neighbour.phase == me.phase:
        order[index], order[index + step] = neighbour, me
        text = f"Moved {direction}: {me.title}."
    elif 0 <= rank + step < len(plan.PHASES):
        old_phase = me.phase
        me.phase = plan.PHASES[rank + step]
        if me.due_date == roadmap.window(old_phase).end:
            me.due_date = roadmap.window(me.phase).end
        text = f"Moved to {me.get_phase_display()}: {me.title}."
    else:
        return
    me.edited = True
    me.updated = now
    me.save(update_fields=["phase", "due_date", "edited", "updated"])
    _renumber(order)
    milestone.phase, milestone.position = me.phase, me.position
    _refuse_new_problems(milestone, before)
    _log(roadmap, user, RoadmapActivity.Action.MOVED, text, milestone=milestone, now=now)


@transaction.atomic
def milestone_remove(*, milestone: Milestone, user, now=None) -> None:
    """Take a milestone off the roadmap; kept as removed, so regeneration does not bring it back."""
    _ensure_active(milestone)
    now = now or timezone.now()
    milestone.retired = now
    milestone.retired_reason = f"removed by {user}"
    milestone.edited = True
    milestone.save(update_fields=["retired", "retired_reason", "edited"])
    _log(
        milestone.roadmap,
        user,
        RoadmapActivity.Action.REMOVED,
        f"Removed: {milestone.title}.",
        milestone=milestone,
        now=now,
    )


@transaction.atomic
def milestone_restore(*, milestone: Milestone, user, now=None) -> None:
    """Put a retired or removed milestone back, at the end of its phase."""
    now = now or timezone.now()
    milestone.retired, milestone.retired_reason = None, ""
    milestone.edited = True
    milestone.position = 10**6
    milestone.updated = now
    milestone.save(update_fields=["retired", "retired_reason", "edited", "position", "updated"])
    _renumber(_ordered(milestone.roadmap))
    _log(
        milestone.roadmap,
        user,
        RoadmapActivity.Action.ADDED,
        f"Put back: {milestone.title}.",
        milestone=milestone,
        now=now,
    )


@transaction.atomic
def milestone_comment_add(*, milestone: Milestone, user, text: str, now=None) -> MilestoneComment:
    now = now or timezone.now()
    comment = MilestoneComment(milestone=milestone, author=user, text=text.strip(), created=now)
    comment.full_clean()
    comment.save()
    _log(
        milestone.roadmap,
        user,
        RoadmapActivity.Action.COMMENTED,
        f"Commented on {milestone.title}.",
        milestone=milestone,
        now=now,
    )
    return comment


def _ensure_active(milestone: Milestone) -> None:
    if milestone.retired:
        raise OrderRefused(f"“{milestone.title}” is no longer on the roadmap.")


def _ordered(roadmap: Roadmap) -> list[Milestone]:
    return list(roadmap.milestones.active().in_plan_order())


def _renumber(order: list[Milestone]) -> None:
    for position, m in enumerate(order):
        m.position = position
    Milestone.objects.bulk_update(order, ["position"])


def _problems(roadmap: Roadmap) -> set[tuple]:
    slots = [m.as_slot() for m in _ordered(roadmap)]
    return {(p.first.key, p.then.key) for p in plan.order_problems(slots)}


def _refuse_new_problems(milestone: Milestone, before: set[tuple]) -> None:
    slots = [m.as_slot() for m in _ordered(milestone.roadmap)]
    for problem in plan.order_problems(slots):
        if (problem.first.key, problem.then.key) not in before:
            raise OrderRefused(f"Not moved: {problem}")


# --- Reading a roadmap for its pages ------------------------------------------------------------


@dataclass
class PhaseView:
    window: plan.PhaseWindow
    milestones: list[Milestone]
    projected: float | None
    capacity: int

    @property
    def open_count(self) -> int:
        return sum(1 for m in self.milestones if not m.is_done)

    @property
    def over_capacity(self) -> bool:
        return not self.window.open_ended and self.open_count > self.capacity

    @property
    def projected_display(self) -> str:
        return scoring.format_figure(self.projected)


@dataclass
class RoadmapPlan:
    roadmap: Roadmap
    phases: list[PhaseView]
    baseline_index: float | None
    target_index: float | None
    problems: list[plan.OrderProblem]
    retired: list[Milestone]

    @property
    def milestones(self) -> list[Milestone]:
        return [m for phase in self.phases for m in phase.milestones]

    @property
    def baseline_display(self) -> str:
        return scoring.format_figure(self.baseline_index)

    @property
    def target_display(self) -> str:
        return scoring.format_figure(self.target_index)

    def projection_points(self) -> list[tuple[str, date, float | None]]:
        start = self.roadmap.start_date
        return [("Today's assessment", start, self.baseline_index)] + [
            (f"After {p.window.name.lower()}", p.window.end, p.projected) for p in self.phases
        ]


def roadmap_plan(roadmap: Roadmap) -> RoadmapPlan:
    """The roadmap's milestones by phase, each with its names and what it waits for, the
    projected SAMR index per phase and any order problems."""
    milestones = list(roadmap.milestones.select_related("process", "owner").in_plan_order())
    active = [m for m in milestones if m.retired is None]
    retired = [m for m in milestones if m.retired is not None]
    label_milestones(roadmap, milestones)
    slots = [m.as_slot() for m in active]
    by_pk = {m.pk: m for m in active}
    for key, before in plan.prerequisites(slots).items():
        by_pk[key].waits_for = [by_pk[b] for b in before if not by_pk[b].is_done]
    processes = roadmap.baseline_processes()
    projections = plan.phase_projections(processes, slots)
    phases = [
        PhaseView(
            window=w,
            milestones=[m for m in active if m.phase == w.phase],
            projected=projections[w.phase],
            capacity=roadmap.capacity,
        )
        for w in roadmap.windows()
    ]
    figures = [p.figures() for p in processes]
    return RoadmapPlan(
        roadmap=roadmap,
        phases=phases,
        baseline_index=scoring.samr_index(figures),
        target_index=scoring.target_index(figures),
        problems=plan.order_problems(slots),
        retired=retired,
    )


def label_milestones(roadmap: Roadmap, milestones) -> None:
    """Give each milestone the names its keys stand for in the roadmap's framework."""
    framework = roadmap.framework.definition
    names = {r.key: r.name for r in framework.responsibilities}
    benefits = {b.key: b.name for b in framework.benefits}
    dimensions = {d.key: d.name for d in framework.dimensions}
    for m in milestones:
        m.responsibility_name = names.get(m.responsibility, m.responsibility)
        m.benefit_name = benefits.get(m.benefit, m.benefit)
        m.dimension_name = dimensions.get(m.dimension_key, m.dimension_key)
        m.waits_for = []


def gantt_rows(roadmap: Roadmap, milestones, today: date) -> list[plan.GanttRow]:
    """One bar per milestone, numbered in plan order: from its phase's start to its due date."""
    windows = {w.phase: w for w in roadmap.windows()}
    rows = []
    for number, m in enumerate(milestones, start=1):
        window = windows[m.phase]
        end = m.due_date or window.end
        if end < window.start:  # due before its phase: draw it in the phase it is due in
            start = max((w.start for w in windows.values() if w.start <= end), default=end)
        else:
            start = window.start
        rows.append(
            plan.GanttRow(
                label=f"{number}. {m.title}",
                start=start,
                end=end,
                status=m.status,
                phase=m.phase,
                overdue=m.is_overdue(today),
            )
        )
    return rows


def roadmap_burnup(roadmap: Roadmap, milestones, today: date) -> plan.Burnup:
    completed = [timezone.localdate(m.completed) for m in milestones if m.completed]
    return plan.burnup(
        start=roadmap.start_date, today=today, completed=completed, total=len(milestones)
    )


# --- Export --------------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    "Order",
    "Phase",
    "Phase starts",
    "Milestone",
    "Kind",
    "Process",
    "From level",
    "To level",
    "Readiness dimension",
    "Priority",
    "Why this priority",
    "COO responsibility",
    "Benefit",
    "Owner",
    "Owner email",
    "Due",
    "Status",
    "Overdue",
    "Done on",
    "Edited since generated",
    "Description",
]


def roadmap_rows(roadmap: Roadmap, today: date | None = None) -> list[list]:
    """One row per milestone on the roadmap, in plan order, as the export shows it."""
    today = today or timezone.localdate()
    milestones = list(
        roadmap.milestones.active().select_related("process", "owner").in_plan_order()
    )
    label_milestones(roadmap, milestones)
    windows = {w.phase: w for w in roadmap.windows()}
    return [
        [
            number,
            m.get_phase_display(),
            windows[m.phase].start,
            m.title,
            m.get_kind_display(),
            m.process.name if m.process else "",
            m.from_level,
            m.to_level,
            m.dimension_name if m.dimension_key else "",
            None if m.kind == Milestone.Kind.CUSTOM else m.priority,
            m.priority_explanation,
            m.responsibility_name,
            m.benefit_name,
            str(m.owner) if m.owner else "",
            m.owner.email if m.owner else "",
            m.due_date,
            m.get_status_display(),
            "yes" if m.is_overdue(today) else "",
            timezone.localdate(m.completed) if m.completed else None,
            "yes" if m.edited and m.key else "",
            m.description,
        ]
        for number, m in enumerate(milestones, start=1)
    ]


def roadmap_csv(*, roadmap: Roadmap) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows([_csv_cell(value) for value in row] for row in roadmap_rows(roadmap))
    return buffer.getvalue()


def roadmap_xlsx(*, roadmap: Roadmap) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Roadmap"
    sheet.append(EXPORT_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in roadmap_rows(roadmap):
        sheet.append([_xlsx_value(value) for value in row])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # text that starts with "=" is text, not a formula
                cell.data_type = "s"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    for column, width in enumerate((6, 8, 12, 48, 12, 28, 6, 6, 22, 8, 48), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return plan.format_priority(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet would run it as a formula
    return str(value)


def _xlsx_value(value):
    # openpyxl refuses control characters that free text may hold.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


# --- Activity ------------------------------------------------------------------------------------


def _log(roadmap, user, action, text, *, milestone=None, now=None) -> RoadmapActivity:
    return RoadmapActivity.objects.create(
        roadmap=roadmap,
        milestone=milestone,
        actor=user,
        action=action,
        text=text[:1000],
        created=now or timezone.now(),
    )


def _display(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    return str(value)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _s(n: int) -> str:
    return "" if n == 1 else "s"
