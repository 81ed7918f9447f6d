"""Which milestones an assessment calls for.

Every process with a gap gets one milestone per level step, current → current+1 … → target,
from the framework's recommended actions for its area and that step: the first action gives the
title (after the process's name: processes of one area share their actions) and description,
the others are listed in the description. A readiness dimension in scope
whose IT or OT side is below `READINESS_MINIMUM` gates every step to `GATED_FROM_LEVEL` or
above: it gets one readiness milestone (its first readiness action) with the highest priority
among the steps it gates. A weak dimension that gates no step adds no milestone.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from assessments import scoring
from assessments.framework.model import Framework
from assessments.roadmaps.rules.priority import (
    READINESS_MINIMUM,
    DimensionInput,
    ProcessInput,
    format_priority,
)

GATED_FROM_LEVEL = 2
STEP = "step"
READINESS = "readiness"
CUSTOM = "custom"


@dataclass(frozen=True)
class Planned:
    """A milestone the plan proposes; `key` names it across regenerations."""

    key: Hashable
    kind: str
    title: str
    description: str = ""
    action_key: str = ""
    responsibility: str = ""
    benefit: str = ""
    priority: float = 0.0
    explanation: str = ""
    process_key: str | None = None
    process_name: str = ""
    from_level: int | None = None
    to_level: int | None = None
    dimension_key: str = ""
    phase: str = ""
    done: bool = False


@dataclass(frozen=True)
class Slot:
    """A milestone already on a roadmap, as far as ordering and projection need it."""

    key: Hashable
    kind: str
    phase: str
    position: int = 0
    process_key: str | None = None
    to_level: int | None = None
    dimension_key: str = ""
    done: bool = False
    title: str = ""


def step_key(process_key: str, to_level: int) -> str:
    return f"step:{process_key}:{to_level}"


def readiness_key(dimension_key: str) -> str:
    return f"readiness:{dimension_key}"


def process_title(title: str, process: str) -> str:
    """`title` after the name of its process ("Order to cash: connect ERP and MES in both
    directions"): several processes get the same action, and a list of milestones must say
    whose each is. A title that starts with the name already is left as it is."""
    if not process or title.casefold().startswith(process.casefold()):
        return title
    if title[1:2].islower():  # "Connect ..." reads "connect ..."; "MES ..." stays
        title = title[:1].lower() + title[1:]
    return f"{process}: {title}"


def milestones_for(
    framework: Framework,
    processes: Sequence[ProcessInput],
    dimensions: Sequence[DimensionInput],
) -> list[Planned]:
    """Every milestone the assessment calls for, unscheduled: steps, then readiness."""
    steps = []
    for p in processes:
        if p.target is None:
            continue
        for to_level in range(p.current + 1, p.target + 1):
            steps.append(_step(framework, p, to_level))
    gated = [s for s in steps if s.to_level >= GATED_FROM_LEVEL]
    readiness = [_readiness(framework, d, gated) for d in dimensions if d.weak_sides and gated]
    return steps + readiness


def _step(framework: Framework, p: ProcessInput, to_level: int) -> Planned:
    actions = framework.transition_actions(p.area, to_level)
    from_level = to_level - 1
    if actions:
        first, others = actions[0], actions[1:]
        title, description = first.title, first.description
        action_key, responsibility, benefit = first.key, first.responsibility, first.benefit
    else:  # a framework always has actions; this keeps a hand-made one usable
        others = ()
        title = f"Raise to level {to_level}"
        description, action_key, responsibility, benefit = "", "", "", ""
    if others:
        description += "\n\nAlso recommended for this step:\n" + "\n".join(
            f"- {a.title}" for a in others
        )
    return Planned(
        key=step_key(p.key, to_level),
        kind=STEP,
        title=process_title(title, p.name),
        description=description,
        action_key=action_key,
        responsibility=responsibility,
        benefit=benefit,
        priority=p.priority,
        explanation=p.explanation,
        process_key=p.key,
        process_name=p.name,
        from_level=from_level,
        to_level=to_level,
    )


def _readiness(framework: Framework, d: DimensionInput, gated: Sequence[Planned]) -> Planned:
    actions = framework.readiness_actions(d.key)
    first, others = actions[0], actions[1:]
    sides = " and ".join(f"{side} {scoring.format_figure(value)}" for side, value in d.weak_sides)
    why = (
        f"Why: {d.name} readiness is {sides} of 4, below the {READINESS_MINIMUM} that live data "
        f"needs, so every step to level {GATED_FROM_LEVEL} or above waits for this."
    )
    description = f"{first.description}\n\n{why}"
    if others:
        description += "\n\nAlso recommended:\n" + "\n".join(f"- {a.title}" for a in others)
    # The first of the highest-priority steps it gates names the number.
    top = max(gated, key=lambda s: s.priority)  # the first, on a tie
    priority = top.priority
    named = f"{top.process_name} {top.from_level} → {top.to_level}"
    if len(gated) == 1:
        explanation = f"{format_priority(priority)}, the priority of the step it gates: {named}"
    else:
        explanation = (
            f"{format_priority(priority)}, the highest priority of the {len(gated)} steps it "
            f"gates: {named}"
        )
    return Planned(
        key=readiness_key(d.key),
        kind=READINESS,
        title=first.title,
        description=description,
        action_key=first.key,
        responsibility=first.responsibility,
        benefit=first.benefit,
        priority=priority,
        explanation=explanation,
        dimension_key=d.key,
    )
