"""The framework as plain, frozen data, and the lookups the rest of the app uses."""

from dataclasses import asdict, dataclass, field

SAMR_LEVELS = range(0, 5)
# Level 0 (manual) is the floor: criteria start at 1, and step N is the move from N-1 to N.
CRITERIA_LEVELS = range(1, 5)


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
class Criterion:
    key: str
    area: str
    level: int
    text: str


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
    """One version of the framework, validated; build it with `assessments.framework`'s
    `load_framework()`, `parse_framework()` or `Framework.from_dict()`."""

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

        `stored`: data this install accepted earlier (see `build_framework`)."""
        # Imported here: the validator builds Frameworks, so it imports this module.
        from assessments.framework.validation import build_framework

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
                    str(level): [
                        {"key": c.key, "text": c.text} for c in self.criteria_for(area, level)
                    ]
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


def _find(items, attribute, value):
    for item in items:
        if getattr(item, attribute) == value:
            return item
    raise KeyError(value)


def _action_dict(action: Action) -> dict:
    """An action as the file writes it: where it belongs is given by where it sits."""
    placement = ("area", "step", "dimension")
    return {name: value for name, value in asdict(action).items() if name not in placement}
