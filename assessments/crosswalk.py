"""An assessment's indicative SIRI profile and acatech stage, from its own figures. Pure: no
database; `profile_of()` only reads figures already computed by `assessments.figures`.

Indicative, never official: SIRI and acatech are assessed by their own certified assessors
against their own questions. This only translates Ladder's answers through the framework
version's crosswalk (`assessments.framework.crosswalk`), so a COO can see roughly where the
organisation would land.

The rules, over the scored processes (someone answered one of their criteria) and the readiness
dimensions in scope with a figure:
- A criterion counts as reached by a process when the process's claimed SAMR level is at or
  above the criterion's level (levels are earned cumulatively, so a higher criterion met alone
  does not count).
- SIRI dimension: each scored process whose area has a criterion mapped to it contributes the
  highest band among its reached mapped criteria (0 if none); each mapped readiness dimension
  contributes its readiness (IT and OT together, 0-4) times 5/4. The band is the floor of the
  mean of the contributions, computed exactly. A SIRI dimension the crosswalk maps nothing to
  is "not covered"; one whose sources have no figure yet has no band ("no data yet").
- acatech: each scored process whose area has a mapped criterion reaches the highest stage
  among its reached mapped criteria (0, before computerisation, if none). The stage is the
  floor of the mean over those processes.
"""

import math
from dataclasses import dataclass
from fractions import Fraction

from assessments.framework.crosswalk import ACATECH_STAGES, Crosswalk, MappedCriterion

NOT_COVERED = "not covered"
NO_DATA = "no data yet"
ACATECH_NAMES = (
    "Before computerisation",
    *(s.replace("-", " ").capitalize() for s in ACATECH_STAGES),
)
NOTE = "Indicative only: not an official SIRI or acatech assessment."


@dataclass(frozen=True)
class ProcessLevel:
    """A scored process as the crosswalk needs it."""

    name: str
    area: str
    current: int


@dataclass(frozen=True)
class SiriBand:
    key: str
    name: str
    pillar: str
    block: str
    band: int | None
    sources: int  # how many contributions the band is the mean of
    covered: bool

    @property
    def display(self) -> str:
        if self.band is not None:
            return str(self.band)
        return NO_DATA if self.covered else NOT_COVERED


@dataclass(frozen=True)
class ProcessStage:
    name: str
    stage: int

    @property
    def stage_name(self) -> str:
        return ACATECH_NAMES[self.stage]


@dataclass(frozen=True)
class Profile:
    siri: tuple[SiriBand, ...]
    acatech: int | None  # None: no scored process has a mapped criterion
    processes: tuple[ProcessStage, ...]

    @property
    def acatech_name(self) -> str:
        return NO_DATA if self.acatech is None else ACATECH_NAMES[self.acatech]

    @property
    def covered(self) -> int:
        return sum(1 for s in self.siri if s.covered)

    def as_dict(self) -> dict:
        """As a report's snapshot keeps it."""
        return {
            "siri": {s.key: s.display for s in self.siri},
            "acatech": self.acatech,
            "acatech_name": self.acatech_name,
        }


def profile(
    crosswalk: Crosswalk, processes: list[ProcessLevel], readiness: dict[str, float]
) -> Profile:
    """The indicative profile: `processes` are the scored ones, `readiness` the combined
    readiness (0-4) of each dimension in scope that has a figure."""
    siri = []
    for m in crosswalk.siri:
        parts = [
            _highest(m.criteria, p) for p in processes if any(c.area == p.area for c in m.criteria)
        ]
        parts += [Fraction(readiness[k]) * 5 / 4 for k in m.readiness if k in readiness]
        band = math.floor(sum(parts, Fraction(0)) / len(parts)) if parts else None
        covered = bool(m.criteria or m.readiness)
        siri.append(SiriBand(m.key, m.name, m.pillar, m.block, band, len(parts), covered))
    stages = tuple(
        ProcessStage(p.name, _highest(crosswalk.acatech, p))
        for p in processes
        if any(c.area == p.area for c in crosswalk.acatech)
    )
    stage = math.floor(Fraction(sum(s.stage for s in stages), len(stages))) if stages else None
    return Profile(tuple(siri), stage, stages)


def _highest(criteria: tuple[MappedCriterion, ...], process: ProcessLevel) -> int:
    reached = [c.value for c in criteria if c.area == process.area and c.level <= process.current]
    return max(reached, default=0)


def profile_of(crosswalk: Crosswalk, figures) -> Profile:
    """The profile from an `AssessmentFigures`: its scored processes and readiness in scope."""
    processes = [
        ProcessLevel(p.process.name, p.process.area, p.current)
        for p in figures.processes
        if p.scored
    ]
    readiness = {
        d.dimension.key: d.figures.combined
        for d in figures.dimensions
        if d.in_scope and d.figures.combined is not None
    }
    return profile(crosswalk, processes, readiness)
