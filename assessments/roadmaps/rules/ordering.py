"""The order of a roadmap and how milestones fill the phases.

A step comes after the step below it; a step to `GATED_FROM_LEVEL` or above after the readiness
milestones. Security readiness also comes before connectivity and integration-architecture
work: segment the OT network before connecting anything new. Milestones fill the phases in
priority order as soon as everything they wait for is placed: now and next take at most
`capacity` open milestones each, later takes the rest.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace

from assessments.roadmaps.rules.milestones import GATED_FROM_LEVEL, READINESS, STEP, Planned, Slot
from assessments.roadmaps.rules.phasing import PHASES, phase_rank

# A readiness milestone waits for the readiness milestones named here (when there are any).
READINESS_PREREQUISITES = {
    "connectivity": ("security",),
    "integration-architecture": ("security",),
}


def prerequisites(items: Iterable) -> dict[Hashable, set[Hashable]]:
    """For each item's key, the keys of the items it must come after (derived from its kind).

    Items need `key`, `kind`, `process_key`, `to_level` and `dimension_key` (Planned or Slot).
    """
    items = list(items)
    steps = {(i.process_key, i.to_level): i.key for i in items if i.kind == STEP}
    readiness = {i.dimension_key: i.key for i in items if i.kind == READINESS}
    result = {}
    for i in items:
        before = set()
        if i.kind == STEP:
            below = steps.get((i.process_key, i.to_level - 1))
            if below is not None:
                before.add(below)
            if i.to_level >= GATED_FROM_LEVEL:
                before |= set(readiness.values())
        elif i.kind == READINESS:
            before |= {
                readiness[k]
                for k in READINESS_PREREQUISITES.get(i.dimension_key, ())
                if k in readiness
            }
        result[i.key] = before
    return result


def arrange(
    pinned: Sequence[Slot], free: Sequence[Planned], *, capacity: int
) -> list[tuple[Hashable, str]]:
    """The roadmap's order: (key, phase) for every item, first to last.

    `pinned` items keep their phase and relative order (people placed them, or they are under
    way); `free` items are placed in priority order, each in the first phase with room that
    is not before anything it waits for. Open pinned items use up their phase's capacity.
    """
    if capacity < 1:
        raise ValueError(f"capacity must be at least 1, got {capacity!r}")
    before = prerequisites([*pinned, *free])
    after = defaultdict(set)
    for key, keys in before.items():
        for b in keys:
            after[b].add(key)
    # Done work constrains nothing: it may sit anywhere.
    placed = {s.key: 0 if s.done else phase_rank(s.phase) for s in pinned}
    used = Counter(phase_rank(s.phase) for s in pinned if not s.done)
    order = [(s.key, phase_rank(s.phase)) for s in sorted(pinned, key=_slot_order)]
    remaining = list(free)
    while remaining:
        ready = [i for i in remaining if before[i.key] <= placed.keys()] or remaining
        item = min(ready, key=_priority_order)
        remaining.remove(item)
        lowest = max((placed[b] for b in before[item.key] if b in placed), default=0)
        waiting = [placed[d] for d in after[item.key] if d in placed and d not in before[item.key]]
        rank = _first_with_room(lowest, used, capacity)
        if waiting:  # something pinned already waits for it: never after that
            rank = min(rank, min(waiting))
        placed[item.key] = rank
        used[rank] += 1
        order.insert(_insertion_index(order, rank, after[item.key]), (item.key, rank))
    return [(key, PHASES[rank]) for key, rank in order]


def _first_with_room(lowest: int, used: Counter, capacity: int) -> int:
    for rank in range(lowest, len(PHASES) - 1):
        if used[rank] < capacity:
            return rank
    return len(PHASES) - 1


def _insertion_index(order, rank, dependents) -> int:
    """At the end of the phase, but before the first item in it that waits for this one."""
    index = sum(1 for _, r in order if r <= rank)
    start = sum(1 for _, r in order if r < rank)
    for i in range(start, index):
        if order[i][0] in dependents:
            return i
    return index


def _priority_order(item: Planned):
    return (
        -item.priority,
        0 if item.kind == READINESS else 1,
        item.process_name,
        item.to_level or 0,
        str(item.key),
    )


def _slot_order(slot: Slot):
    return (phase_rank(slot.phase), slot.position)


def schedule(items: Sequence[Planned], *, capacity: int) -> list[Planned]:
    """A fresh roadmap: the items in order, each with its phase."""
    by_key = {i.key: i for i in items}
    return [
        replace(by_key[key], phase=phase) for key, phase in arrange([], items, capacity=capacity)
    ]


@dataclass(frozen=True)
class OrderProblem:
    first: Slot
    then: Slot

    def __str__(self) -> str:
        return f"“{self.then.title}” must come after “{self.first.title}”."


def order_problems(slots: Sequence[Slot]) -> list[OrderProblem]:
    """Open items placed before something open they wait for."""
    by_key = {s.key: s for s in slots}
    problems = []
    for key, before in prerequisites(slots).items():
        item = by_key[key]
        if item.done:
            continue
        for b in sorted(before, key=str):
            first = by_key[b]
            if not first.done and _slot_order(first) > _slot_order(item):
                problems.append(OrderProblem(first=first, then=item))
    return problems
