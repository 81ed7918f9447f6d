"""A framework version's crosswalk to the field's indexes: SIRI and the acatech Industrie 4.0
Maturity Index. A separate file per framework version (assessments/frameworks/crosswalks/), so a
published framework file never changes when its crosswalk is added or corrected.

The file names the framework and version it maps, then
- `siri`: per SIRI dimension (the 16 below), `criteria` (criterion key -> the SIRI band 0-5
  meeting it evidences) and `readiness` (readiness dimension keys that evidence it);
- `acatech`: per acatech stage (the 6 below), the criterion keys that evidence it, each at most
  once.
Every key must exist in that framework version; the schema is pydantic, like the framework's.
`assessments/crosswalk.py` turns an assessment's figures into the indicative profile.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assessments.framework.fields import FrameworkError
from assessments.framework.loading import shipped_framework
from assessments.framework.model import Framework

CROSSWALKS_DIR = Path(__file__).resolve().parent.parent / "frameworks" / "crosswalks"
MAX_BYTES = 64_000  # the shipped file is about 5 KB
MAX_SOURCES = 100  # criteria or readiness dimensions per SIRI dimension or acatech stage

# (building block, pillar, key, name): SIRI's 3 building blocks, 8 pillars and 16 dimensions.
SIRI_DIMENSIONS = (
    ("Process", "Operations", "vertical-integration", "Vertical integration"),
    ("Process", "Supply chain", "horizontal-integration", "Horizontal integration"),
    (
        "Process",
        "Product lifecycle",
        "integrated-product-lifecycle",
        "Integrated product lifecycle",
    ),
    ("Technology", "Automation", "shop-floor-automation", "Shop floor automation"),
    ("Technology", "Automation", "enterprise-automation", "Enterprise automation"),
    ("Technology", "Automation", "facility-automation", "Facility automation"),
    ("Technology", "Connectivity", "shop-floor-connectivity", "Shop floor connectivity"),
    ("Technology", "Connectivity", "enterprise-connectivity", "Enterprise connectivity"),
    ("Technology", "Connectivity", "facility-connectivity", "Facility connectivity"),
    ("Technology", "Intelligence", "shop-floor-intelligence", "Shop floor intelligence"),
    ("Technology", "Intelligence", "enterprise-intelligence", "Enterprise intelligence"),
    ("Technology", "Intelligence", "facility-intelligence", "Facility intelligence"),
    (
        "Organisation",
        "Talent readiness",
        "workforce-learning-development",
        "Workforce learning and development",
    ),
    ("Organisation", "Talent readiness", "leadership-competency", "Leadership competency"),
    (
        "Organisation",
        "Structure and management",
        "inter-intra-company-collaboration",
        "Inter- and intra-company collaboration",
    ),
    ("Organisation", "Structure and management", "strategy-governance", "Strategy and governance"),
)
SIRI_BANDS = range(0, 6)
# acatech's six stages, numbered 1-6 in this order; 0 is "before computerisation".
ACATECH_STAGES = (
    "computerisation",
    "connectivity",
    "visibility",
    "transparency",
    "predictive-capacity",
    "adaptability",
)


@dataclass(frozen=True)
class MappedCriterion:
    """A criterion as the crosswalk needs it: its area and level come from the framework."""

    key: str
    area: str
    level: int
    value: int  # the SIRI band or the acatech stage (1-6) it evidences


@dataclass(frozen=True)
class SiriMapping:
    key: str
    name: str
    pillar: str
    block: str
    criteria: tuple[MappedCriterion, ...]
    readiness: tuple[str, ...]


@dataclass(frozen=True)
class Crosswalk:
    framework: str
    version: str
    siri: tuple[SiriMapping, ...]  # all 16, in SIRI's order; unmapped ones have no sources
    acatech: tuple[MappedCriterion, ...]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Band = Annotated[int, Field(ge=0, le=5)]
Keys = Annotated[list[str], Field(max_length=MAX_SOURCES)]


class _SiriEntry(_Record):
    criteria: Annotated[dict[str, Band], Field(max_length=MAX_SOURCES)] = {}
    readiness: Keys = []


class _AcatechEntry(_Record):
    computerisation: Keys = []
    connectivity: Keys = []
    visibility: Keys = []
    transparency: Keys = []
    predictive_capacity: Keys = Field(default=[], alias="predictive-capacity")
    adaptability: Keys = []


class _CrosswalkFile(_Record):
    framework: str
    version: str
    siri: dict[str, _SiriEntry] = {}
    acatech: _AcatechEntry = _AcatechEntry()


def parse_crosswalk(text: str, source: str, framework: Framework) -> Crosswalk:
    """Validate crosswalk YAML against `framework`; FrameworkError lists every problem."""
    if len(text.encode()) > MAX_BYTES:
        raise FrameworkError([f"{source}: larger than {MAX_BYTES} bytes"])
    try:
        data = yaml.safe_load(text)
        parsed = _CrosswalkFile.model_validate(data)
    except yaml.YAMLError as exc:
        raise FrameworkError([f"{source}: invalid YAML: {str(exc)[:200]}"]) from None
    except ValidationError as exc:
        raise FrameworkError(
            [f"{source}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from None
    problems = _problems(parsed, framework)
    if problems:
        raise FrameworkError([f"{source}: {p}" for p in problems])
    return _build(parsed, framework)


def _problems(parsed: _CrosswalkFile, framework: Framework) -> list[str]:
    problems = []
    if (parsed.framework, parsed.version) != (framework.id, framework.version):
        problems.append(
            f"maps {parsed.framework} {parsed.version}, not {framework.id} {framework.version}"
        )
    criteria = {c.key for c in framework.criteria}
    dimensions = {d.key for d in framework.dimensions}
    siri = {key for _, _, key, _ in SIRI_DIMENSIONS}
    for key, entry in parsed.siri.items():
        if key not in siri:
            problems.append(f"siri.{key}: not a SIRI dimension")
        problems += [
            f"siri.{key}: unknown criterion {c}" for c in entry.criteria if c not in criteria
        ]
        problems += [
            f"siri.{key}: unknown readiness dimension {d}"
            for d in entry.readiness
            if d not in dimensions
        ]
    seen = set()
    for stage, keys in _stages(parsed.acatech):
        for key in keys:
            if key not in criteria:
                problems.append(f"acatech.{stage}: unknown criterion {key}")
            elif key in seen:
                problems.append(f"acatech.{stage}: criterion {key} is already at another stage")
            seen.add(key)
    return problems


def _stages(entry: _AcatechEntry):
    return [(stage, getattr(entry, stage.replace("-", "_"))) for stage in ACATECH_STAGES]


def _build(parsed: _CrosswalkFile, framework: Framework) -> Crosswalk:
    def mapped(key, value):
        criterion = framework.criterion(key)
        return MappedCriterion(key, criterion.area, criterion.level, value)

    siri = []
    for block, pillar, key, name in SIRI_DIMENSIONS:
        entry = parsed.siri.get(key, _SiriEntry())
        criteria = tuple(mapped(k, band) for k, band in entry.criteria.items())
        siri.append(SiriMapping(key, name, pillar, block, criteria, tuple(entry.readiness)))
    acatech = tuple(
        mapped(key, number)
        for number, (_, keys) in enumerate(_stages(parsed.acatech), start=1)
        for key in keys
    )
    return Crosswalk(parsed.framework, parsed.version, tuple(siri), acatech)


def crosswalk_for(framework: Framework) -> Crosswalk | None:
    """The shipped crosswalk of a shipped framework version, or None: an uploaded framework,
    even one reusing a shipped id and version, has none."""
    if shipped_framework(framework.id, framework.version) != framework:
        return None
    return _shipped_crosswalk(framework.id, framework.version)


@cache
def _shipped_crosswalk(key: str, version: str) -> Crosswalk | None:
    path = CROSSWALKS_DIR / f"{key}-{version}.yaml"
    if not path.is_file():
        return None
    return parse_crosswalk(
        path.read_text(encoding="utf-8"), path.name, shipped_framework(key, version)
    )
