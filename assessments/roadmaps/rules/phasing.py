"""Phases: now, next and later, each `days` long from the start date (later is open ended)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

PHASES = ("now", "next", "later")
PHASE_NAMES = {"now": "Now", "next": "Next", "later": "Later"}


def phase_rank(phase: str) -> int:
    return PHASES.index(phase)


@dataclass(frozen=True)
class PhaseWindow:
    phase: str
    start: date
    end: date  # last day; for later, a nominal end used for due dates and the timeline
    open_ended: bool = False

    @property
    def name(self) -> str:
        return PHASE_NAMES[self.phase]


def phase_windows(start: date, days: int) -> list[PhaseWindow]:
    """now: the first `days` days from `start`, next: the following `days`, later: after."""
    if days < 1:
        raise ValueError(f"a phase must last at least one day, got {days!r}")
    return [
        PhaseWindow(
            phase=phase,
            start=start + timedelta(days=days * i),
            end=start + timedelta(days=days * (i + 1) - 1),
            open_ended=phase == "later",
        )
        for i, phase in enumerate(PHASES)
    ]
