"""The framework as plain, frozen data, and the lookups the rest of the app uses."""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from assessments.framework.checks import GRACE_DAYS, parse_window
from assessments.framework.fields import CRITERIA_LEVELS
from assessments.framework.validation import validate_framework


@dataclass(frozen=True)
class SamrLevel:
    level: int
    key: str
    name: str
    descriptor: str


@dataclass(frozen=True)
class Area:
    key: str
    name: str


@dataclass(frozen=True)
class Check:
    """A named test of live data on a criterion; a facilitator binds an integration of the
    organisation to each of its `roles`. The kinds are described in docs/VERIFICATION.md."""

    key: str
    criterion: str
    name: str
    kind: str
    window: str
    threshold: int | float
    roles: tuple[str, ...]
    aggregate: str | None = None
    op: str | None = None
    operating_hours: bool = False
    metric_hint: str | None = None
    grace_days: int = GRACE_DAYS

    @property
    def window_length(self) -> timedelta:
        """The window ("24h", "7d") as a length of time."""
        return parse_window(self.window)


@dataclass(frozen=True)
class Criterion:
    key: str
    area: str
    level: int
    text: str
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class Question:
    key: str
    dimension: str
    text: str
    levels: dict[int, str] = field(hash=False)


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    description: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Responsibility:
    key: str
    name: str


@dataclass(frozen=True)
class Benefit:
    key: str
    name: str


@dataclass(frozen=True)
class Action:
    """A recommended action: for an area's step (from level step-1 to step) or a dimension."""

    key: str
    title: str
    description: str
    responsibility: str
    benefit: str
    area: str | None = None
    step: int | None = None
    dimension: str | None = None


@dataclass(frozen=True)
class Framework:
    """One version of the framework, validated; build it with `loading.load_framework()`,
    `loading.parse_framework()` or `Framework.from_dict()`."""

    id: str
    version: str
    title: str
    samr_levels: tuple[SamrLevel, ...]
    areas: tuple[Area, ...]
    criteria: tuple[Criterion, ...]
    responsibilities: tuple[Responsibility, ...]
    benefits: tuple[Benefit, ...]
    dimensions: tuple[Dimension, ...]
    actions: tuple[Action, ...]

    @classmethod
    def from_dict(
        cls, data: dict, *, source: str = "framework snapshot", stored: bool = False
    ) -> "Framework":
        """Rebuild and re-validate a framework from `as_dict()` data, also after a JSON trip.

        `stored`: data this install accepted earlier (see `validate_framework`)."""
        return build_framework(data, source, stored=stored)

    def as_dict(self) -> dict:
        """The framework as JSON-safe plain data, in the file's shape (level keys as strings)."""
        area_keys = [area.key for area in self.areas]
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "areas": [asdict(area) for area in self.areas],
            "samr_levels": [asdict(level) for level in self.samr_levels],
            "criteria": {
                area: {
                    str(level): [_criterion_dict(c) for c in self.criteria_for(area, level)]
                    for level in CRITERIA_LEVELS
                }
                for area in area_keys
            },
            "responsibilities": [asdict(item) for item in self.responsibilities],
            "benefits": [asdict(item) for item in self.benefits],
            "dimensions": [
                {
                    "key": d.key,
                    "name": d.name,
                    "description": d.description,
                    "questions": [
                        {
                            "key": q.key,
                            "text": q.text,
                            "levels": {str(n): text for n, text in q.levels.items()},
                        }
                        for q in d.questions
                    ],
                }
                for d in self.dimensions
            ],
            "actions": {
                "transitions": {
                    area: {
                        str(step): [_action_dict(a) for a in self.transition_actions(area, step)]
                        for step in CRITERIA_LEVELS
                    }
                    for area in area_keys
                },
                "readiness": {
                    d.key: [_action_dict(a) for a in self.readiness_actions(d.key)]
                    for d in self.dimensions
                },
            },
        }

    @property
    def checks(self) -> tuple[Check, ...]:
        """Every criterion's checks, in the file's order."""
        return tuple(check for criterion in self.criteria for check in criterion.checks)

    @property
    def checks_by_key(self) -> dict[str, Check]:
        return {check.key: check for check in self.checks}

    def check(self, key: str) -> Check:
        """The check with this key, on any criterion; KeyError if none."""
        return _find(self.checks, "key", key)

    def criterion(self, key: str) -> Criterion:
        """The criterion with this key, in any area; KeyError if none."""
        return _find(self.criteria, "key", key)

    def samr_level(self, level: int) -> SamrLevel:
        """The SAMR level 0-4; KeyError for any other number."""
        return _find(self.samr_levels, "level", level)

    def area(self, key: str) -> Area:
        """The area with this key; KeyError if the framework has none."""
        return _find(self.areas, "key", key)

    def dimension(self, key: str) -> Dimension:
        """The readiness dimension with this key; KeyError if the framework has none."""
        return _find(self.dimensions, "key", key)

    def question(self, key: str) -> Question:
        """The readiness question with this key, from any dimension; KeyError if none."""
        return _find([q for d in self.dimensions for q in d.questions], "key", key)

    def responsibility(self, key: str) -> Responsibility:
        """The COO responsibility with this key; KeyError if none."""
        return _find(self.responsibilities, "key", key)

    def benefit(self, key: str) -> Benefit:
        """The IT/OT benefit with this key; KeyError if none."""
        return _find(self.benefits, "key", key)

    def criteria_for(self, area_key: str, level: int) -> tuple[Criterion, ...]:
        """An area's criteria for one level (none for level 0); KeyError for an unknown area."""
        self.area(area_key)
        return tuple(c for c in self.criteria if c.area == area_key and c.level == level)

    def transition_actions(self, area_key: str, step: int) -> tuple[Action, ...]:
        """Actions for an area's step from level step-1 to step; KeyError if no such area."""
        self.area(area_key)
        return tuple(a for a in self.actions if a.area == area_key and a.step == step)

    def readiness_actions(self, dimension_key: str) -> tuple[Action, ...]:
        """Actions that close a gap in one readiness dimension. KeyError if unknown dimension."""
        self.dimension(dimension_key)
        return tuple(a for a in self.actions if a.dimension == dimension_key)


