"""The assessment framework: versioned data shipped as YAML, validated, and looked up.

A framework defines the SAMR levels, the business areas and their criteria per level, the
readiness dimensions and their questions, and the recommended actions. It is plain data: no
database. An assessment stores `framework.as_dict()` as a snapshot and rebuilds it with
`Framework.from_dict()`, so a new framework version never changes a finished assessment.
"""

import re
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import yaml

FRAMEWORKS_DIR = Path(__file__).resolve().parent / "frameworks"
DEFAULT_FRAMEWORK_FILE = FRAMEWORKS_DIR / "ladder-2026.1.yaml"

SAMR_LEVELS = range(0, 5)
# Level 0 (manual) is the floor: criteria start at 1, and step N is the move from N-1 to N.
CRITERIA_LEVELS = range(1, 5)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

TOP_FIELDS = (
    "id",
    "version",
    "title",
    "areas",
    "samr_levels",
    "criteria",
    "responsibilities",
    "benefits",
    "dimensions",
    "actions",
)


class FrameworkError(ValueError):
    """A framework that cannot be used; each message names the file, the place and the problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


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
    """One version of the framework, validated; build it with the functions below."""

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
    def from_dict(cls, data: dict, *, source: str = "framework snapshot") -> "Framework":
        """Rebuild and re-validate a framework from `as_dict()` data, also after a JSON trip."""
        return _build(data, source)

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


def load_framework(path: str | Path) -> Framework:
    """Read and validate a framework file; FrameworkError names the file when it is unusable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = getattr(exc, "strerror", None) or exc
        raise FrameworkError([f"{path.name}: cannot read the file: {problem}"]) from exc
    return parse_framework(text, path.name)


def parse_framework(text: str, source: str) -> Framework:
    """Validate framework YAML; `source` names the file (or upload) in error messages."""
    try:
        # compose() builds the node tree only (no objects), so we can refuse repeated keys,
        # which safe_load would silently let the last one win.
        repeated = _repeated_keys(yaml.compose(text, Loader=yaml.SafeLoader), "")
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FrameworkError([f"{source}: {_yaml_problem(exc)}"]) from None
    if repeated:
        raise FrameworkError([f"{source}: {problem}" for problem in repeated])
    return _build(data, source)


@cache
def default_framework() -> Framework:
    """The framework shipped with the app, loaded once per process."""
    return load_framework(DEFAULT_FRAMEWORK_FILE)


def _find(items, attribute, value):
    for item in items:
        if getattr(item, attribute) == value:
            return item
    raise KeyError(value)


def _action_dict(action: Action) -> dict:
    return {
        "key": action.key,
        "title": action.title,
        "description": action.description,
        "responsibility": action.responsibility,
        "benefit": action.benefit,
    }


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return f"invalid YAML: {problem}"
    return f"line {mark.line + 1}, column {mark.column + 1}: invalid YAML: {problem}"


