"""The priority formula and what it reads: a process as the assessment scored it, a readiness
dimension's answers, and how a priority is shown.

Priority of a step = gap weight max((1 + target − current)² − 1, 0) × business value ×
telemetry health (`ProcessInput.health`, from `roadmaps.inputs`; above 1.0
moves a process's steps up, below 1.0 moves them down).
"""

from __future__ import annotations

from dataclasses import dataclass

from assessments import scoring

# A readiness side below this is too weak for live data.
READINESS_MINIMUM = 2


@dataclass(frozen=True)
class ProcessInput:
    """A process as the assessment scored it; `health` is the telemetry-health factor."""

    key: str
    name: str
    area: str
    business_value: int
    current: int
    target: int | None
    health: float = 1.0

    @property
    def gap_weight(self) -> int:
        return scoring.gap_weight(current=self.current, target=self.target)

    @property
    def priority(self) -> float:
        return scoring.round_figure(self.gap_weight * self.business_value * self.health, 2)

    @property
    def explanation(self) -> str:
        text = (
            f"gap weight {self.gap_weight} (current {self.current} → target {self.target}) "
            f"× business value {self.business_value}"
        )
        if self.health != 1.0:
            text += f" × telemetry health {format_priority(self.health)}"
        return f"{text} = {format_priority(self.priority)}"

    def figures(self, level: int | None = None) -> scoring.ProcessFigures:
        current = self.current if level is None else level
        return scoring.ProcessFigures(
            key=self.key,
            name=self.name,
            business_value=self.business_value,
            current=current,
            target=self.target,
        )


@dataclass(frozen=True)
class DimensionInput:
    """A readiness dimension's mean answer per side (None when nothing counts yet)."""

    key: str
    name: str
    it: float | None
    ot: float | None
    in_scope: bool = True

    @property
    def weak_sides(self) -> list[tuple[str, float]]:
        """("IT", 1.5) for each side below the minimum that live data needs."""
        if not self.in_scope:
            return []
        sides = (("IT", self.it), ("OT", self.ot))
        return [(s, v) for s, v in sides if v is not None and v < READINESS_MINIMUM]


def format_priority(x: float) -> str:
    """40 as "40", 30.5 as "30.5": at most two decimals, no trailing zeros."""
    text = scoring.format_figure(x, 2)
    return text.rstrip("0").rstrip(".") if "." in text else text
