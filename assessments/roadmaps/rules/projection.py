"""What the plan promises: the SAMR index after each phase, and the burn-up of done work.

After each phase, every process is at the highest level whose steps are all done or planned in
that phase or an earlier one; the SAMR index of those levels is `scoring.samr_index`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from assessments import scoring
from assessments.roadmaps.rules.milestones import STEP, Slot
from assessments.roadmaps.rules.phasing import PHASES, phase_rank
from assessments.roadmaps.rules.priority import ProcessInput


def projected_levels(
    processes: Sequence[ProcessInput], achieved: Iterable[tuple[str, int]]
) -> dict[str, int]:
    """Each process's level once the given (process key, to level) steps are done: a level
    counts only when every step below it is done too."""
    done = set(achieved)
    levels = {}
    for p in processes:
        level = p.current
        while level < 4 and (p.key, level + 1) in done:
            level += 1
        levels[p.key] = level
    return levels


def projected_index(processes: Sequence[ProcessInput], achieved) -> float | None:
    levels = projected_levels(processes, achieved)
    return scoring.samr_index(p.figures(levels[p.key]) for p in processes)


def phase_projections(
    processes: Sequence[ProcessInput], slots: Sequence[Slot]
) -> dict[str, float | None]:
    """The SAMR index once each phase's steps, and every earlier phase's, are done."""
    result = {}
    for rank, phase in enumerate(PHASES):
        achieved = [
            (s.process_key, s.to_level)
            for s in slots
            if s.kind == STEP and (s.done or phase_rank(s.phase) <= rank)
        ]
        result[phase] = projected_index(processes, achieved)
    return result


@dataclass(frozen=True)
class Burnup:
    """Done milestones over time and where a straight line through them meets the total."""

    start: date
    today: date
    points: list[tuple[date, int]]
    total: int
    done: int
    per_week: float | None
    projected_finish: date | None


def burnup(*, start: date, today: date, completed: Sequence[date], total: int) -> Burnup:
    """Cumulative done count per completion day; the finish date projects the average pace
    since the start (or the first completion, if earlier) until today."""
    completed = sorted(completed)
    origin = min([start, *completed[:1]])
    points = [(origin, 0)]
    for day, count in sorted(Counter(completed).items()):
        points.append((day, points[-1][1] + count))
    done = len(completed)
    if points[-1][0] < today:
        points.append((today, done))
    elapsed = max((today - origin).days, 1)
    per_day = done / elapsed if done else None
    if done and done >= total:
        finish = completed[-1]
    elif per_day:
        finish = today + timedelta(days=math.ceil((total - done) / per_day))
    else:
        finish = None
    per_week = None if per_day is None else round(per_day * 7, 2)
    return Burnup(origin, today, points, total, done, per_week, finish)