def _repeated_keys(node, path: str, seen_nodes=None) -> list[str]:
    if node is None:
        return []
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if id(node) in seen_nodes:  # an alias: already checked, and it may be recursive
        return []
    seen_nodes.add(id(node))
    problems = []
    if isinstance(node, yaml.MappingNode):
        names = set()
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            child = _join(path, name)
            if name in names:
                line = key_node.start_mark.line + 1
                problems.append(f"{child}: given twice (again on line {line})")
            names.add(name)
            problems += _repeated_keys(value_node, child, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _repeated_keys(item, f"{path}[{index}]", seen_nodes)
    return problems


def _join(path: str, name) -> str:
    return f"{path}.{name}" if path else str(name)


def _kind(value) -> str:
    kinds = {dict: "a mapping", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "nothing"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return kinds.get(type(value), type(value).__name__)


def _level_number(raw) -> int | None:
    """1 from YAML's `1:` or JSON's `"1":`; None for anything else."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        return int(raw)
    return None


class _Reader:
    """Checks one framework's plain data, collecting every problem with its path."""

    def __init__(self, source: str):
        self.source = source
        self.errors: list[str] = []
        self.keys: dict[str, str] = {}  # key -> path where it was first used

    def fail(self, path: str, problem: str) -> None:
        self.errors.append(f"{self.source}: {path}: {problem}")

    def mapping(self, value, path: str, fields: tuple[str, ...] = ()) -> dict | None:
        """The value if it is a mapping (whose names are only `fields`, when given)."""
        if value is None:
            self.fail(path, "missing")
            return None
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping, got {_kind(value)}")
            return None
        for name in value:
            if fields and name not in fields:
                self.fail(_join(path, name), f"unknown field; expected {', '.join(fields)}")
        return value

    def items(self, value, path: str) -> list:
        """The value if it is a non-empty list, else [] (after noting the problem)."""
        if value is None:
            self.fail(path, "missing")
            return []
        if not isinstance(value, list):
            self.fail(path, f"must be a list, got {_kind(value)}")
            return []
        if not value:
            self.fail(path, "must not be empty")
        return value

    def text(self, value, path: str) -> str | None:
        """The value if it is a non-blank string, stripped."""
        if value is None:
            self.fail(path, "missing")
        elif not isinstance(value, str):
            self.fail(path, f"must be a string, got {_kind(value)}")
        elif not value.strip():
            self.fail(path, "must not be empty")
        else:
            return value.strip()
        return None

    def key(self, value, path: str) -> str | None:
        """A slug not used anywhere else in the framework."""
        key = self.text(value, path)
        if key is None:
            return None
        if not SLUG.fullmatch(key):
            self.fail(path, f"'{key}' is not a slug (lowercase letters, digits and hyphens)")
            return None
        if key in self.keys:
            self.fail(path, f"duplicate key '{key}', already used at {self.keys[key]}")
            return None
        self.keys[key] = path
        return key

    def reference(self, value, path: str, known: list[str], kind: str) -> str | None:
        """A key that must name one of `known`."""
        key = self.text(value, path)
        if key is not None and known and key not in known:
            self.fail(path, f"unknown {kind} '{key}'; expected one of {', '.join(known)}")
            return None
        return key

    def levels(self, value, path: str, expected: range, word: str = "levels") -> dict:
        """A mapping keyed by exactly the numbers in `expected`, sorted by number."""
        data = self.mapping(value, path)
        if data is None:
            return {}
        found = {}
        for raw, item in data.items():
            number = _level_number(raw)
            if number not in expected:
                self.fail(_join(path, raw), f"{word[:-1]} must be {expected[0]} to {expected[-1]}")
            elif number in found:
                self.fail(_join(path, raw), f"{word[:-1]} {number} given twice")
            else:
                found[number] = item
        missing = [str(number) for number in expected if number not in found]
        if missing:
            span = f"{expected[0]} to {expected[-1]}"
            self.fail(path, f"must define {word} {span}, missing {', '.join(missing)}")
        return dict(sorted(found.items()))

    def keyed(self, value, path: str, known: list[str], kind: str) -> dict:
        """A mapping with an entry for exactly each of `known` (areas or dimensions)."""
        data = self.mapping(value, path)
        if data is None or not known:  # without known keys, there is nothing to check against
            return {}
        for name in data:
            if name not in known:
                self.fail(
                    _join(path, name),
                    f"unknown {kind} '{name}'; expected one of {', '.join(known)}",
                )
        for name in known:
            if name not in data:
                self.fail(_join(path, name), "missing")
        return {name: data[name] for name in known if name in data}


def _build(data, source: str) -> Framework:
    if not isinstance(data, dict):
        raise FrameworkError([f"{source}: top level: must be a mapping, got {_kind(data)}"])
    r = _Reader(source)
    r.mapping(data, "", TOP_FIELDS)
    framework_id = r.key(data.get("id"), "id")
    version = data.get("version")
    if isinstance(version, int | float) and not isinstance(version, bool):
        r.fail("version", f'must be a string; quote it, e.g. version: "{version}"')
    else:
        version = r.text(version, "version")
    title = r.text(data.get("title"), "title")

    samr_levels = _read_samr_levels(r, data.get("samr_levels"))
    areas = _read_named(r, data.get("areas"), "areas", Area)
    responsibilities = _read_named(
        r, data.get("responsibilities"), "responsibilities", Responsibility
    )
    benefits = _read_named(r, data.get("benefits"), "benefits", Benefit)
    area_keys = _declared_keys(data.get("areas"))
    criteria = _read_criteria(r, data.get("criteria"), area_keys)
    dimensions = _read_dimensions(r, data.get("dimensions"))
    actions = _read_actions(
        r,
        data.get("actions"),
        area_keys=area_keys,
        dimension_keys=_declared_keys(data.get("dimensions")),
        responsibility_keys=_declared_keys(data.get("responsibilities")),
        benefit_keys=_declared_keys(data.get("benefits")),
    )
    if r.errors:
        raise FrameworkError(r.errors)
    return Framework(
        id=framework_id,
        version=version,
        title=title,
        samr_levels=samr_levels,
        areas=areas,
        criteria=criteria,
        responsibilities=responsibilities,
        benefits=benefits,
        dimensions=dimensions,
        actions=actions,
    )


def _declared_keys(value) -> list[str]:
    """The keys a list declares even if its items have other problems, so one mistake in an
    area or a benefit is reported once, not again at every place that refers to it."""
    if not isinstance(value, list):
        return []
    return [
        item["key"] for item in value if isinstance(item, dict) and type(item.get("key")) is str
    ]


def _read_named(r: _Reader, value, path: str, cls) -> tuple:
    """A list of {key, name} objects: areas, responsibilities, benefits."""
    found = []
    for index, item in enumerate(r.items(value, path)):
        where = f"{path}[{index}]"
        data = r.mapping(item, where, ("key", "name"))
        if data is not None:
            key = r.key(data.get("key"), f"{where}.key")
            name = r.text(data.get("name"), f"{where}.name")
            if key and name:
                found.append(cls(key=key, name=name))
    return tuple(found)


def _read_samr_levels(r: _Reader, value) -> tuple[SamrLevel, ...]:
    found = {}
    seen = set()
    for index, item in enumerate(r.items(value, "samr_levels")):
        where = f"samr_levels[{index}]"
        data = r.mapping(item, where, ("level", "key", "name", "descriptor"))
        if data is None:
            continue
        level = data.get("level")
        key = r.key(data.get("key"), f"{where}.key")
        name = r.text(data.get("name"), f"{where}.name")
        descriptor = r.text(data.get("descriptor"), f"{where}.descriptor")
        if level is None:
            r.fail(f"{where}.level", "missing")
        elif type(level) is not int or level not in SAMR_LEVELS:
            r.fail(f"{where}.level", f"must be a whole number 0 to 4, got {level!r}")
        elif level in seen:
            r.fail(f"{where}.level", f"level {level} given twice")
        else:
            seen.add(level)
            if key and name and descriptor:
                found[level] = SamrLevel(level=level, key=key, name=name, descriptor=descriptor)
    missing = [str(level) for level in SAMR_LEVELS if level not in seen]
    if missing and isinstance(value, list) and value:  # else the list itself was reported
        r.fail("samr_levels", f"must define levels 0 to 4, missing {', '.join(missing)}")
    return tuple(found[level] for level in sorted(found))


def _read_criteria(r: _Reader, value, area_keys: list[str]) -> tuple[Criterion, ...]:
    found = []
    for area, by_level in r.keyed(value, "criteria", area_keys, "area").items():
        levels = r.levels(by_level, f"criteria.{area}", CRITERIA_LEVELS)
        for level, items in levels.items():
            for index, item in enumerate(r.items(items, f"criteria.{area}.{level}")):
                where = f"criteria.{area}.{level}[{index}]"
                data = r.mapping(item, where, ("key", "text"))
                if data is None:
                    continue
                key = r.key(data.get("key"), f"{where}.key")
                text = r.text(data.get("text"), f"{where}.text")
                if key and text:
                    found.append(Criterion(key=key, area=area, level=level, text=text))
    return tuple(found)


def _read_dimensions(r: _Reader, value) -> tuple[Dimension, ...]:
    found = []
    for index, item in enumerate(r.items(value, "dimensions")):
        where = f"dimensions[{index}]"
        data = r.mapping(item, where, ("key", "name", "description", "questions"))
        if data is None:
            continue
        key = r.key(data.get("key"), f"{where}.key")
        name = r.text(data.get("name"), f"{where}.name")
        description = r.text(data.get("description"), f"{where}.description")
        questions = []
        for number, question in enumerate(r.items(data.get("questions"), f"{where}.questions")):
            question = _read_question(r, question, f"{where}.questions[{number}]", key)
            if question:
                questions.append(question)
        if key and name and description:
            found.append(Dimension(key, name, description, tuple(questions)))
    return tuple(found)


def _read_question(r: _Reader, value, where: str, dimension: str | None) -> Question | None:
    data = r.mapping(value, where, ("key", "text", "levels"))
    if data is None:
        return None
    key = r.key(data.get("key"), f"{where}.key")
    text = r.text(data.get("text"), f"{where}.text")
    levels = {}
    for level, answer in r.levels(data.get("levels"), f"{where}.levels", SAMR_LEVELS).items():
        levels[level] = r.text(answer, f"{where}.levels.{level}")
    if key and text and dimension:
        return Question(key=key, dimension=dimension, text=text, levels=levels)
    return None


def _read_actions(
    r: _Reader, value, *, area_keys, dimension_keys, responsibility_keys, benefit_keys
) -> tuple[Action, ...]:
    data = r.mapping(value, "actions", ("transitions", "readiness"))
    if data is None:
        return ()
    refs = (responsibility_keys, benefit_keys)
    found = []
    transitions = r.keyed(data.get("transitions"), "actions.transitions", area_keys, "area")
    for area, by_step in transitions.items():
        path = f"actions.transitions.{area}"
        for step, items in r.levels(by_step, path, CRITERIA_LEVELS, "steps").items():
            for index, item in enumerate(r.items(items, f"{path}.{step}")):
                action = _read_action(r, item, f"{path}.{step}[{index}]", *refs)
                if action:
                    found.append(Action(**action, area=area, step=step))
    readiness = r.keyed(data.get("readiness"), "actions.readiness", dimension_keys, "dimension")
    for dimension, items in readiness.items():
        path = f"actions.readiness.{dimension}"
        for index, item in enumerate(r.items(items, path)):
            action = _read_action(r, item, f"{path}[{index}]", *refs)
            if action:
                found.append(Action(**action, dimension=dimension))
    return tuple(found)


def _read_action(r: _Reader, value, where, responsibility_keys, benefit_keys) -> dict | None:
    data = r.mapping(value, where, ("key", "title", "description", "responsibility", "benefit"))
    if data is None:
        return None
    responsibility = data.get("responsibility")
    action = {
        "key": r.key(data.get("key"), f"{where}.key"),
        "title": r.text(data.get("title"), f"{where}.title"),
        "description": r.text(data.get("description"), f"{where}.description"),
        "responsibility": r.reference(
            responsibility, f"{where}.responsibility", responsibility_keys, "responsibility"
        ),
        "benefit": r.reference(data.get("benefit"), f"{where}.benefit", benefit_keys, "benefit"),
    }
    return action if all(action.values()) else None