def build_framework(data, source: str, *, stored: bool = False) -> Framework:
    """The framework in `data`, or FrameworkError listing every problem, each naming `source`;
    `stored` as for `validate_framework`."""
    found = validate_framework(data, source, stored=stored)
    transitions = (
        Action(**dict(action), area=area, step=step)
        for area, steps in found.actions.transitions.items()
        for step, actions in steps.items()
        for action in actions
    )
    readiness = (
        Action(**dict(action), dimension=dimension)
        for dimension, actions in found.actions.readiness.items()
        for action in actions
    )
    return Framework(
        id=found.id,
        version=found.version,
        title=found.title,
        samr_levels=tuple(
            SamrLevel(**dict(level)) for level in sorted(found.samr_levels, key=_level)
        ),
        areas=tuple(Area(**dict(area)) for area in found.areas),
        criteria=tuple(
            _criterion(criterion, area, level)
            for area, levels in found.criteria.items()
            for level, criteria in levels.items()
            for criterion in criteria
        ),
        responsibilities=tuple(Responsibility(**dict(item)) for item in found.responsibilities),
        benefits=tuple(Benefit(**dict(item)) for item in found.benefits),
        dimensions=tuple(
            Dimension(
                key=d.key,
                name=d.name,
                description=d.description,
                questions=tuple(Question(**dict(q), dimension=d.key) for q in d.questions),
            )
            for d in found.dimensions
        ),
        actions=(*transitions, *readiness),
    )


_STORED: dict[tuple, "Framework"] = {}  # (data digest, source) -> framework: stored_framework
_STORED_MAX = 32


def stored_framework(data, source: str) -> Framework:
    """`build_framework(data, source, stored=True)`, built once per distinct content in this
    process: a stored version's data does not change, and validating it took ~5 ms on every
    page that reads it (the check bindings page among them). Keyed by a digest of the data, so
    changed data is built (and validated) afresh; frameworks are frozen, so sharing is safe."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.blake2b(text.encode(), digest_size=20).digest()
    key = (digest, source)  # the source names the version in errors: never another's
    framework = _STORED.get(key)
    if framework is None:
        framework = build_framework(data, source, stored=True)
        if len(_STORED) >= _STORED_MAX:
            _STORED.clear()
        _STORED[key] = framework
    return framework


def _criterion(entry, area: str, level: int) -> Criterion:
    checks = tuple(
        Check(**(dict(check) | {"roles": tuple(check.roles)}), criterion=entry.key)
        for check in entry.checks
    )
    return Criterion(key=entry.key, area=area, level=level, text=entry.text, checks=checks)


def _level(samr_level) -> int:
    return samr_level.level


def _find(items, attribute, value):
    for item in items:
        if getattr(item, attribute) == value:
            return item
    raise KeyError(value)


def _criterion_dict(criterion: Criterion) -> dict:
    """A criterion as the file writes it; one without checks exactly as before checks existed,
    so a snapshot of an older version stays the same."""
    found = {"key": criterion.key, "text": criterion.text}
    if criterion.checks:
        found["checks"] = [_check_dict(check) for check in criterion.checks]
    return found


def _check_dict(check: Check) -> dict:
    found = asdict(check) | {"roles": list(check.roles)}
    del found["criterion"]
    if check.kind != "aggregate":
        for name in ("aggregate", "op", "operating_hours"):
            del found[name]
    if check.metric_hint is None:
        del found["metric_hint"]
    return found


def _action_dict(action: Action) -> dict:
    """An action as the file writes it: where it belongs is given by where it sits."""
    placement = ("area", "step", "dimension")
    return {name: value for name, value in asdict(action).items() if name not in placement}
