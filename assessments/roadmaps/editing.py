"""Changes people make to a roadmap: its settings, and adding, changing, moving, removing and
commenting on milestones. Each writes the activity log in the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

import audit.trail as audit
from assessments.models import Milestone, MilestoneComment, Roadmap
from assessments.roadmaps.activity import Action, capitalised, display, log_activity
from assessments.roadmaps.outcomes import OutcomeFrozen, outcome_from_set
from assessments.roadmaps.rules.ordering import order_problems
from assessments.roadmaps.rules.phasing import PHASE_NAMES, PHASES, phase_rank

# A milestone's fields the audit trail shows when it is added.
AUDITED = ("title", "description", "process", "phase", "owner", "due_date", "status")
# What a frozen baseline was measured from: changing these would change a frozen figure.
FROZEN_BY_BASELINE = ("kpi", "start_date", "expected_change")


class OrderRefused(ValueError):
    """A change that would put a milestone before something it waits for."""


@transaction.atomic
def roadmap_update(*, roadmap: Roadmap, user, changes: dict, now=None) -> list[str]:
    """Change title, start date, phase length or capacity. Due dates left at their phase's
    last day move with the phase."""
    now = now or timezone.now()
    old_windows = roadmap.windows()
    labels = []
    before = audit.snapshot(roadmap, *changes)
    for name, value in changes.items():
        old = getattr(roadmap, name)
        if old != value:
            setattr(roadmap, name, value)
            label = Roadmap._meta.get_field(name).verbose_name
            labels.append(f"{label} {display(old)} → {display(value)}")
    if not labels:
        return []
    roadmap.full_clean()
    roadmap.save()
    for old, new in zip(old_windows, roadmap.windows(), strict=True):
        if old.end != new.end:
            roadmap.milestones.filter(phase=old.phase, due_date=old.end).exclude(
                status=Milestone.Status.DONE
            ).update(due_date=new.end)
    text = f"Changed {', '.join(labels)}."
    after = audit.snapshot(roadmap, *changes)
    log_activity(user, Action.SETTINGS, text, roadmap=roadmap, now=now, before=before, after=after)
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
    after = audit.snapshot(milestone, *AUDITED)
    text = f"Added: {milestone.title}."
    log_activity(user, Action.ADDED, text, milestone=milestone, now=now, after=after)
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, user, changes: dict, now=None) -> list[str]:
    """Change a milestone's fields; a phase change puts it at the end of the new phase.

    Changing a planning field marks it edited, so regeneration leaves it alone. Raises
    OrderRefused if the new phase would put it before something it waits for, OutcomeFrozen
    for a new KPI, start date or expected change once the baseline is frozen.
    """
    _ensure_active(milestone)
    now = now or timezone.now()
    if milestone.baseline_frozen is not None:
        for name in FROZEN_BY_BASELINE:
            if name in changes and changes[name] != getattr(milestone, name):
                raise OutcomeFrozen(
                    f"The baseline was frozen on {milestone.baseline_frozen:%d %b %Y}: "
                    "the KPI, start date and expected change stay as they were measured."
                )
    before = _problems(milestone.roadmap)
    values_before = audit.snapshot(milestone, *changes)
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
            outcome_from_set(milestone=milestone, user=user, now=now)
            labels.append(f"status {old_display} → {milestone.get_status_display()}")
            continue
        if name in ("title", "description", "responsibility", "benefit"):
            labels.append(str(label))
        elif name == "phase":
            labels.append(f"phase {PHASE_NAMES[old]} → {PHASE_NAMES[value]}")
            milestone.position = 10**6  # to the end of the new phase
            moved = True
        else:
            labels.append(f"{label} {display(old)} → {display(value)}")
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
        action, text = Action.STATUS, capitalised(labels[0])
    else:
        action, text = Action.CHANGED, f"Changed {', '.join(labels)}"
    values = {"before": values_before, "after": audit.snapshot(milestone, *changes)}
    log_activity(user, action, f"{text}.", milestone=milestone, now=now, **values)
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
    place_before = audit.snapshot(milestone, "phase", "position", "due_date")
    order = _ordered(roadmap)
    index = next(i for i, m in enumerate(order) if m.pk == milestone.pk)
    me = order[index]
    rank = phase_rank(me.phase)
    step = -1 if direction == "up" else 1
    neighbour = order[index + step] if 0 <= index + step < len(order) else None
    if neighbour is not None and neighbour.phase == me.phase:
        order[index], order[index + step] = neighbour, me
        text = f"Moved {direction}: {me.title}."
    elif 0 <= rank + step < len(PHASES):
        old_phase = me.phase
        me.phase = PHASES[rank + step]
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
    place = {"before": place_before, "after": audit.snapshot(me, "phase", "position", "due_date")}
    log_activity(user, Action.MOVED, text, milestone=milestone, now=now, **place)


@transaction.atomic
def milestone_remove(*, milestone: Milestone, user, now=None) -> None:
    """Take a milestone off the roadmap; kept as removed, so regeneration does not bring it back."""
    _ensure_active(milestone)
    now = now or timezone.now()
    milestone.retired = now
    milestone.retired_reason = f"removed by {user}"
    milestone.edited = True
    milestone.save(update_fields=["retired", "retired_reason", "edited"])
    text = f"Removed: {milestone.title}."
    after = audit.snapshot(milestone, "retired", "retired_reason")
    log_activity(user, Action.REMOVED, text, milestone=milestone, now=now, before={}, after=after)


@transaction.atomic
def milestone_restore(*, milestone: Milestone, user, now=None) -> None:
    """Put a retired or removed milestone back, at the end of its phase."""
    now = now or timezone.now()
    before = audit.snapshot(milestone, "retired", "retired_reason")
    milestone.retired, milestone.retired_reason = None, ""
    milestone.edited = True
    milestone.position = 10**6
    milestone.updated = now
    milestone.save(update_fields=["retired", "retired_reason", "edited", "position", "updated"])
    _renumber(_ordered(milestone.roadmap))
    text = f"Put back: {milestone.title}."
    after = audit.snapshot(milestone, "retired", "retired_reason")
    log_activity(user, Action.ADDED, text, milestone=milestone, now=now, before=before, after=after)


@transaction.atomic
def milestone_comment_add(*, milestone: Milestone, user, text: str, now=None) -> MilestoneComment:
    now = now or timezone.now()
    comment = MilestoneComment(milestone=milestone, author=user, text=text.strip(), created=now)
    comment.full_clean()
    comment.save()
    note = f"Commented on {milestone.title}."
    after = {"comment": comment.text}
    log_activity(user, Action.COMMENTED, note, milestone=milestone, now=now, after=after)
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
    return {(p.first.key, p.then.key) for p in order_problems(slots)}


def _refuse_new_problems(milestone: Milestone, before: set[tuple]) -> None:
    for problem in order_problems([m.as_slot() for m in _ordered(milestone.roadmap)]):
        if (problem.first.key, problem.then.key) not in before:
            raise OrderRefused(f"Not moved: {problem}")
